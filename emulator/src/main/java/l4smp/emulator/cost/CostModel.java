package l4smp.emulator.cost;

import java.util.Locale;

/**
 * The cycle costs of the simulated machine: what every simulated event charges to the clock of
 * the CPU that executes it.
 *
 * <p>Immutable and thread-safe. A preset is chosen by name ({@link #preset(String)}); presets are
 * calibrated from measurements on real hardware, with the source named at each figure.
 *
 * <p>Figures that are <em>inputs</em> (taken from a measurement) are named for the measured
 * event; nothing here names a figure that the thesis <em>derives</em> (docs/thesis-claims.md, block
 * "Derived"): those must emerge from the paths that the emulator and the kernel really run.
 */
public final class CostModel {

    /** Dual Pentium III at 450 MHz, 32-byte lines: the thesis's machine (sections 3.2, 3.3.1). */
    public static final CostModel PIII_450 = new CostModel(
            "PIII_450",
            450,
            // 3.3.1: "For the kernel entry phase I measured between 120 to 160 cycles."
            140,
            // 3.3.1: "The exiting phase costs between 170 to 250 cycles."
            210,
            // 3.3.1: "triggering the send in the ICR takes about 40 cycles".
            40,
            // 3.3.1: 1230-1250 cycles measured with polling, of which about 200 are the
            // polling protocol itself (40 ICR + 20 IRR poll + 140 line transfers): about
            // 1030 cycles from the ICR write to the arrival in the target's IRR.
            1030,
            // 3.3.1: the target polls the IRR: "another 20 for polling for the IRR to change".
            20,
            // One iteration of a pause-loop on a line the CPU holds: an L1 hit (Table 1:
            // 0.98 cycles per line) plus the loop's compare and branch; PIII has no pause delay.
            3);

    /**
     * Pentium 4 (NetBurst, 2 GHz, 64-byte lines). These are order-of-magnitude figures for a
     * 20-stage pipeline, where a trap, an iret and an APIC access each drain the pipeline;
     * they are not calibrated against a measurement in the thesis, which measured a PIII only.
     */
    public static final CostModel P4 = new CostModel(
            "P4",
            2000,
            400,
            500,
            80,
            2000,
            60,
            25,
            MemoryHierarchy.P4);

    private final String name;
    private final int clockMhz;
    private final int kernelEntryCycles;
    private final int kernelExitCycles;
    private final int ipiIcrWriteCycles;
    private final int ipiDeliveryCycles;
    private final int ipiIrrPollCycles;
    private final int spinIterationCycles;
    private final MemoryHierarchy memory;

    /**
     * A model whose memory hierarchy is the Pentium III's ({@link MemoryHierarchy#PIII_450});
     * kept for callers that only set the kernel and IPI figures.
     */
    public CostModel(String name, int clockMhz, int kernelEntryCycles, int kernelExitCycles,
                     int ipiIcrWriteCycles, int ipiDeliveryCycles, int ipiIrrPollCycles,
                     int spinIterationCycles) {
        this(name, clockMhz, kernelEntryCycles, kernelExitCycles, ipiIcrWriteCycles,
                ipiDeliveryCycles, ipiIrrPollCycles, spinIterationCycles, MemoryHierarchy.PIII_450);
    }

    public CostModel(String name, int clockMhz, int kernelEntryCycles, int kernelExitCycles,
                     int ipiIcrWriteCycles, int ipiDeliveryCycles, int ipiIrrPollCycles,
                     int spinIterationCycles, MemoryHierarchy memory) {
        if (memory == null) {
            throw new IllegalArgumentException("memory hierarchy must be given in " + name);
        }
        if (clockMhz <= 0) {
            throw new IllegalArgumentException("clockMhz must be positive: " + clockMhz);
        }
        if (kernelEntryCycles < 0 || kernelExitCycles < 0 || ipiIcrWriteCycles < 0
                || ipiDeliveryCycles < 0 || ipiIrrPollCycles < 0 || spinIterationCycles <= 0) {
            throw new IllegalArgumentException("cycle costs must be non-negative (spin > 0) in " + name);
        }
        this.name = name;
        this.clockMhz = clockMhz;
        this.kernelEntryCycles = kernelEntryCycles;
        this.kernelExitCycles = kernelExitCycles;
        this.ipiIcrWriteCycles = ipiIcrWriteCycles;
        this.ipiDeliveryCycles = ipiDeliveryCycles;
        this.ipiIrrPollCycles = ipiIrrPollCycles;
        this.spinIterationCycles = spinIterationCycles;
        this.memory = memory;
    }

    /** The preset of that name (case-insensitive): {@code PIII_450} or {@code P4}. */
    public static CostModel preset(String name) {
        return switch (name.toUpperCase(Locale.ROOT)) {
            case "PIII_450", "PIII-450", "PIII" -> PIII_450;
            case "P4" -> P4;
            default -> throw new IllegalArgumentException(
                    "unknown cost-model preset '" + name + "' (known: PIII_450, P4)");
        };
    }

    public String name() { return name; }

    /** Core clock in MHz: converts simulated cycles to simulated time. */
    public int clockMhz() { return clockMhz; }

    /** Cycles from the trap (or interrupt) to the first instruction of the kernel handler. */
    public int kernelEntryCycles() { return kernelEntryCycles; }

    /** Cycles from the kernel's return instruction to the first user instruction. */
    public int kernelExitCycles() { return kernelExitCycles; }

    /** Cycles the sender spends writing the interrupt command register. */
    public int ipiIcrWriteCycles() { return ipiIcrWriteCycles; }

    /** Cycles from the end of the ICR write to the IPI's arrival at the target's local APIC. */
    public int ipiDeliveryCycles() { return ipiDeliveryCycles; }

    /** Cycles of one read of the local APIC's interrupt request register. */
    public int ipiIrrPollCycles() { return ipiIrrPollCycles; }

    /** Cycles of one iteration of a spin-wait loop on a locally cached line. */
    public int spinIterationCycles() { return spinIterationCycles; }

    /** Geometry and cycle costs of caches, coherence, TLB and bus locks. */
    public MemoryHierarchy memory() { return memory; }

    /** Bytes per cache line (32 on the Pentium III, 64 on the P4). */
    public int lineBytes() { return memory.lineBytes(); }

    /** This model with another memory hierarchy (e.g. a tiny geometry for stress tests). */
    public CostModel withMemory(MemoryHierarchy newMemory) {
        return new CostModel(name, clockMhz, kernelEntryCycles, kernelExitCycles, ipiIcrWriteCycles,
                ipiDeliveryCycles, ipiIrrPollCycles, spinIterationCycles, newMemory);
    }

    /** Simulated nanoseconds of {@code cycles} on this model's clock. */
    public double cyclesToNanos(long cycles) {
        return cycles * 1000.0 / clockMhz;
    }

    /** Simulated cycles of {@code micros} microseconds on this model's clock. */
    public long microsToCycles(double micros) {
        return Math.round(micros * clockMhz);
    }

    @Override
    public String toString() {
        return name;
    }

    /**
     * Geometry and cycle costs of the memory hierarchy: the L1 and L2 caches, the MESI
     * coherence transitions, the data TLB and locked read-modify-writes.
     *
     * <p><b>Fixed point.</b> Every cost is in <em>centicycles</em> (1/100 cycle). The thesis
     * gives Table 1 and Table 2 to two decimals (e.g. 0.98 cycles for an L1 hit), so they are
     * held exactly; the accounting layer ({@code l4smp.emulator.cache.MemorySystem}) sums
     * centicycles per CPU and hands whole cycles to the CPU's clock, carrying the remainder to
     * the next access, so averages over many accesses come back exact to 1/100 cycle.
     *
     * <p><b>What the coherence figures mean.</b> A coherence figure is the whole cost of the
     * requesting CPU's access (it replaces the L2-miss figure, it is not added to it), named as
     * in Table 2 by the state of the line in the <em>other</em> CPU's cache and the state that
     * the access leaves in the requester's: E&rarr;S is a read of a line another CPU holds
     * exclusive-clean, M&rarr;M a write of a line another CPU holds modified, S&rarr;M a write
     * of a line that others (and maybe the requester) hold shared.
     *
     * @param lineBytes              bytes per cache line (power of two)
     * @param l1Bytes                L1 data cache size
     * @param l1Ways                 L1 associativity
     * @param l2Bytes                L2 cache size (inclusive of L1 in this model)
     * @param l2Ways                 L2 associativity
     * @param tlbEntries             data TLB entries (4 KB pages)
     * @param tlbWays                data TLB associativity ({@code tlbEntries} = fully associative)
     * @param l1HitCenti             a read or write that hits in L1
     * @param l2HitCenti             L1 miss, L2 hit
     * @param memoryCenti            L2 miss served by memory, no other cache holding the line
     * @param eToSCenti              read of a line another CPU holds E (both end S)
     * @param eToMCenti              write of a line another CPU holds E (it is invalidated)
     * @param mToSCenti              read of a line another CPU holds M (write-back, both end S)
     * @param mToMCenti              write of a line another CPU holds M (write-back, invalidated)
     * @param sToMCenti              write of a line held S (the other copies are invalidated)
     * @param sharedFillCenti        read of a line that other CPUs hold S (requester ends S)
     * @param evictionWritebackCenti extra cost of an access whose L2 fill evicts a modified line
     * @param busLockCenti           extra cost of a locked read-modify-write (xchg, cmpxchg, xadd)
     * @param tlbMissCenti           extra cost of a TLB miss beyond the walk's own PTE accesses
     *                               (which are charged as cache accesses)
     */
    public record MemoryHierarchy(
            int lineBytes, int l1Bytes, int l1Ways, int l2Bytes, int l2Ways,
            int tlbEntries, int tlbWays,
            int l1HitCenti, int l2HitCenti, int memoryCenti,
            int eToSCenti, int eToMCenti, int mToSCenti, int mToMCenti, int sToMCenti,
            int sharedFillCenti, int evictionWritebackCenti, int busLockCenti, int tlbMissCenti) {

        /**
         * The thesis's dual Pentium III 450 MHz (Katmai) on a 440BX board, section 3.2.
         * Costs: Table 1 and Table 2 ("cycles per line" column), exact in centicycles.
         */
        public static final MemoryHierarchy PIII_450 = new MemoryHierarchy(
                // 3.1: "Both caches have 32 byte wide cachelines".
                32,
                // 3.2: "a 16 KB 4 way set associative level 1 and a 512 KB level 2 cache".
                16 * 1024, 4,
                // The thesis gives no L2 associativity. The 512 KB off-die L2 of the 450 MHz
                // Katmai is 4-way set associative with 32-byte lines (Intel's CPUID leaf 2
                // descriptor 43h, "2nd-level cache: 512 KB, 4-way, 32 byte line", which these
                // parts report); the on-die 256 KB Coppermine L2 is the 8-way one.
                512 * 1024, 4,
                // P6 family data TLB for 4 KB pages: 64 entries, 4-way set associative (Intel
                // P6-family documentation: CPUID descriptor 03h, "Data TLB: 4 KB pages,
                // 4-way, 64 entries").
                64, 4,
                // Table 1, "cycles per line": L1 hit 0.98, L1 miss 7.53, L2 miss 42.57.
                98, 753, 4257,
                // Table 2, "cycles per line": E to S 63.82, E to M 49.23, M to S 89.52,
                // M to M 89.39, S to M 49.23.
                6382, 4923, 8952, 8939, 4923,
                // Estimate (not in the tables): reading a line that others hold S is snooped
                // like a read of an E line (the other caches must answer HIT#), so it costs
                // the E to S figure.
                6382,
                // Derived from Table 2, not measured: on the 440BX a dirty line goes to memory
                // before it can be used (3.2.2), so writing one back costs the difference
                // M to S - E to S = 89.52 - 63.82 = 25.70 cycles.
                2570,
                // Estimate, no measurement in the thesis: a locked instruction drains the P6
                // store buffer and serialises; charged as about 20 cycles on top of the line's
                // own (write) cost.
                2000,
                // Estimate: the P6 page walker's own work beyond its two PTE reads (which are
                // cache accesses, 3.1) and the TLB refill, a few cycles.
                500);

        /**
         * Pentium 4 (NetBurst, 2 GHz class, 64-byte lines). Apart from the geometry and the
         * L1/L2 latencies, these figures are ESTIMATES: the thesis measured a PIII only.
         */
        public static final MemoryHierarchy P4 = new MemoryHierarchy(
                // G. Hinton et al., "The Microarchitecture of the Pentium 4 Processor", Intel
                // Technology Journal, Q1 2001: 8 KB 4-way L1 data cache with 64-byte lines.
                64,
                8 * 1024, 4,
                // Same paper: 256 KB 8-way L2 (128-byte lines in two 64-byte sectors, modelled
                // as 64-byte lines). 512 KB is the later Northwood L2, same associativity.
                512 * 1024, 8,
                // Estimate: 64-entry fully associative data TLB (commonly documented for
                // NetBurst; not verified against an Intel manual here).
                64, 64,
                // Hinton et al. 2001: "2-clock load-use latency" (integer loads) for L1 and
                // "7 clocks" net load latency for the L2.
                200, 700,
                // Estimate: about 125 ns DRAM latency (400 MHz FSB, RDRAM/DDR) at 2 GHz.
                25000,
                // Estimates: Table 2's ratios to the L2 miss (E to S 1.50, E to M and S to M
                // 1.157, M to S 2.103, M to M 2.100) applied to the P4 memory estimate.
                37500, 28925, 52575, 52500, 28925,
                // Estimate: as on the PIII, a read of a shared line costs the E to S figure.
                37500,
                // Estimate: M to S - E to S, as derived for the PIII.
                15075,
                // Estimate: locked instructions on NetBurst are slow, order of 100 cycles.
                10000,
                // Estimate: page walker overhead beyond its PTE accesses.
                2000);

        public MemoryHierarchy {
            requirePowerOfTwo("lineBytes", lineBytes);
            if (lineBytes < 8 || lineBytes > 4096) {
                throw new IllegalArgumentException("lineBytes must be in [8, 4096]: " + lineBytes);
            }
            requireCache("L1", l1Bytes, l1Ways, lineBytes);
            requireCache("L2", l2Bytes, l2Ways, lineBytes);
            if (l2Bytes < l1Bytes) {
                throw new IllegalArgumentException("the inclusive L2 must not be smaller than L1");
            }
            if (tlbEntries <= 0 || tlbWays <= 0 || tlbEntries % tlbWays != 0) {
                throw new IllegalArgumentException("bad TLB geometry " + tlbEntries + "/" + tlbWays);
            }
            requirePowerOfTwo("TLB sets", tlbEntries / tlbWays);
            int[] costs = {l1HitCenti, l2HitCenti, memoryCenti, eToSCenti, eToMCenti, mToSCenti,
                    mToMCenti, sToMCenti, sharedFillCenti, evictionWritebackCenti, busLockCenti,
                    tlbMissCenti};
            for (int c : costs) {
                if (c < 0) {
                    throw new IllegalArgumentException("memory costs must be non-negative");
                }
            }
        }

        /** Sets of L1 (lines / ways). */
        public int l1Sets() { return l1Bytes / lineBytes / l1Ways; }

        /** Sets of L2 (lines / ways). */
        public int l2Sets() { return l2Bytes / lineBytes / l2Ways; }

        /** Sets of the data TLB. */
        public int tlbSets() { return tlbEntries / tlbWays; }

        /** log2 of the line size. */
        public int lineShift() { return Integer.numberOfTrailingZeros(lineBytes); }

        /** This hierarchy with another cache geometry, same costs (tests, stress runs). */
        public MemoryHierarchy withCaches(int newL1Bytes, int newL1Ways, int newL2Bytes, int newL2Ways) {
            return new MemoryHierarchy(lineBytes, newL1Bytes, newL1Ways, newL2Bytes, newL2Ways,
                    tlbEntries, tlbWays, l1HitCenti, l2HitCenti, memoryCenti, eToSCenti, eToMCenti,
                    mToSCenti, mToMCenti, sToMCenti, sharedFillCenti, evictionWritebackCenti,
                    busLockCenti, tlbMissCenti);
        }

        /** This hierarchy with another TLB geometry, same costs. */
        public MemoryHierarchy withTlb(int newEntries, int newWays) {
            return new MemoryHierarchy(lineBytes, l1Bytes, l1Ways, l2Bytes, l2Ways,
                    newEntries, newWays, l1HitCenti, l2HitCenti, memoryCenti, eToSCenti, eToMCenti,
                    mToSCenti, mToMCenti, sToMCenti, sharedFillCenti, evictionWritebackCenti,
                    busLockCenti, tlbMissCenti);
        }

        private static void requirePowerOfTwo(String what, int v) {
            if (v <= 0 || Integer.bitCount(v) != 1) {
                throw new IllegalArgumentException(what + " must be a positive power of two: " + v);
            }
        }

        private static void requireCache(String level, int bytes, int ways, int lineBytes) {
            if (ways <= 0 || bytes <= 0 || bytes % (lineBytes * ways) != 0) {
                throw new IllegalArgumentException("bad " + level + " geometry: " + bytes + " B, "
                        + ways + " ways, " + lineBytes + " B lines");
            }
            requirePowerOfTwo(level + " sets", bytes / lineBytes / ways);
        }
    }
}
