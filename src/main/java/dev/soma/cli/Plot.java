package dev.soma.cli;

import de.erichseifert.vectorgraphics2d.VectorGraphics2D;
import de.erichseifert.vectorgraphics2d.svg.SVGProcessor;
import de.erichseifert.vectorgraphics2d.util.PageSize;
import dev.soma.Activation;
import dev.soma.ActivationFunction;
import dev.soma.Backend;
import dev.soma.BackendInfo;
import dev.soma.Properties;
import dev.soma.Soma;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.SeriesMarkers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code soma plot}: charts of activations and their derivatives, computed on the selected device,
 * written as PNG and/or SVG. One small panel per function (f and f′ in each), or all functions on
 * one chart with {@code --single}. The file is written to a temporary file in the same folder and
 * then moved into place, so a failed run never leaves a partly written chart.
 */
@Command(name = "plot", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Draw activations and their derivatives, computed on the selected device, to PNG and/or SVG.",
                "By default every function of the catalogue with its default parameters (PReLU with one slope, "
                        + "noisy ReLU with a fixed seed), one panel each, over -6..6."},
        footer = {"", "Examples:",
                "  soma plot                                     # the whole catalogue, soma-activations.png",
                "  soma plot --functions relu,gelu,silu --single --out acts.svg",
                "  soma plot --functions elu,leaky_relu --params elu:alpha=0.5,leaky_relu:alpha=0.2 --range -3:3"})
public final class Plot implements Callable<Integer> {

    static final String DEFAULT_OUT = "soma-activations.png";
    static final int MAX_POINTS = 200_000;
    static final int MAX_PIXELS = 16_384;
    /** Default size of one panel of the grid, and the height of the figure's title band. */
    static final int PANEL_W = 320;
    static final int PANEL_H = 250;
    static final int TITLE_H = 64;
    static final int MIN_PANEL_W = 140;
    static final int MIN_PANEL_H = 110;

    private static final Color FORWARD = new Color(0x1F77B4);
    private static final Color DERIVATIVE = new Color(0xD62728);
    private static final Color AXIS = new Color(0x9A9A9A);
    private static final Color GRID = new Color(0xE4E4E4);
    private static final Color[] PALETTE = {
        new Color(0x1F77B4), new Color(0xFF7F0E), new Color(0x2CA02C), new Color(0xD62728), new Color(0x9467BD),
        new Color(0x8C564B), new Color(0xE377C2), new Color(0x7F7F7F), new Color(0xBCBD22), new Color(0x17BECF),
    };

    @Spec
    CommandSpec spec;

    @Option(names = "--device", paramLabel = "SELECTOR",
            description = "auto, gpu, cpu, java, P:D or part of a device name (default: soma.device / SOMA_DEVICE, else auto)")
    String device;

    @Option(names = {"-f", "--functions"}, split = ",", paramLabel = "NAME",
            description = "Functions to draw, by catalogue name (relu,gelu,leaky_relu,...); default: all")
    List<String> functions;

    @Option(names = {"-p", "--params"}, split = ",", paramLabel = "FN:NAME=VALUE",
            description = "Parameters, e.g. elu:alpha=0.5,hard_sigmoid:alpha=0.3:beta=0.4,prelu:slope=0.1,"
                    + "noisy_relu:s=0.5:seed=7 (others keep the catalogue's defaults)")
    List<String> params;

    @Option(names = {"-r", "--range"}, paramLabel = "MIN:MAX", defaultValue = "-6:6",
            description = "x range (default: ${DEFAULT-VALUE})")
    String range;

    @Option(names = {"-n", "--points"}, paramLabel = "N", defaultValue = "601",
            description = "Points per curve, 2.." + MAX_POINTS + " (default: ${DEFAULT-VALUE})")
    int points;

    @Option(names = "--no-derivative", description = "Draw f only, not f′")
    boolean noDerivative;

    @Option(names = "--single", description = "All functions on one chart instead of one panel each")
    boolean single;

    @Option(names = {"-o", "--out"}, paramLabel = "FILE",
            description = "Output file (default: " + DEFAULT_OUT + "; .svg with --format svg). With --format both, "
                    + "its extension is replaced by .png and .svg")
    Path out;

    @Option(names = "--format", paramLabel = "png|svg|both",
            description = "Image format (default: from the --out extension, else png)")
    String format;

    @Option(names = "--width", paramLabel = "PX", description = "Image width in pixels (default: from the panel count)")
    Integer width;

    @Option(names = "--height", paramLabel = "PX", description = "Image height in pixels (default: from the panel count)")
    Integer height;

    @Option(names = "--columns", paramLabel = "N", description = "Panels per row (default: about the square root of the panel count)")
    Integer columns;

    public Plot() {
    }

    /** One function to draw with its computed curves. */
    private record Curve(ActivationFunction f, String title, String rangeText, double[] y, double[] dy) {
    }

    @Override
    public Integer call() {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter stderr = spec.commandLine().getErr();

        // Everything the user typed is checked before a device is opened or a file touched.
        List<ActivationFunction> fs = resolveFunctions();
        double[] r = parseRange(range);
        if (points < 2 || points > MAX_POINTS) {
            throw usage("--points must be between 2 and " + MAX_POINTS + ", got " + points);
        }
        boolean png;
        boolean svg;
        String fmt = format == null ? null : format.strip().toLowerCase(Locale.ROOT);
        String outName = out == null ? null : out.getFileName() == null ? "" : out.getFileName().toString();
        String outLower = outName == null ? "" : outName.toLowerCase(Locale.ROOT);
        if (fmt == null) {
            fmt = outLower.endsWith(".svg") ? "svg" : "png";
        }
        switch (fmt) {
            case "png": png = true; svg = false; break;
            case "svg": png = false; svg = true; break;
            case "both": png = true; svg = true; break;
            default: throw usage("--format must be png, svg or both, got '" + format + "'");
        }
        if (png && !svg && outLower.endsWith(".svg")) {
            throw usage("--out " + out + " names an SVG file but --format is png");
        }
        if (svg && !png && outLower.endsWith(".png")) {
            throw usage("--out " + out + " names a PNG file but --format is svg");
        }
        Path base = out != null ? out : Path.of(svg && !png ? "soma-activations.svg" : DEFAULT_OUT);
        Path pngPath = null;
        Path svgPath = null;
        if (png && svg) {
            String n = base.getFileName().toString();
            String stem = n.toLowerCase(Locale.ROOT).endsWith(".png") || n.toLowerCase(Locale.ROOT).endsWith(".svg")
                    ? n.substring(0, n.length() - 4) : n;
            pngPath = base.resolveSibling(stem + ".png");
            svgPath = base.resolveSibling(stem + ".svg");
        } else if (png) {
            pngPath = base;
        } else {
            svgPath = base;
        }
        for (Path p : new Path[] {pngPath, svgPath}) {
            if (p != null) {
                checkWritable(p);
            }
        }

        int n = fs.size();
        int cols = single ? 1 : columns != null ? columns : (int) Math.ceil(Math.sqrt(n));
        if (columns != null && (columns < 1 || columns > n)) {
            throw usage("--columns must be between 1 and the number of functions (" + n + "), got " + columns);
        }
        int rows = single ? 1 : (n + cols - 1) / cols;
        int w = width != null ? width : single ? 1280 : cols * PANEL_W;
        int h = height != null ? height : single ? 800 : TITLE_H + rows * PANEL_H;
        if (w < 200 || h < 150 || w > MAX_PIXELS || h > MAX_PIXELS) {
            throw usage("--width/--height must be within 200.." + MAX_PIXELS + " x 150.." + MAX_PIXELS + ", got "
                    + w + " x " + h);
        }
        if (!single && (w / cols < MIN_PANEL_W || (h - TITLE_H) / rows < MIN_PANEL_H)) {
            throw usage(w + " x " + h + " is too small for " + n + " panels in " + rows + " x " + cols
                    + " (each needs at least " + MIN_PANEL_W + " x " + MIN_PANEL_H + "); enlarge it, change --columns or use --single");
        }

        // The curves, computed on the selected device.
        String selector = device != null ? device : Soma.configuredSelector();
        float[] xf = new float[points];
        for (int i = 0; i < points; i++) {
            xf[i] = i == points - 1 ? (float) r[1] : (float) (r[0] + (r[1] - r[0]) * i / (points - 1));
        }
        double[] x = toDouble(xf);
        List<Curve> curves = new ArrayList<>();
        BackendInfo info;
        try (Backend backend = Soma.open(selector)) {
            info = backend.info();
            for (ActivationFunction f : fs) {
                double[] y = finiteOrNaN(backend.forward(f, xf));
                double[] dy = noDerivative ? null : finiteOrNaN(backend.derivative(f, xf));
                curves.add(new Curve(f, title(f), rangeText(f.properties()), y, dy));
            }
        } catch (RuntimeException e) { // DeviceUnavailableException, a bad selector, an OpenCL error
            stderr.println("soma plot: cannot compute on device '" + selector + "': " + e.getMessage());
            stderr.flush();
            return 2;
        }
        String where = info.kind() == BackendInfo.Kind.OPENCL ? "OpenCL device " + info : "the pure-Java path, " + info;
        String heading = (noDerivative ? "soma activations f" : "soma activations f and derivatives f′") + " on x ∈ ["
                + num(r[0]) + ", " + num(r[1]) + "], " + points + " points";
        String subheading = "computed on " + where;

        Figure fig = new Figure(curves, x, heading, subheading, cols, rows, w, h);
        List<Path> written = new ArrayList<>();
        try {
            Path pngTmp = null;
            Path svgTmp = null;
            try {
                if (pngPath != null) {
                    pngTmp = temp(pngPath);
                    writePng(fig, pngTmp);
                }
                if (svgPath != null) {
                    svgTmp = temp(svgPath);
                    writeSvg(fig, svgTmp);
                }
                if (pngTmp != null) {
                    moveIntoPlace(pngTmp, pngPath);
                    pngTmp = null;
                    written.add(pngPath);
                }
                if (svgTmp != null) {
                    moveIntoPlace(svgTmp, svgPath);
                    svgTmp = null;
                    written.add(svgPath);
                }
            } finally {
                deleteQuietly(pngTmp);
                deleteQuietly(svgTmp);
            }
        } catch (IOException | RuntimeException e) {
            stderr.println("soma plot: cannot write " + (pngPath != null ? pngPath : svgPath) + ": " + e);
            stderr.flush();
            return 2;
        }
        stdout.println("soma plot: " + n + (n == 1 ? " function" : " functions") + " computed on " + where);
        for (Path p : written) {
            stdout.println("wrote " + p.toAbsolutePath().normalize() + " (" + w + " x " + h + " "
                    + (p == pngPath ? "PNG" : "SVG") + ")");
        }
        stdout.flush();
        return 0;
    }

    // ---------------------------------------------------------------- input

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    private List<ActivationFunction> resolveFunctions() {
        Set<Activation> chosen = new LinkedHashSet<>();
        if (functions == null || functions.isEmpty()) {
            chosen.addAll(List.of(Activation.values()));
        } else {
            for (String name : functions) {
                if (name.isBlank()) {
                    throw usage("--functions has an empty name");
                }
                try {
                    chosen.add(Activation.byName(name));
                } catch (IllegalArgumentException e) {
                    throw usage("--functions: " + e.getMessage());
                }
            }
        }
        // fn -> (param -> value), in the order given
        Map<Activation, Map<String, String>> given = new LinkedHashMap<>();
        if (params != null) {
            for (String entry : params) {
                String[] parts = entry.strip().split(":");
                if (parts.length < 2) {
                    throw usage("--params: '" + entry + "' is not FN:NAME=VALUE (e.g. elu:alpha=0.5)");
                }
                Activation a;
                try {
                    a = Activation.byName(parts[0]);
                } catch (IllegalArgumentException e) {
                    throw usage("--params: " + e.getMessage());
                }
                if (!chosen.contains(a)) {
                    throw usage("--params: " + a.catalogueName() + " is not among the functions to plot");
                }
                for (int i = 1; i < parts.length; i++) {
                    int eq = parts[i].indexOf('=');
                    if (eq <= 0) {
                        throw usage("--params: '" + entry + "' is not FN:NAME=VALUE (e.g. elu:alpha=0.5)");
                    }
                    given.computeIfAbsent(a, k -> new LinkedHashMap<>())
                            .put(parts[i].substring(0, eq).strip().toLowerCase(Locale.ROOT), parts[i].substring(eq + 1).strip());
                }
            }
        }
        List<ActivationFunction> out = new ArrayList<>();
        for (Activation a : chosen) {
            Map<String, String> p = given.getOrDefault(a, Map.of());
            try {
                out.add(build(a, p));
            } catch (IllegalArgumentException e) {
                throw usage("--params: " + e.getMessage());
            }
        }
        return out;
    }

    /** {@code a} with the parameters {@code p} (names as in {@link Activation#params()}; prelu: slope; noisy_relu: s, seed). */
    private static ActivationFunction build(Activation a, Map<String, String> p) {
        Map<String, String> left = new LinkedHashMap<>(p);
        ActivationFunction f;
        if (a == Activation.PRELU) {
            String s = left.remove("slope");
            f = s == null ? Activation.PRELU : Activation.prelu((float) number(a, "slope", s));
        } else if (a == Activation.NOISY_RELU) {
            String s = left.remove("s");
            String seed = left.remove("seed");
            long sd;
            try {
                sd = seed == null ? 0L : Long.parseLong(seed);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("noisy_relu: seed '" + seed + "' is not an integer");
            }
            f = Activation.noisyRelu(s == null ? a.params().get(0).defaultValue() : number(a, "s", s), sd);
        } else if (left.isEmpty()) {
            f = a;
        } else {
            double[] v = new double[a.params().size()];
            for (int i = 0; i < v.length; i++) {
                Activation.Param q = a.params().get(i);
                String s = left.remove(q.name());
                v[i] = s == null ? q.defaultValue() : number(a, q.name(), s);
            }
            f = a.with(v);
        }
        if (!left.isEmpty()) {
            List<String> known = new ArrayList<>();
            if (a == Activation.PRELU) {
                known.add("slope");
            } else {
                a.params().forEach(q -> known.add(q.name()));
                if (a == Activation.NOISY_RELU) {
                    known.add("seed");
                }
            }
            throw new IllegalArgumentException(a.catalogueName() + " has no parameter " + left.keySet()
                    + (known.isEmpty() ? "; it takes none" : "; it takes " + known));
        }
        return f;
    }

    private static double number(Activation a, String name, String s) {
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(a.catalogueName() + ": " + name + "='" + s + "' is not a number");
        }
    }

    private double[] parseRange(String s) {
        String t = s == null ? "" : s.strip();
        int colon = t.indexOf(':', 1); // a leading sign never starts the separator
        if (colon < 0) {
            throw usage("--range must be MIN:MAX (e.g. -6:6), got '" + s + "'");
        }
        double lo;
        double hi;
        try {
            lo = Double.parseDouble(t.substring(0, colon).strip());
            hi = Double.parseDouble(t.substring(colon + 1).strip());
        } catch (NumberFormatException e) {
            throw usage("--range must be MIN:MAX with two numbers (e.g. -6:6), got '" + s + "'");
        }
        if (!Float.isFinite((float) lo) || !Float.isFinite((float) hi)) {
            throw usage("--range bounds must be finite float32 numbers, got '" + s + "'");
        }
        if (!(lo < hi) || !((float) lo < (float) hi)) {
            throw usage("--range needs MIN < MAX, got '" + s + "'");
        }
        return new double[] {lo, hi};
    }

    private void checkWritable(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        Path dir = abs.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw usage("--out " + p + ": folder " + dir + " does not exist");
        }
        if (!Files.isWritable(dir)) {
            throw usage("--out " + p + ": folder " + dir + " is not writable");
        }
        if (Files.isDirectory(abs)) {
            throw usage("--out " + p + " is a folder");
        }
        if (Files.exists(abs) && !Files.isWritable(abs)) {
            throw usage("--out " + p + " exists and is not writable");
        }
    }

    // ---------------------------------------------------------------- labels

    static String title(ActivationFunction f) {
        Activation a = f.activation();
        List<String> ps = new ArrayList<>();
        if (a == Activation.PRELU) {
            float[] s = f.slopes();
            ps.add("slope=" + num(s[0]));
        } else {
            for (int i = 0; i < a.params().size(); i++) {
                ps.add(a.params().get(i).name() + "=" + num(f.param(i)));
            }
            if (a == Activation.NOISY_RELU) {
                ps.add("seed=" + f.seed());
            }
        }
        return ps.isEmpty() ? a.catalogueName() : a.catalogueName() + " (" + String.join(", ", ps) + ")";
    }

    static String rangeText(Properties p) {
        return (p.lowerInclusive() ? "[" : "(") + bound(p.lower()) + ", " + bound(p.upper()) + (p.upperInclusive() ? "]" : ")");
    }

    private static String bound(double v) {
        if (v == Double.POSITIVE_INFINITY) {
            return "∞";
        }
        if (v == Double.NEGATIVE_INFINITY) {
            return "−∞";
        }
        if (Math.abs(Math.abs(v) - Math.PI / 2) < 1e-12) {
            return v < 0 ? "−π/2" : "π/2";
        }
        return num(v);
    }

    /** Up to 4 significant digits, no trailing zeros, a real minus sign. */
    static String num(double v) {
        if (v == 0) {
            return "0";
        }
        String s;
        if (v == Math.rint(v) && Math.abs(v) < 1e6) {
            s = String.valueOf((long) v);
        } else {
            s = new java.math.BigDecimal(v).round(new java.math.MathContext(4)).stripTrailingZeros().toPlainString();
            if (s.length() > 10) {
                s = String.format(Locale.ROOT, "%.3g", v);
            }
        }
        return s.replace('-', '−');
    }

    // ---------------------------------------------------------------- drawing

    /** The whole picture: a title band and the chart(s); paints onto any Graphics2D (bitmap or vector). */
    private final class Figure {
        final List<Curve> curves;
        final double[] x;
        final String heading;
        final String subheading;
        final int cols;
        final int rows;
        final int w;
        final int h;

        Figure(List<Curve> curves, double[] x, String heading, String subheading, int cols, int rows, int w, int h) {
            this.curves = curves;
            this.x = x;
            this.heading = heading;
            this.subheading = subheading;
            this.cols = cols;
            this.rows = rows;
            this.w = w;
            this.h = h;
        }

        void paint(Graphics2D g) {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, w, h);
            int top = drawHeading(g);
            if (single) {
                paintAt(g, singleChart(w, h - top), 0, top, w, h - top);
                return;
            }
            int pw = w / cols;
            int ph = (h - top) / rows;
            for (int i = 0; i < curves.size(); i++) {
                int cx = (i % cols) * pw;
                int cy = top + (i / cols) * ph;
                paintAt(g, panel(curves.get(i), pw, ph), cx, cy, pw, ph);
            }
        }

        private int drawHeading(Graphics2D g) {
            int band = band();
            Font big = new Font(Font.SANS_SERIF, Font.BOLD, Math.max(13, Math.min(20, w / 60)));
            Font small = new Font(Font.SANS_SERIF, Font.PLAIN, Math.max(11, Math.min(14, w / 90)));
            g.setColor(new Color(0x222222));
            centred(g, heading, big, band / 2 - 2);
            g.setColor(new Color(0x555555));
            centred(g, subheading, small, -1);
            return band;
        }

        /** Draws {@code text} centred, in {@code font} or smaller (down to 8 pt) so that it fits, else cut with an ellipsis. */
        private FontMetrics centred(Graphics2D g, String text, Font font, int baseline) {
            Font f = font;
            g.setFont(f);
            FontMetrics fm = g.getFontMetrics();
            while (fm.stringWidth(text) > w - 12 && f.getSize() > 8) {
                f = f.deriveFont((float) (f.getSize() - 1));
                g.setFont(f);
                fm = g.getFontMetrics();
            }
            String t = text;
            while (fm.stringWidth(t) > w - 12 && t.length() > 2) {
                t = t.substring(0, t.length() - 2) + "…";
            }
            int y = baseline >= 0 ? baseline : band() / 2 + fm.getAscent() + 2;
            g.drawString(t, Math.max(6, (w - fm.stringWidth(t)) / 2), y);
            return fm;
        }

        private int band() {
            return single ? Math.min(TITLE_H, Math.max(44, h / 12)) : TITLE_H;
        }

        private void paintAt(Graphics2D g, XYChart chart, int cx, int cy, int cw, int ch) {
            AffineTransform saved = g.getTransform();
            g.translate(cx, cy);
            chart.paint(g, cw, ch); // XChart keeps within (0, 0, cw, ch) and clips its plot area itself
            g.setTransform(saved);
        }

        private XYChart panel(Curve c, int pw, int ph) {
            XYChart chart = new XYChartBuilder().width(pw).height(ph).title(c.title()).xAxisTitle("x").yAxisTitle("y").build();
            style(chart, Math.min(pw, ph) < 200);
            chart.getStyler().setLegendPosition(emptiestCorner(c));
            axes(chart, List.of(c));
            line(chart, "f(x) ∈ " + c.rangeText(), c.y(), FORWARD, 2.0f);
            if (c.dy() != null) {
                line(chart, "f′(x)", c.dy(), DERIVATIVE, 1.4f);
            }
            return chart;
        }

        private XYChart singleChart(int cw, int ch) {
            XYChart chart = new XYChartBuilder().width(cw).height(ch).title("").xAxisTitle("x")
                    .yAxisTitle(noDerivative ? "f(x)" : "f(x) thick,  f′(x) thin and lighter").build();
            style(chart, false);
            chart.getStyler().setChartTitleVisible(false);
            chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
            // many functions: the legend names each once (f′ shares its colour) so that it fits
            boolean derivativesInLegend = curves.size() <= 12;
            if (curves.size() > 20) {
                chart.getStyler().setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 10));
            }
            axes(chart, curves);
            for (int i = 0; i < curves.size(); i++) {
                Curve c = curves.get(i);
                Color col = color(i, curves.size());
                line(chart, c.title(), c.y(), col, 2.2f);
                if (c.dy() != null) {
                    XYSeries d = line(chart, c.f().activation().catalogueName() + "′", c.dy(),
                            new Color(col.getRed(), col.getGreen(), col.getBlue(), 150), 1.2f);
                    if (d != null) {
                        d.setShowInLegend(derivativesInLegend);
                    }
                }
            }
            return chart;
        }

        private void style(XYChart chart, boolean small) {
            XYStyler s = chart.getStyler();
            s.setChartBackgroundColor(Color.WHITE);
            s.setPlotBackgroundColor(Color.WHITE);
            s.setPlotBorderVisible(true);
            s.setPlotBorderColor(new Color(0xB0B0B0));
            s.setPlotGridLinesVisible(true);
            s.setPlotGridLinesColor(GRID);
            s.setPlotGridLinesStroke(new BasicStroke(1f));
            s.setChartTitleBoxVisible(false);
            s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, small ? 11 : 13));
            s.setChartTitlePadding(small ? 3 : 5);
            s.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, small ? 9 : 11));
            s.setLegendBackgroundColor(new Color(255, 255, 255, 215));
            s.setLegendBorderColor(new Color(0xC8C8C8));
            s.setLegendPadding(small ? 3 : 5);
            s.setLegendSeriesLineLength(small ? 16 : 24);
            s.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, small ? 9 : 11));
            s.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.ITALIC, small ? 10 : 12));
            s.setAxisTitlePadding(small ? 3 : 5);
            s.setAxisTickPadding(2);
            s.setAxisTickMarkLength(3);
            s.setChartPadding(small ? 4 : 8);
            s.setPlotMargin(3);
            s.setPlotContentSize(0.94);
            s.setAntiAlias(true);
            s.setToolTipsEnabled(false);
            s.setDecimalPattern("#0.###");
        }

        /** The inside corner of a panel whose box (a third of the width, a quarter of the height) holds the fewest points. */
        private Styler.LegendPosition emptiestCorner(Curve c) {
            double lo = Double.POSITIVE_INFINITY;
            double hi = Double.NEGATIVE_INFINITY;
            for (double[] ys : new double[][] {c.y(), c.dy()}) {
                if (ys != null) {
                    for (double v : ys) {
                        if (!Double.isNaN(v)) {
                            lo = Math.min(lo, v);
                            hi = Math.max(hi, v);
                        }
                    }
                }
            }
            double span = hi > lo ? hi - lo : 1;
            double x0 = x[0];
            double xs = x[x.length - 1] - x0;
            int[] count = new int[4]; // NW, NE, SW, SE
            for (double[] ys : new double[][] {c.y(), c.dy()}) {
                if (ys == null) {
                    continue;
                }
                for (int i = 0; i < ys.length; i++) {
                    if (Double.isNaN(ys[i])) {
                        continue;
                    }
                    double u = (x[i] - x0) / xs;
                    double v = (ys[i] - lo) / span;
                    boolean left = u <= 0.42;
                    boolean right = u >= 0.58;
                    boolean top = v >= 0.72;
                    boolean bottom = v <= 0.28;
                    count[0] += left && top ? 1 : 0;
                    count[1] += right && top ? 1 : 0;
                    count[2] += left && bottom ? 1 : 0;
                    count[3] += right && bottom ? 1 : 0;
                }
            }
            Styler.LegendPosition[] corners = {Styler.LegendPosition.InsideNW, Styler.LegendPosition.InsideNE,
                Styler.LegendPosition.InsideSW, Styler.LegendPosition.InsideSE};
            int best = 0;
            for (int k = 1; k < 4; k++) {
                if (count[k] < count[best]) {
                    best = k;
                }
            }
            return corners[best];
        }

        /** Light x = 0 and y = 0 lines, when they fall inside the plot, under the curves. */
        private void axes(XYChart chart, List<Curve> cs) {
            double lo = Double.POSITIVE_INFINITY;
            double hi = Double.NEGATIVE_INFINITY;
            for (Curve c : cs) {
                for (double[] ys : new double[][] {c.y(), c.dy()}) {
                    if (ys != null) {
                        for (double v : ys) {
                            if (!Double.isNaN(v)) {
                                lo = Math.min(lo, v);
                                hi = Math.max(hi, v);
                            }
                        }
                    }
                }
            }
            double x0 = x[0];
            double x1 = x[x.length - 1];
            if (lo <= 0 && hi >= 0) {
                hidden(chart, "y=0", new double[] {x0, x1}, new double[] {0, 0});
            }
            if (x0 <= 0 && x1 >= 0 && lo < hi) {
                hidden(chart, "x=0", new double[] {0, 0}, new double[] {lo, hi});
            }
        }

        private void hidden(XYChart chart, String name, double[] xs, double[] ys) {
            XYSeries s = chart.addSeries(name, xs, ys);
            s.setMarker(SeriesMarkers.NONE);
            s.setLineColor(AXIS);
            s.setLineStyle(new BasicStroke(1f));
            s.setShowInLegend(false);
        }

        // XChart strokes each segment on its own, so a dash pattern would restart at every point and
        // look solid: derivatives are told apart by colour (panels) or by weight and lightness (--single).
        private XYSeries line(XYChart chart, String name, double[] ys, Color color, float width) {
            boolean any = false;
            for (double v : ys) {
                any |= !Double.isNaN(v);
            }
            if (!any) {
                return null; // nothing finite to draw
            }
            String unique = name;
            for (int k = 2; chart.getSeriesMap().containsKey(unique); k++) {
                unique = name + " #" + k;
            }
            XYSeries s = chart.addSeries(unique, x, ys);
            s.setMarker(SeriesMarkers.NONE);
            s.setLineColor(color);
            s.setLineStyle(new BasicStroke(width, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
            return s;
        }
    }

    private static Color color(int i, int n) {
        if (n <= PALETTE.length) {
            return PALETTE[i];
        }
        float hue = (i * 0.618034f) % 1f; // golden-ratio steps: neighbours differ strongly
        float sat = i % 2 == 0 ? 0.85f : 0.65f;
        float bri = i % 3 == 0 ? 0.55f : i % 3 == 1 ? 0.75f : 0.90f;
        return Color.getHSBColor(hue, sat, bri);
    }

    // ---------------------------------------------------------------- output

    private void writePng(Figure fig, Path target) throws IOException {
        BufferedImage img = new BufferedImage(fig.w, fig.h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            fig.paint(g);
        } finally {
            g.dispose();
        }
        try (OutputStream os = Files.newOutputStream(target)) {
            if (!ImageIO.write(img, "png", os)) {
                throw new IOException("no PNG writer available");
            }
        }
    }

    private void writeSvg(Figure fig, Path target) throws IOException {
        VectorGraphics2D g = new VectorGraphics2D();
        fig.paint(g);
        g.dispose();
        try (OutputStream os = Files.newOutputStream(target)) {
            new SVGProcessor().getDocument(g.getCommands(), new PageSize(0, 0, fig.w, fig.h)).writeTo(os);
        }
    }

    private static Path temp(Path target) throws IOException {
        Path abs = target.toAbsolutePath().normalize();
        return Files.createTempFile(abs.getParent(), "." + abs.getFileName() + ".", ".tmp");
    }

    private static void moveIntoPlace(Path tmp, Path target) throws IOException {
        Path abs = target.toAbsolutePath().normalize();
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            // createTempFile makes the file private (rw-------); give the chart ordinary permissions
            Set<PosixFilePermission> perms = Files.exists(abs) ? Files.getPosixFilePermissions(abs)
                    : PosixFilePermissions.fromString("rw-r--r--");
            Files.setPosixFilePermissions(tmp, perms);
        }
        try {
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // best effort: the temporary file is hidden and named after the chart
            }
        }
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    private static double[] finiteOrNaN(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = Float.isFinite(a[i]) ? a[i] : Double.NaN;
        }
        return d;
    }
}
