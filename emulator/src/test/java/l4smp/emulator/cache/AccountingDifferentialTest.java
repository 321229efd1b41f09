package l4smp.emulator.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import l4smp.emulator.cost.CostModel;
import l4smp.emulator.memory.PhysicalMemory;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The accounting layer access by access against a straightforward reference model of the same
 * rules ({@link MemorySystem}'s class comment: MESI per line, inclusive LRU L1 and L2, the L2's
 * order seeing only L1 misses, Table 1 and 2 costs in centicycles through a per-CPU remainder,
 * the write stamps of timed accesses). The reference keeps each set as a list in LRU order and
 * each line's state in a map, with no fast path, no memo and no lazily summed counter: after
 * every access of a random sequence (reads, writes, locked read-modify-writes, timed and
 * untimed, several CPUs, repeats of the previous line and frame, conflicting sets, whole-cache
 * flushes) the returned cycles, the last outcome and every counter of every CPU must be equal.
 * The accesses go through {@link MemorySystem#accessAt} and through the CPU's
 * {@link MemorySystem#port} by turns at random (the port is what a CPU charges through).
 * Each sequence runs in both {@link DirectoryMode}s (a CAS per transition, or a plain store by
 * the one writer thread): both must match the reference, so they match each other.
 */
class AccountingDifferentialTest {

    private static final CostModel.MemoryHierarchy PIII = CostModel.PIII_450.memory();

    static List<Arguments> geometries() {
        List<Arguments> out = new ArrayList<>();
        for (Arguments g : baseGeometries()) {
            for (DirectoryMode mode : DirectoryMode.values()) {
                Object[] a = g.get();
                out.add(Arguments.of(a[0], a[1], a[2], mode));
            }
        }
        return out;
    }

    private static List<Arguments> baseGeometries() {
        return List.of(
                // L1 2 sets x 2 ways, L2 4 sets x 2 ways: an L2 victim shares the line's L1 set.
                Arguments.of("tiny", PIII.withCaches(128, 2, 256, 2), 2),
                // L1 4 sets x 1 way, L2 2 sets x 4 ways: an L2 victim may sit in another L1 set.
                Arguments.of("l1-more-sets", PIII.withCaches(128, 1, 256, 4), 3),
                // An L1 hit of 2.5 cycles: whole cycles and a fraction per hit.
                Arguments.of("slow-l1", withL1Hit(PIII.withCaches(256, 2, 1024, 4), 250), 2),
                // The Pentium III's own geometry (conflicts only among the pool's lines).
                Arguments.of("piii", PIII, 4));
    }

    @ParameterizedTest(name = "{0} {3}")
    @MethodSource("geometries")
    void everyFigureMatchesTheReferenceAccessByAccess(String name, CostModel.MemoryHierarchy h, int cpus,
                                                      DirectoryMode mode) {
        for (long seed = 1; seed <= 6; seed++) {
            compare(h, cpus, seed, 20_000, mode);
        }
    }

    private static CostModel.MemoryHierarchy withL1Hit(CostModel.MemoryHierarchy h, int l1HitCenti) {
        return new CostModel.MemoryHierarchy(h.lineBytes(), h.l1Bytes(), h.l1Ways(), h.l2Bytes(), h.l2Ways(),
                h.tlbEntries(), h.tlbWays(), l1HitCenti, h.l2HitCenti(), h.memoryCenti(),
                h.eToSCenti(), h.eToMCenti(), h.mToSCenti(), h.mToMCenti(), h.sToMCenti(),
                h.sharedFillCenti(), h.evictionWritebackCenti(), h.busLockCenti(), h.tlbMissCenti());
    }

    private static void compare(CostModel.MemoryHierarchy h, int cpus, long seed, int accesses, DirectoryMode mode) {
        final MemorySystem m = new MemorySystem(CostModel.PIII_450.withMemory(h), cpus, new PhysicalMemory(1 << 20), mode);
        assertEquals(mode, m.directoryMode());
        final Reference ref = new Reference(h, cpus);
        final SplittableRandom rnd = new SplittableRandom(seed);
        final int line = h.lineBytes();
        // A pool of lines: a few in one frame, a few a multiple of the L2's size apart (one set).
        final long[] pool = new long[24];
        for (int i = 0; i < pool.length; i++) {
            pool[i] = i < 8 ? 0x4000 + (long) i * line
                    : i < 16 ? 0x8000 + (long) (i - 8) * h.l2Bytes() / h.l2Ways()
                    : 0x20000 + (long) rnd.nextInt(256) * line;
        }
        final long[] clocks = new long[cpus];
        final long[] lastAddr = new long[cpus];
        Arrays.fill(lastAddr, pool[0]);
        for (int n = 0; n < accesses; n++) {
            final int cpu = rnd.nextInt(4) == 0 ? rnd.nextInt(cpus) : (n / 16) % cpus;
            if (rnd.nextInt(2000) == 0) {
                final int got = m.flushCaches(cpu);
                assertEquals(ref.flush(cpu), got, () -> "flush cycles");
                continue;
            }
            final int r = rnd.nextInt(10);
            final long addr = r < 3 ? lastAddr[cpu] + rnd.nextInt(4) * 4L             // the same line
                    : r < 5 ? (lastAddr[cpu] & ~4095L) + rnd.nextInt(4096 / line) * (long) line // the same frame
                    : pool[rnd.nextInt(pool.length)] + rnd.nextInt(line);
            final int k = rnd.nextInt(20);
            final AccessKind kind = k < 11 ? AccessKind.READ : k < 18 ? AccessKind.WRITE : AccessKind.LOCKED_RMW;
            final boolean timed = rnd.nextInt(3) != 0;
            final long now = timed ? clocks[cpu] : MemorySystem.UNTIMED;
            // Half through the CPU's port, as a Cpu charges its accesses, half through the layer.
            final int got = rnd.nextBoolean() ? m.port(cpu).accessAt(addr, kind, now) : m.accessAt(cpu, addr, kind, now);
            final int want = ref.access(cpu, addr, kind, now);
            final int step = n;
            assertEquals(want, got, () -> "cycles of access " + step + " (seed " + seed + ", cpu " + cpu + ", "
                    + kind + " 0x" + Long.toHexString(addr) + ")");
            assertEquals(ref.lastOutcome[cpu], m.lastOutcomePlain(cpu), () -> "outcome of access " + step);
            assertEquals(ref.lastInvalidations[cpu], m.lastInvalidationsPlain(cpu), () -> "invalidations of access " + step);
            for (int c = 0; c < cpus; c++) {
                final int cc = c;
                assertEquals(Arrays.toString(ref.counters[c]), Arrays.toString(m.snapshotOpaque(c)),
                        () -> "counters of CPU " + cc + " after access " + step + " (seed " + seed + ")");
            }
            if (timed) {
                clocks[cpu] += got + rnd.nextInt(3);
            }
            lastAddr[cpu] = addr;
        }
        m.checkInvariants().orThrow();
        assertTrue(ref.counters[0][MemoryEvent.L1_EVICTIONS.ordinal()] + ref.counters[0][MemoryEvent.L2_EVICTIONS.ordinal()] > 0
                || h == PIII, "the sequence evicts");
    }

    /** The rules of the layer, one access at a time, with sets as lists in LRU order. */
    private static final class Reference {
        private final CostModel.MemoryHierarchy h;
        private final int lineShift;
        /** [cpu][set]: lines, least recently used first. */
        private final List<List<Long>>[] l1;
        private final List<List<Long>>[] l2;
        /** Line -&gt; state: owner &gt;= 0 (E or M) or sharers. */
        private final Map<Long, long[]> directory = new HashMap<>();
        private final Map<Long, Long> writeStamps = new HashMap<>();
        final long[][] counters;
        final long[] remainder;
        final AccessOutcome[] lastOutcome;
        final int[] lastInvalidations;

        @SuppressWarnings("unchecked")
        Reference(CostModel.MemoryHierarchy h, int cpus) {
            this.h = h;
            this.lineShift = h.lineShift();
            this.l1 = new List[cpus];
            this.l2 = new List[cpus];
            for (int c = 0; c < cpus; c++) {
                l1[c] = sets(h.l1Sets());
                l2[c] = sets(h.l2Sets());
            }
            this.counters = new long[cpus][MemoryEvent.values().length];
            this.remainder = new long[cpus];
            this.lastOutcome = new AccessOutcome[cpus];
            this.lastInvalidations = new int[cpus];
        }

        private static List<List<Long>> sets(int n) {
            List<List<Long>> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                out.add(new ArrayList<>());
            }
            return out;
        }

        /** State of a line: {owner or -1, dirty 0/1, sharer mask}. */
        private long[] state(long line) {
            return directory.computeIfAbsent(line, l -> new long[] {-1, 0, 0});
        }

        private static boolean holds(long[] st, int cpu) {
            return st[0] >= 0 ? st[0] == cpu : ((st[2] >>> cpu) & 1) != 0;
        }

        private void count(int cpu, MemoryEvent e, long n) {
            counters[cpu][e.ordinal()] += n;
        }

        private int cyclesOf(int cpu, long centi) {
            count(cpu, MemoryEvent.CENTICYCLES, centi);
            final long sum = remainder[cpu] + centi;
            remainder[cpu] = sum % 100;
            return (int) (sum / 100);
        }

        /** Drops a line this CPU evicts from its L2 (and so its L1); extra centicycles. */
        private long evict(int cpu, long victim) {
            l1[cpu].get((int) (victim % h.l1Sets())).remove(victim);
            final long[] st = state(victim);
            if (!holds(st, cpu)) {
                return 0;                                    // an invalidated copy
            }
            count(cpu, MemoryEvent.L2_EVICTIONS, 1);
            if (st[0] >= 0) {
                final boolean dirty = st[1] != 0;
                st[0] = -1;
                st[1] = 0;
                if (dirty) {
                    count(cpu, MemoryEvent.EVICTION_WRITEBACKS, 1);
                    return h.evictionWritebackCenti();
                }
                return 0;
            }
            st[2] &= ~(1L << cpu);
            return 0;
        }

        int flush(int cpu) {
            long centi = 0;
            for (List<Long> set : l2[cpu]) {
                for (long victim : new ArrayList<>(set)) {
                    centi += evict(cpu, victim);
                }
                set.clear();
            }
            for (List<Long> set : l1[cpu]) {
                set.clear();
            }
            return cyclesOf(cpu, centi);
        }

        int access(int cpu, long addr, AccessKind kind, long now) {
            final long line = addr >>> lineShift;
            final List<Long> set1 = l1[cpu].get((int) (line % h.l1Sets()));
            final List<Long> set2 = l2[cpu].get((int) (line % h.l2Sets()));
            final boolean inL1 = set1.contains(line);
            final boolean inL2 = set2.contains(line);
            final boolean write = kind != AccessKind.READ;
            count(cpu, kind == AccessKind.READ ? MemoryEvent.READS
                    : kind == AccessKind.WRITE ? MemoryEvent.WRITES : MemoryEvent.LOCKED_RMWS, 1);
            long centi = 0;
            if (!inL2 && set2.size() == h.l2Ways()) {
                centi += evict(cpu, set2.remove(0));
            }
            final long[] st = state(line);
            final boolean mine = holds(st, cpu);
            AccessOutcome outcome;
            int invalidations = 0;
            boolean silent = false;
            if (mine) {
                outcome = inL1 ? AccessOutcome.L1_HIT : AccessOutcome.L2_HIT;
                if (write && !(st[0] == cpu && st[1] != 0)) {
                    if (st[0] == cpu) {
                        silent = true;
                    } else {
                        outcome = AccessOutcome.S_TO_M;
                        invalidations = Long.bitCount(st[2]) - 1;
                    }
                    st[0] = cpu;
                    st[1] = 1;
                    st[2] = 0;
                }
            } else if (!write) {
                if (st[0] < 0 && st[2] == 0) {
                    outcome = AccessOutcome.MEMORY;
                    st[0] = cpu;
                    st[1] = 0;
                } else if (st[0] >= 0) {
                    outcome = st[1] != 0 ? AccessOutcome.M_TO_S : AccessOutcome.E_TO_S;
                    st[2] = (1L << st[0]) | (1L << cpu);
                    st[0] = -1;
                    st[1] = 0;
                } else {
                    outcome = AccessOutcome.S_TO_S;
                    st[2] |= 1L << cpu;
                }
            } else {
                if (st[0] < 0 && st[2] == 0) {
                    outcome = AccessOutcome.MEMORY;
                } else if (st[0] >= 0) {
                    invalidations = 1;
                    outcome = st[1] != 0 ? AccessOutcome.M_TO_M : AccessOutcome.E_TO_M;
                } else {
                    invalidations = Long.bitCount(st[2]);
                    outcome = AccessOutcome.S_TO_M;
                }
                st[0] = cpu;
                st[1] = 1;
                st[2] = 0;
            }
            // LRU: the L2's order sees only L1 misses.
            if (inL1) {
                set1.remove(line);
                set1.add(line);
            } else {
                set2.remove(line);
                set2.add(line);
                if (set1.size() == h.l1Ways()) {
                    set1.remove(0);
                    count(cpu, MemoryEvent.L1_EVICTIONS, 1);
                }
                set1.add(line);
            }
            final boolean stale = inL2 && !mine;
            count(cpu, mine ? (inL1 ? MemoryEvent.L1_HITS : MemoryEvent.L2_HITS) : MemoryEvent.MEMORY_FILLS, 1);
            if (outcome.isCoherenceTransition()) {
                count(cpu, MemoryEvent.valueOf(outcome.name()), 1);
            }
            if (silent) {
                count(cpu, MemoryEvent.SILENT_E_TO_M, 1);
            }
            count(cpu, MemoryEvent.INVALIDATIONS_SENT, invalidations);
            if (outcome == AccessOutcome.M_TO_S || outcome == AccessOutcome.M_TO_M) {
                count(cpu, MemoryEvent.SNOOP_WRITEBACKS, 1);
            }
            if (stale) {
                count(cpu, MemoryEvent.INVALIDATED_COPY_MISSES, 1);
            }
            if (stale || outcome.isCoherenceTransition()) {
                count(cpu, MemoryEvent.COHERENCE_MISSES, 1);
            }
            centi += ReferenceCosts.centi(h, outcome);
            if (kind == AccessKind.LOCKED_RMW) {
                count(cpu, MemoryEvent.BUS_LOCKS, 1);
                centi += h.busLockCenti();
            }
            int cycles = cyclesOf(cpu, centi);
            if (now != MemorySystem.UNTIMED) {
                if (outcome == AccessOutcome.M_TO_S || outcome == AccessOutcome.M_TO_M) {
                    final long written = writeStamps.getOrDefault(line, 0L);
                    if (written > now) {
                        cycles += (int) Math.min(Integer.MAX_VALUE / 2, written - now);
                    }
                }
                if (write) {
                    writeStamps.put(line, now + cycles);
                }
            }
            lastOutcome[cpu] = outcome;
            lastInvalidations[cpu] = invalidations;
            return cycles;
        }
    }
}
