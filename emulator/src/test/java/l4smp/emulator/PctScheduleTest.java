package l4smp.emulator;

import l4smp.emulator.cpu.Cpu;
import l4smp.emulator.testing.TestMachines;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The PCT strategy of the deterministic stepper: replayable by seed, and the bound of
 * Burckhardt et al. (ASPLOS 2010) on a synthetic ordering bug of depth 2.
 */
class PctScheduleTest {

    /** Steps of each CPU's program before and between its marked accesses. */
    private static final int GAP = 10;

    /**
     * The synthetic bug: CPU 0 sets a word to 1 and, {@value #GAP} steps later, to 2; CPU 1 reads
     * it once after {@value #GAP} steps of its own. The bug shows when CPU 1 reads 1: its read
     * must come after CPU 0's first write and before its second (two ordering constraints: depth
     * 2). Returns the value read, and records the order of the steps in {@code order}.
     */
    private static int run(long seed, ScheduleStrategy strategy, int depth, long k, List<String> order) {
        Machine m = new Machine(TestMachines.config(ExecutionMode.DETERMINISTIC, 2, seed)
                .strategy(strategy).pctDepth(depth).pctSteps(k).build());
        int[] word = new int[1];
        int[] read = new int[]{-1};
        m.cpu(0).install(TestMachines.once(cpu -> {
            steps(cpu, order);
            word[0] = 1;
            order.add("0:set1");
            steps(cpu, order);
            word[0] = 2;
            order.add("0:set2");
        }));
        m.cpu(1).install(TestMachines.once(cpu -> {
            steps(cpu, order);
            read[0] = word[0];
            order.add("1:read" + read[0]);
        }));
        Machine.RunOutcome outcome = m.run();
        assertTrue(outcome.ok(), outcome::toString);
        return read[0];
    }

    private static void steps(Cpu cpu, List<String> order) {
        for (int i = 0; i < GAP; i++) {
            cpu.interleave();
            cpu.advance(1);
            order.add(cpu.index() + ":" + i);
        }
    }

    @Test
    void theSameSeedGivesTheSameSchedule() {
        for (long seed = 1; seed <= 20; seed++) {
            List<String> a = new ArrayList<>();
            List<String> b = new ArrayList<>();
            run(seed, ScheduleStrategy.PCT, 3, 40, a);
            run(seed, ScheduleStrategy.PCT, 3, 40, b);
            assertEquals(a, b, "seed " + seed);
        }
    }

    @Test
    void differentSeedsGiveDifferentSchedules() {
        java.util.Set<List<String>> seen = new java.util.HashSet<>();
        for (long seed = 1; seed <= 20; seed++) {
            List<String> order = new ArrayList<>();
            run(seed, ScheduleStrategy.PCT, 3, 40, order);
            seen.add(order);
        }
        assertTrue(seen.size() > 3, "20 seeds gave " + seen.size() + " schedules");
    }

    @Test
    void depthOneNeverSplitsACpusRun() {
        // No change point: the higher-priority CPU runs until it idles, the other never reads 1.
        for (long seed = 1; seed <= 100; seed++) {
            int read = run(seed, ScheduleStrategy.PCT, 1, 40, new ArrayList<>());
            assertNotEquals(1, read, "seed " + seed);
        }
    }

    @Test
    void depthTwoFindsTheDepthTwoBugAtLeastAsOftenAsTheBound() {
        // n = 2 CPUs; k = the steps of a run: the stepper's count of one run, which the
        // schedule does not change (every step of both programs runs).
        List<String> probe = new ArrayList<>();
        long k = stepsOfOneRun();
        int seeds = 400;
        int found = 0;
        long first = -1;
        for (long seed = 1; seed <= seeds; seed++) {
            if (run(seed, ScheduleStrategy.PCT, 2, k, probe) == 1) {
                found++;
                if (first < 0) {
                    first = seed;
                }
            }
            probe.clear();
        }
        // The bound: at least 1/(n k) per run; 400 runs expect at least 400/(2k) finds.
        double bound = 1.0 / (2.0 * k);
        assertTrue(first > 0 && first <= 200, "PCT(d=2) found the bug first at seed " + first);
        assertTrue(found >= seeds * bound / 2, "found " + found + " of " + seeds + ", bound " + bound + " per run");
    }

    private static long stepsOfOneRun() {
        Machine m = new Machine(TestMachines.config(ExecutionMode.DETERMINISTIC, 2, 1)
                .strategy(ScheduleStrategy.PCT).pctDepth(1).build());
        m.cpu(0).install(TestMachines.once(cpu -> {
            steps(cpu, new ArrayList<>());
            steps(cpu, new ArrayList<>());
        }));
        m.cpu(1).install(TestMachines.once(cpu -> steps(cpu, new ArrayList<>())));
        m.run();
        assertTrue(m.deterministicSteps() > 3 * GAP, "steps " + m.deterministicSteps());
        return m.deterministicSteps();
    }

    @Test
    void theOtherStrategiesDrawNothingForPct() {
        // Adding PCT leaves the other strategies' schedules as they were: their runs draw only
        // from the machine's generator, seeded as before.
        List<String> a = new ArrayList<>();
        List<String> b = new ArrayList<>();
        run(5, ScheduleStrategy.RANDOM, 1, 1, a);
        run(5, ScheduleStrategy.RANDOM, 9, 12345, b);
        assertEquals(a, b);
    }

    @Test
    void prioritiesAreAPermutationAboveTheChangePoints() {
        PctSchedule s = new PctSchedule(42, 4, 3, 100);
        java.util.Set<Integer> p = new java.util.HashSet<>();
        for (int i = 0; i < 4; i++) {
            p.add(s.priority(i));
        }
        assertEquals(java.util.Set.of(3, 4, 5, 6), p);
        assertThrows(IllegalArgumentException.class, () -> new PctSchedule(1, 2, 0, 10));
        assertThrows(IllegalArgumentException.class, () -> MachineConfig.builder().pctDepth(0).build());
    }
}
