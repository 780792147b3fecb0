package dev.soma.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code soma}: the command line. Uses only the public API. */
@Command(name = "soma", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Neural-network activations on any OpenCL device, with a pure-Java fallback.",
        subcommands = {Probe.class, Bench.class, Plot.class, Apply.class, WarmupCommand.class, TuneCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"soma " + (v == null ? "(development build)" : v)};
        }
    }
}
