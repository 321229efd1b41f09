package l4smp.emulator.cpu;

/**
 * What a CPU's host thread does when a duty cycle found no work (Agrona's {@code IdleStrategy}).
 *
 * <p>Owner CPU only: an instance holds the back-off state of one CPU.
 */
public interface IdleStrategy {

    /**
     * Idles once. {@code boundedNanos} is the longest the call may block the host thread (a
     * CPU with a pending timer re-checks simulated time at that period); {@code Long.MAX_VALUE}
     * means "until unparked".
     */
    void idle(long boundedNanos);

    /** Forgets the back-off state: the CPU found work. */
    void reset();

    /** Whether the back-off has reached its parking phase: the caller parks instead of idling. */
    boolean mayPark();

    /** How long the next park lasts (the back-off's current period, at most {@code bound}); advances the back-off. */
    long parkNanos(long bound);
}
