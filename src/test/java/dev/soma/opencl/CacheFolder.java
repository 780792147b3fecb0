package dev.soma.opencl;

/**
 * Points soma's program binary cache ({@link BinaryCache#PROPERTY}) somewhere for the length of a
 * test, and puts the previous setting back on {@link #close()}.
 */
final class CacheFolder implements AutoCloseable {

    private final String saved;

    private CacheFolder(String value) {
        saved = System.getProperty(BinaryCache.PROPERTY);
        System.setProperty(BinaryCache.PROPERTY, value);
    }

    /** Uses {@code value} (a folder, or {@code none}) until the returned object is closed. */
    static CacheFolder use(String value) {
        return new CacheFolder(value);
    }

    @Override
    public void close() {
        if (saved == null) {
            System.clearProperty(BinaryCache.PROPERTY);
        } else {
            System.setProperty(BinaryCache.PROPERTY, saved);
        }
    }
}
