package l4smp.emulator.cache;

/**
 * The per-CPU counters of the accounting layer. Each access counts exactly one of
 * {@link #L1_HITS}, {@link #L2_HITS}, {@link #MEMORY_FILLS} (where the data came from), at most
 * one transition ({@link #E_TO_S} ... {@link #S_TO_S}, {@link #SILENT_E_TO_M}), and the side
 * effects it caused (invalidations, write-backs, evictions, bus locks).
 */
public enum MemoryEvent {
    READS, WRITES, LOCKED_RMWS,
    /** Served by a valid copy in L1. */
    L1_HITS,
    /** Served by a valid copy in L2 (L1 miss). */
    L2_HITS,
    /** Served over the bus: from memory or from another CPU's cache (L2 miss or invalidated copy). */
    MEMORY_FILLS,
    E_TO_S, E_TO_M, M_TO_S, M_TO_M, S_TO_M, S_TO_S,
    /** A write to the requester's own E line: E&rarr;M without a bus cycle. */
    SILENT_E_TO_M,
    /** Other CPUs' copies this CPU's accesses invalidated. */
    INVALIDATIONS_SENT,
    /** Accesses that found this CPU's own copy invalidated by another CPU (tag still present). */
    INVALIDATED_COPY_MISSES,
    /** Accesses that were coherence transitions or found their copy invalidated. */
    COHERENCE_MISSES,
    /** Modified lines of other CPUs written back because this CPU's access snooped them. */
    SNOOP_WRITEBACKS,
    /** Modified lines this CPU wrote back when evicting them from its L2. */
    EVICTION_WRITEBACKS,
    L1_EVICTIONS,
    /** Lines evicted from L2 (and so from L1: the L2 is inclusive) that were still valid. */
    L2_EVICTIONS,
    BUS_LOCKS,
    /** Directory CAS attempts that lost a race and were retried. */
    DIRECTORY_CAS_RETRIES,
    /** Simulated cycles charged by this layer, in centicycles (1/100 cycle). */
    CENTICYCLES,
    TLB_HITS, TLB_MISSES,
    /** Whole-TLB flushes (address-space switch, {@code mov cr3}). */
    TLB_FLUSHES,
    /** Single-entry invalidations ({@code invlpg}). */
    TLB_INVALIDATIONS,
    PAGE_WALKS,
    /** Writes that hit a TLB entry whose dirty bit was clear and so walked again to set it. */
    DIRTY_BIT_ASSISTS,
    PAGE_FAULTS;

    private static final MemoryEvent[] VALUES = values();

    static MemoryEvent ofOrdinal(int ordinal) { return VALUES[ordinal]; }
}
