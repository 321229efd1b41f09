package l4smp.emulator.cache;

/**
 * How one access was served: a cache level, or the coherence transition it caused (which then
 * decides its cost). Transitions are named as in the thesis's Table 2: the state of the line in
 * the <em>other</em> CPU's cache, then the requester's resulting state.
 */
public enum AccessOutcome {
    /** Valid in the requester's L1, no bus transaction (includes a silent E&rarr;M upgrade). */
    L1_HIT(false),
    /** Valid in L2 only, no bus transaction. */
    L2_HIT(false),
    /** Served by memory over the bus; no other cache held the line. */
    MEMORY(false),
    /** Read of a line another CPU held E; both end S. */
    E_TO_S(true),
    /** Write of a line another CPU held E; it is invalidated, the requester ends M. */
    E_TO_M(true),
    /** Read of a line another CPU held M; written back, both end S. */
    M_TO_S(true),
    /** Write of a line another CPU held M; written back and invalidated, requester ends M. */
    M_TO_M(true),
    /** Write of a line held S (by others, maybe by the requester); the copies are invalidated. */
    S_TO_M(true),
    /** Read of a line that other CPUs hold S; the requester joins them in S. */
    S_TO_S(true);

    private final boolean coherence;

    AccessOutcome(boolean coherence) { this.coherence = coherence; }

    /** Whether the access was a coherence transaction (a snooped bus cycle involving S/E/M copies). */
    public boolean isCoherenceTransition() { return coherence; }

    private static final AccessOutcome[] VALUES = values();

    static AccessOutcome ofOrdinal(int ordinal) { return VALUES[ordinal]; }
}
