package dev.soma.cli;

import dev.soma.Activation;
import dev.soma.reference.Backends;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlotTest {

    @TempDir
    Path dir;

    /** Exit code and captured output of one in-process run. */
    record Run(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    static Run plot(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = new CommandLine(new Plot());
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        int code = cmd.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    private List<Path> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    /** A readable PNG of the given size with a real picture in it (not blank, not one flat colour). */
    private static BufferedImage assertPng(Path p, int w, int h) throws IOException {
        assertTrue(Files.size(p) > 0, p + " is empty");
        BufferedImage img = ImageIO.read(p.toFile());
        assertNotNull(img, p + " is not a readable image");
        assertEquals(w, img.getWidth(), "width");
        assertEquals(h, img.getHeight(), "height");
        int background = img.getRGB(0, 0);
        Set<Integer> colours = new HashSet<>();
        long ink = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int c = img.getRGB(x, y);
                colours.add(c);
                if (c != background) {
                    ink++;
                }
            }
        }
        assertTrue(colours.size() > 50, "only " + colours.size() + " distinct colours");
        double share = ink / (double) (w * h);
        assertTrue(share > 0.02, "only " + share + " of the pixels differ from the background");
        return img;
    }

    @Test
    void wholeCatalogueOnTheJavaPathAsAGridOfPanels() throws IOException {
        Path png = dir.resolve("all.png");
        Run r = plot("--device", "java", "--out", png.toString());
        assertEquals(0, r.code(), r::toString);
        int n = Activation.values().length;
        int cols = (int) Math.ceil(Math.sqrt(n));
        int rows = (n + cols - 1) / cols;
        assertPng(png, cols * Plot.PANEL_W, Plot.TITLE_H + rows * Plot.PANEL_H);
        assertTrue(r.out().contains(png.toAbsolutePath().toString()), r::toString);
        assertTrue(r.out().contains("pure-Java"), r::toString);
        assertEquals(List.of(png), files(), "only the chart is left behind, no temporary file");
    }

    @Test
    void singleChartAsPngAndSvgWithParameters() throws IOException {
        Path base = dir.resolve("acts.png");
        Run r = plot("--device", "java", "--functions", "relu,elu,gelu,leaky_relu,prelu,noisy_relu", "--single",
                "--params", "elu:alpha=0.5,leaky_relu:alpha=0.2,prelu:slope=0.1,noisy_relu:s=0.5:seed=7",
                "--range", "-3:3", "--points", "101", "--format", "both", "--width", "640", "--height", "400",
                "--out", base.toString());
        assertEquals(0, r.code(), r::toString);
        assertPng(dir.resolve("acts.png"), 640, 400);
        String svg = Files.readString(dir.resolve("acts.svg"), StandardCharsets.UTF_8).stripLeading();
        assertTrue(svg.startsWith("<svg") || svg.startsWith("<?xml"), () -> svg.substring(0, Math.min(80, svg.length())));
        assertTrue(svg.contains("</svg>"), "SVG is complete");
        assertEquals(Set.of(dir.resolve("acts.png"), dir.resolve("acts.svg")), Set.copyOf(files()));
    }

    @Test
    void svgFromTheExtensionAndNoDerivative() throws IOException {
        Path svg = dir.resolve("f.svg");
        Run r = plot("--device", "java", "--functions", "tanh", "--no-derivative", "--out", svg.toString());
        assertEquals(0, r.code(), r::toString);
        String text = Files.readString(svg, StandardCharsets.UTF_8).stripLeading();
        assertTrue(text.startsWith("<svg") || text.startsWith("<?xml"));
    }

    @Test
    void firstOpenClDeviceIsUsedAndNamed() throws IOException {
        List<String> devices = Backends.openClSelectors();
        if (devices.isEmpty()) {
            Backends.noOpenClDevice();
        }
        Path png = dir.resolve("cl.png");
        Run r = plot("--device", devices.get(0), "--functions", "sigmoid,relu6,mish", "--points", "201",
                "--width", "900", "--height", "400", "--out", png.toString());
        assertEquals(0, r.code(), r::toString);
        assertTrue(r.out().contains("OpenCL device"), r::toString);
        assertTrue(r.out().contains("--device " + devices.get(0)), r::toString);
        assertPng(png, 900, 400);
    }

    @Test
    void badInputsFailWithAMessageAndWriteNothing() throws IOException {
        Path png = dir.resolve("bad.png");
        Path notAFolder = dir.resolve("plain-file");
        String o = png.toString();
        String[][] cases = {
            {"--functions", "relu,nope", "--out", o},
            {"--range", "6:-6", "--out", o},
            {"--range", "1:1", "--out", o},
            {"--range", "NaN:1", "--out", o},
            {"--range", "-1:Infinity", "--out", o},
            {"--range", "abc", "--out", o},
            {"--points", "1", "--out", o},
            {"--points", "-5", "--out", o},
            {"--points", "many", "--out", o},
            {"--params", "elu:alpha=-1", "--out", o},
            {"--params", "relu:alpha=1", "--out", o},
            {"--params", "elu", "--out", o},
            {"--functions", "relu", "--params", "elu:alpha=2", "--out", o},
            {"--format", "gif", "--out", o},
            {"--format", "svg", "--out", o},
            {"--width", "10", "--out", o},
            {"--out", dir.resolve("no-such-folder").resolve("x.png").toString()},
            {"--out", notAFolder.resolve("x.png").toString()},
            {"--out", dir.toString()},
            {"--device", "no-such-device-anywhere", "--functions", "relu", "--out", o},
        };
        Files.writeString(notAFolder, "keep");
        for (String[] args : cases) {
            String[] full = List.of(args).contains("--device") ? args
                    : Stream.concat(Stream.of("--device", "java"), Stream.of(args)).toArray(String[]::new);
            Run r = plot(full);
            String what = String.join(" ", args) + " -> " + r;
            assertNotEquals(0, r.code(), what);
            assertTrue(!r.err().isBlank(), "an error message: " + what);
            assertEquals(List.of(notAFolder), files(), "nothing written: " + what);
        }
        assertArrayEquals("keep".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(notAFolder));
    }

    @Test
    void aFailedRunLeavesAnExistingChartAlone() throws IOException {
        Path png = dir.resolve("keep.png");
        Files.writeString(png, "previous");
        Run r = plot("--device", "java", "--points", "0", "--out", png.toString());
        assertEquals(2, r.code(), r::toString);
        assertEquals("previous", Files.readString(png));
        r = plot("--device", "java", "--functions", "relu", "--points", "11", "--out", png.toString(),
                "--width", "300", "--height", "200");
        assertEquals(0, r.code(), r::toString);
        assertNotNull(ImageIO.read(png.toFile()));
        assertEquals(List.of(png), files());
    }
}
