package l4smp.emulator.cpu;

/**
 * The host platform thread of one simulated CPU in parallel mode. It carries its CPU in a field,
 * so that {@link Cpu#current()} (called on every L4 call) is a field read instead of a
 * thread-local lookup. Only the thread itself reads or writes the field.
 */
public final class CpuHostThread extends Thread {

    Cpu cpu;

    public CpuHostThread(String name, Runnable body) {
        super(null, body, name);
        setDaemon(true);
    }
}
