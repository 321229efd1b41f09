package l4smp.kernel;

/**
 * A CPU's record of probe IPIs ({@link Kernel#PROBE_VECTOR}): for each, when it was sent (the
 * end of the sender's ICR write) and when its handler ran here. Keeps the first {@code capacity}
 * samples and counts all. Owner CPU writes; read after the machine stopped.
 */
public final class ProbeLog {

    private final long[] sent;
    private final long[] handled;
    private int size;
    private long count;

    public ProbeLog(int capacity) {
        this.sent = new long[capacity];
        this.handled = new long[capacity];
    }

    void record(long sentAt, long handlerClock) {
        if (size < sent.length) {
            sent[size] = sentAt;
            handled[size] = handlerClock;
            size++;
        }
        count++;
    }

    /** Probe IPIs handled. */
    public long count() {
        return count;
    }

    /** Samples kept. */
    public int size() {
        return size;
    }

    public long sentAt(int i) {
        return sent[i];
    }

    public long handledAt(int i) {
        return handled[i];
    }
}
