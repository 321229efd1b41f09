package l4smp.emulator.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import l4smp.emulator.cost.CostModel;
import l4smp.emulator.memory.PhysicalMemory;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs of plans ({@link MemorySystem.SingleWriterCpuPort#accessRun}) against the same accesses
 * charged one {@link MemorySystem.SingleWriterCpuPort#accessAt} call at a time, on two layers
 * fed the same random sequence: plan runs of CPU 0 with bases drawn from a few choices (so
 * that a plan's memo holds two runs and misses others), single reads and writes of every CPU
 * (misses of CPU 0's lines, another CPU's invalidations and timed reads of CPU 0's written
 * lines, which pay their write stamps), whole-cache flushes, and horizons that stop a run
 * part way. After every step the clocks, where each run stopped, the last outcome and every
 * counter of every CPU must be equal; a final pass of reads finds the same lines in each L1
 * (the LRU order). In {@link DirectoryMode#SINGLE_WRITER} runs must have been replayed from a
 * plan's memo (at least 20 per sequence), so the comparison covers the replay; it fails with a
 * memo that ignores the layer's epoch, and with a replay that stamps a written line at the
 * clock its access begins instead of the clock it completes.
 */
class MemoisedRunTest {

    private static final CostModel.MemoryHierarchy PIII = CostModel.PIII_450.memory();

    static List<Arguments> layers() {
        List<Arguments> out = new ArrayList<>();
        for (DirectoryMode mode : DirectoryMode.values()) {
            // The Pentium III's L1 (four-way), a tiny two-way L1 with conflicts, and an L1 hit of
            // 2.5 cycles (whole cycles and a fraction per hit).
            out.add(Arguments.of("piii", PIII, mode));
            out.add(Arguments.of("tiny", PIII.withCaches(256, 2, 1024, 4), mode));
            out.add(Arguments.of("slow-l1", withL1Hit(PIII.withCaches(1024, 4, 4096, 4), 250), mode));
        }
        return out;
    }

    private static CostModel.MemoryHierarchy withL1Hit(CostModel.MemoryHierarchy h, int l1HitCenti) {
        return new CostModel.MemoryHierarchy(h.lineBytes(), h.l1Bytes(), h.l1Ways(), h.l2Bytes(), h.l2Ways(),
                h.tlbEntries(), h.tlbWays(), l1HitCenti, h.l2HitCenti(), h.memoryCenti(),
                h.eToSCenti(), h.eToMCenti(), h.mToSCenti(), h.mToMCenti(), h.sToMCenti(),
                h.sharedFillCenti(), h.evictionWritebackCenti(), h.busLockCenti(), h.tlbMissCenti());
    }

    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("layers")
    void aRunLeavesEveryFigureAsItsSingleAccesses(String name, CostModel.MemoryHierarchy h, DirectoryMode mode) {
        for (long seed = 1; seed <= 4; seed++) {
            compare(h, mode, seed, 6_000);
        }
    }

    private static void compare(CostModel.MemoryHierarchy h, DirectoryMode mode, long seed, int steps) {
        final int cpus = 2;
        final CostModel cost = CostModel.PIII_450.withMemory(h);
        final MemorySystem runs = new MemorySystem(cost, cpus, new PhysicalMemory(1 << 20), mode);
        final MemorySystem singles = new MemorySystem(cost, cpus, new PhysicalMemory(1 << 20), mode);
        final SplittableRandom rnd = new SplittableRandom(seed);
        // Bases: two choices per base index, lines of a few frames (some in one L1 set).
        final long[][] baseChoices = {{0x10000, 0x10400}, {0x10040, 0x11000}, {0x12000, 0x10000 + 4096L * 4}};
        final int[][] planEntries = new int[5][];
        final SingleWriterAccessPlan[] plans = new SingleWriterAccessPlan[planEntries.length];
        for (int p = 0; p < plans.length; p++) {
            int[] e = new int[1 + rnd.nextInt(8)];
            for (int i = 0; i < e.length; i++) {
                int k = rnd.nextInt(20);
                AccessKind kind = k == 0 && p == 0 ? AccessKind.LOCKED_RMW : k < 10 ? AccessKind.READ : AccessKind.WRITE;
                e[i] = SingleWriterAccessPlan.entry(rnd.nextInt(3), kind, 4 * rnd.nextInt(24));
            }
            planEntries[p] = e;
            plans[p] = new SingleWriterAccessPlan(e);
        }
        final long[] clock = new long[cpus];
        int replayable = 0;
        int planRuns = 0;
        for (int step = 0; step < steps; step++) {
            final int op = rnd.nextInt(100);
            final int at = step;
            if (op < 90) {
                final int p = rnd.nextInt(plans.length);
                final long[] bases = {baseChoices[0][rnd.nextInt(2)], baseChoices[1][rnd.nextInt(8) == 0 ? 1 : 0],
                        baseChoices[2][rnd.nextInt(8) == 0 ? 1 : 0]};
                if (rnd.nextInt(16) == 0) {
                    bases[rnd.nextInt(3)] += 32L * rnd.nextInt(64); // now and then another line
                }
                final long horizon = rnd.nextInt(10) == 0 ? clock[0] + rnd.nextInt(6) : Long.MAX_VALUE;
                if (mode == DirectoryMode.SINGLE_WRITER && memoHolds(runs, plans[p], bases)) {
                    replayable++;
                }
                planRuns++;
                final MemorySystem.SingleWriterCpuPort port = runs.port(0);
                final List<Long> got = new ArrayList<>();
                long now = clock[0];
                int next = 0;
                do {
                    now = port.accessRun(bases, plans[p], next, planEntries[p].length, now, horizon);
                    next = port.runNextPlain();
                    got.add(now);
                    got.add((long) next);
                    got.add(port.runLastAtPlain());
                } while (next < planEntries[p].length);
                final List<Long> want = new ArrayList<>();
                long ref = clock[0];
                int i = 0;
                do {
                    long lastAt;
                    do {
                        int e = planEntries[p][i++];
                        lastAt = ref;
                        ref += singles.port(0).accessAt(bases[SingleWriterAccessPlan.base(e)] + SingleWriterAccessPlan.offset(e),
                                SingleWriterAccessPlan.kind(e), ref);
                    } while (i < planEntries[p].length && ref <= horizon);
                    want.add(ref);
                    want.add((long) i);
                    want.add(lastAt);
                } while (i < planEntries[p].length);
                assertEquals(want, got, () -> "clocks, stops and last starts of the run at step " + at);
                clock[0] = now;
            } else if (op < 99) {
                final int cpu = rnd.nextInt(cpus);
                final long addr = baseChoices[rnd.nextInt(3)][rnd.nextInt(2)] + 4L * rnd.nextInt(48)
                        + (rnd.nextInt(8) == 0 ? 4096L * 8 * rnd.nextInt(4) : 0);
                final AccessKind kind = AccessKind.values()[rnd.nextInt(3)];
                final int a = runs.accessAt(cpu, addr, kind, clock[cpu]);
                final int b = singles.accessAt(cpu, addr, kind, clock[cpu]);
                assertEquals(b, a, () -> "cycles of the single access at step " + at);
                clock[cpu] += a;
            } else {
                final int cpu = rnd.nextInt(cpus);
                assertEquals(singles.flushCaches(cpu), runs.flushCaches(cpu), () -> "flush at step " + at);
            }
            for (int c = 0; c < cpus; c++) {
                final int cc = c;
                assertEquals(singles.lastOutcomePlain(c), runs.lastOutcomePlain(c), () -> "outcome of CPU " + cc + " at step " + at);
                assertEquals(Arrays.toString(singles.snapshotOpaque(c)), Arrays.toString(runs.snapshotOpaque(c)),
                        () -> "counters of CPU " + cc + " at step " + at);
            }
        }
        // The LRU order: the same reads find the same lines in each CPU's caches.
        for (long[] choice : baseChoices) {
            for (long base : choice) {
                for (long a = base; a < base + 96; a += 32) {
                    assertEquals(singles.accessAt(0, a, AccessKind.READ, MemorySystem.UNTIMED),
                            runs.accessAt(0, a, AccessKind.READ, MemorySystem.UNTIMED), "final read of " + a);
                }
            }
        }
        if (mode == DirectoryMode.SINGLE_WRITER) {
            final int r = replayable;
            final int n = planRuns;
            assertTrue(r >= 20, () -> "only " + r + " of " + n + " runs found in a memo");
        }
    }

    /**
     * A plan with a locked access to a line the CPU holds M in its L1: the access is served by
     * L1 (the port's short path for it) but is no plain hit -- it counts a locked access and a
     * bus lock and costs the bus lock -- so a run with it is never replayed as a run of hits.
     * Each run must leave the figures of its single accesses, run after run (it fails with a
     * locked L1 hit that leaves the epoch of a single-writer layer where it was: the second run
     * is then noted, the third filled and replayed without the bus lock).
     */
    @ParameterizedTest(name = "{0} {2}")
    @MethodSource("layers")
    void aRunWithALockedHitIsChargedAsItsSingleAccesses(String name, CostModel.MemoryHierarchy h, DirectoryMode mode) {
        final CostModel cost = CostModel.PIII_450.withMemory(h);
        final MemorySystem runs = new MemorySystem(cost, 1, new PhysicalMemory(1 << 20), mode);
        final MemorySystem singles = new MemorySystem(cost, 1, new PhysicalMemory(1 << 20), mode);
        final int[] entries = {SingleWriterAccessPlan.entry(0, AccessKind.WRITE, 0),
                SingleWriterAccessPlan.entry(0, AccessKind.LOCKED_RMW, 4),
                SingleWriterAccessPlan.entry(1, AccessKind.READ, 0),
                SingleWriterAccessPlan.entry(0, AccessKind.LOCKED_RMW, 8)};
        final SingleWriterAccessPlan plan = new SingleWriterAccessPlan(entries);
        final long[] bases = {0x10000, 0x11040};
        long runClock = 0;
        long singleClock = 0;
        for (int round = 0; round < 4; round++) {
            runClock = runs.port(0).accessRun(bases, plan, 0, entries.length, runClock, Long.MAX_VALUE);
            for (int e : entries) {
                singleClock += singles.port(0).accessAt(SingleWriterAccessPlan.address(bases, e),
                        SingleWriterAccessPlan.kind(e), singleClock);
            }
            final int r = round;
            assertEquals(singleClock, runClock, () -> "clock after run " + r);
            assertEquals(Arrays.toString(singles.snapshotOpaque(0)), Arrays.toString(runs.snapshotOpaque(0)),
                    () -> "counters after run " + r);
        }
        assertEquals(8, runs.countOpaque(0, MemoryEvent.BUS_LOCKS), "a bus lock per locked access");
    }

    /** Whether a way of {@code plan}'s memo holds the run with {@code bases} now (it will be replayed, horizon permitting). */
    private static boolean memoHolds(MemorySystem m, SingleWriterAccessPlan plan, long[] bases) {
        for (SingleWriterAccessPlan.Memo way : new SingleWriterAccessPlan.Memo[] {plan.recent, plan.older}) {
            if (way.epoch != m.singleWriterEpoch || way.owner != m.port(0) || way.count != plan.length()) {
                continue;
            }
            boolean same = true;
            for (int j = 0; j < plan.usedBases.length; j++) {
                same &= way.key[j] == bases[plan.usedBases[j]];
            }
            if (same) {
                return true;
            }
        }
        return false;
    }
}
