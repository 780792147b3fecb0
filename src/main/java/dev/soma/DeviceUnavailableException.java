package dev.soma;

/**
 * The device that was asked for by name, index or class ({@code gpu}, {@code cpu}, {@code 0:1},
 * {@code "A100"}) does not exist or cannot be used. Explicit requests never fall back silently.
 */
public final class DeviceUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DeviceUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
