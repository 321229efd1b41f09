package l4smp.kernel.ipc;

/**
 * IPC timeouts, in simulated cycles relative to the start of the phase they bound: {@link #NEVER}
 * waits forever, {@link #ZERO} never waits, any other non-negative value waits at most that many
 * cycles (convert from microseconds with the machine's clock: {@code L4.micros(us)}). A
 * negative timeout is refused as a malformed argument.
 */
public final class Timeout {

    public static final long NEVER = Long.MAX_VALUE;
    public static final long ZERO = 0;

    private Timeout() {
    }

    public static boolean isValid(long timeout) {
        return timeout >= 0;
    }

    /**
     * The absolute deadline of a phase that starts at cycle {@code now} with a valid
     * {@code timeout}: {@link Long#MAX_VALUE} (never reached) for {@link #NEVER} and for a finite
     * timeout so long that {@code now + timeout} would pass it. A plain sum would wrap to a
     * negative deadline, and the longest timeouts would expire at once.
     */
    public static long deadline(long now, long timeout) {
        return timeout > Long.MAX_VALUE - now ? Long.MAX_VALUE : now + timeout;
    }

    public static String toString(long timeout) {
        return timeout == NEVER ? "never" : timeout == 0 ? "zero" : timeout + " cycles";
    }
}
