package dev.soma.opencl;

/** A kernel program that did not build: carries the device, the options and the full build log. */
public final class BuildException extends OpenClException {
    private static final long serialVersionUID = 1L;

    private final String device;
    private final String program;
    private final String options;
    private final String log;

    public BuildException(String program, String device, String options, int status, String log) {
        super("clBuildProgram", status, "building " + program + " for " + device + " failed: "
                + statusName(status) + " (" + status + ") in clBuildProgram\noptions: " + options + "\nbuild log:\n"
                + (log == null || log.isBlank() ? "(empty)" : log.strip()));
        this.device = device;
        this.program = program;
        this.options = options;
        this.log = log == null ? "" : log;
    }

    public String device() {
        return device;
    }

    /** Which kernel family, e.g. {@code activations.cl}. */
    public String program() {
        return program;
    }

    public String options() {
        return options;
    }

    public String log() {
        return log;
    }
}
