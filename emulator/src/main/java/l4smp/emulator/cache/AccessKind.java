package l4smp.emulator.cache;

/** What a simulated memory access does to its line. */
public enum AccessKind {
    /** A load: needs the line in S, E or M. */
    READ,
    /** A store: needs the line in M (read-for-ownership if absent, invalidating other copies). */
    WRITE,
    /**
     * A locked read-modify-write ({@code xchg}, {@code lock cmpxchg}, {@code lock xadd},
     * {@code lock bts}): coherence like {@link #WRITE} (the Pentium snoops it as a write even
     * when the value does not change, appendix A), plus the cost of a bus lock.
     */
    LOCKED_RMW
}
