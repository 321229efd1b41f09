package l4smp.emulator.cpu;

/**
 * A CPU's cached lower bound of the simulated time at which any other CPU can still act on
 * shared state (parallel mode with exact timing: the lookahead of {@link Cpu}'s conservative
 * order). An interleaving point at or below the bound needs no look at the other CPUs; one
 * above it reads their effective clocks (those it last saw below its clock:
 * {@link ConcurrentRunState#minOrderBoundCachedAcquire}) and keeps what it saw ({@link #observed}).
 *
 * <p>Invariant: no other CPU acts below the bound later. A running CPU's clock only grows; an
 * idle CPU's effective clock drops only when an interrupt is posted to it, and that arrives at
 * the sender's clock plus the IPI latency (or a device's bus latency), above the bound of every
 * CPU that counted the sender at a clock no later than the post -- except the sender's own
 * bound, which did not count the sender: the sender lowers it to the arrival ({@link #lowerTo})
 * when it posts. The other CPUs are read one after the other, not as one snapshot: a pass
 * that reads the target before the post and the sender after it (the sender computed past the
 * arrival meanwhile, or went idle) would count neither, and its bound would lie above the
 * arrival; the order pass ({@link ConcurrentRunState#minOrderBoundCachedAcquire}) is kept only
 * when no CPU it read had posted an interrupt since its previous read of that CPU (each CPU counts
 * its own posts, before its next clock or state store).
 *
 * <p>Thread contract: owner CPU only (plain fields; the concurrency is in its inputs, the
 * other CPUs' {@link ConcurrentRunState}s and the interrupts this CPU posts).
 */
public final class OrderHorizon {

    private long bound = Long.MIN_VALUE;

    /** Whether an interaction at {@code clock} may go on without looking at the other CPUs. Owner only. */
    public boolean covers(long clock) {
        return clock <= bound;
    }

    /** Keeps {@code min}, the lowest effective clock of the other CPUs just read. Owner only. */
    public void observed(long min) {
        bound = min;
    }

    /**
     * An interrupt this CPU posted arrives at {@code arrival}: its target (idle, perhaps counted
     * with no bound) acts from then on, so the bound may not stay above it. Owner only.
     */
    public void lowerTo(long arrival) {
        if (arrival < bound) {
            bound = arrival;
        }
    }

    /** The bound, in simulated cycles ({@code Long.MIN_VALUE} before the first look). Owner only. */
    public long bound() {
        return bound;
    }
}
