package l4smp.emulator.cpu;

import java.util.Arrays;

/**
 * What one CPU last read of each other CPU in its order passes (parallel mode with exact
 * timing): the other CPU's effective clock, the run state it was computed from and the count of
 * interrupts that CPU had posted ({@link ConcurrentRunState#postCountAcquire}), so that a pass
 * reads again only the CPUs last seen below the cycle it waits for
 * ({@link ConcurrentRunState#minOrderBoundCachedAcquire}, where the block comment says when an
 * entry stays a valid bound).
 *
 * <p>Also two counts of what the passes did, for the tests that show what a pass reads:
 * {@link #passesPlain} and {@link #readsPlain} (reads of another CPU's run-state line).
 *
 * <p>Thread contract: owner CPU only (plain fields; the concurrency is in the run states it
 * caches). The two counts may be read by any thread after the owner's thread ended (the join
 * publishes them).
 */
public final class OrderPassCache {

    /**
     * An entry whose bound holds whatever is posted: read from a running CPU, whose effective
     * clock is its clock (which only grows). Every other run state but STOPPED gives an
     * {@link #IDLE_BOUND} entry: its effective clock is a published bound that a post can lower.
     */
    static final byte RUNNING_BOUND = 0;
    /**
     * An entry read from an idle or parked CPU (its next event or a pending arrival): an interrupt
     * posted to that CPU after the read may lower its effective clock below the entry.
     */
    static final byte IDLE_BOUND = 1;
    /** An entry read from a stopped CPU: it never acts again. */
    static final byte STOPPED_BOUND = 2;

    /** The effective clock last read of each CPU ({@code Long.MIN_VALUE}: never, or invalidated). */
    final long[] seen;
    /** The kind of each entry of {@link #seen}: {@link #RUNNING_BOUND}, {@link #IDLE_BOUND}, {@link #STOPPED_BOUND}. */
    final byte[] kind;
    /** Each CPU's count of posted interrupts as read right after its effective clock. */
    final long[] posts;
    long passes;
    long reads;

    /** An empty cache for a machine of {@code cpus} CPUs: the first pass reads every CPU. */
    public OrderPassCache(int cpus) {
        seen = new long[cpus];
        kind = new byte[cpus];
        posts = new long[cpus];
        Arrays.fill(seen, Long.MIN_VALUE);
        Arrays.fill(kind, IDLE_BOUND);
    }

    /**
     * This CPU posted an interrupt to CPU {@code target} that arrives at {@code arrival}: the
     * target acts from then on, so its entry may not stay above it (the poster's own posts are
     * in no count it compares: it never reads itself). Owner only.
     */
    public void lowerTo(int target, long arrival) {
        if (arrival < seen[target]) {
            seen[target] = arrival;
            // An idle bound from now on: a pass reads it again once the cycle passes it (a
            // stopped entry, trusted whatever the cycle, would hold the bound there for good).
            kind[target] = IDLE_BOUND;
        }
    }

    /** Order passes run so far (each repetition of a pass that saw a post counts once more). Owner only. */
    public long passesPlain() {
        return passes;
    }

    /** Reads of another CPU's run-state line (its clock line) by the passes so far. Owner only. */
    public long readsPlain() {
        return reads;
    }

    /** Forgets every IDLE_BOUND entry: a CPU posted since the pass last read it. */
    void invalidateIdleEntries() {
        for (int i = 0; i < kind.length; i++) {
            if (kind[i] == IDLE_BOUND) {
                seen[i] = Long.MIN_VALUE;
            }
        }
    }
}
