package l4smp.emulator.stats;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One CPU's counters: a padded {@code long[]} written by the owner CPU only, read by reporters
 * with opaque loads (a report taken while the machine runs sees each counter's value at some
 * recent instant; one taken after the machine stopped is exact).
 *
 * <p>The array has 16 longs (128 bytes, two cache lines with the adjacent-line prefetcher) of
 * padding at each end, so the counters of two CPUs never share a host cache line.
 */
public final class SingleWriterCounters {

    private static final int PAD = 16;
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    private final CounterNames names;
    private final long[] values;

    public SingleWriterCounters(CounterNames names) {
        this.names = names;
        this.values = new long[names.size() + 2 * PAD];
    }

    /** Adds one. Owner CPU only. */
    public void increment(int counter) {
        // Single writer: a plain read-modify-write, published with an opaque store so that a
        // reporter never reads a torn value.
        int i = counter + PAD;
        LONGS.setOpaque(values, i, values[i] + 1);
    }

    /** Adds {@code delta}. Owner CPU only. */
    public void add(int counter, long delta) {
        int i = counter + PAD;
        LONGS.setOpaque(values, i, values[i] + delta);
    }

    /** The counter's value; any thread. */
    public long valueOpaque(int counter) {
        return (long) LONGS.getOpaque(values, counter + PAD);
    }

    /** The counter's value by name; any thread. */
    public long valueOpaque(String name) {
        return valueOpaque(names.indexOf(name));
    }

    public CounterNames names() {
        return names;
    }
}
