package l4smp.emulator.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import l4smp.emulator.cache.experiments.PhaseResult;
import l4smp.emulator.cache.experiments.Section32Procedure;
import l4smp.emulator.cache.experiments.SpinlockContention;
import l4smp.emulator.cost.CostModel;

import org.junit.jupiter.api.Test;

/**
 * C1, C2 and D5 of docs/thesis-claims.md: the thesis's section 3.2 procedures measured back through
 * the caches, directory and counters (simulated cycles and counts only, never host time).
 */
class Section32CalibrationTest {

    private static void within5Percent(double thesis, PhaseResult r) {
        double ratio = r.cyclesPerLine() / thesis;
        assertTrue(Math.abs(ratio - 1) <= 0.05,
                r.name() + ": " + r.cyclesPerLine() + " cycles/line vs thesis " + thesis + " " + r.counters());
    }

    @Test
    void c1Table1ComesBackWithin5Percent() {
        List<PhaseResult> rows = Section32Procedure.table1(CostModel.PIII_450);
        within5Percent(0.98, rows.get(0));
        within5Percent(7.53, rows.get(1));
        within5Percent(42.57, rows.get(2));
        assertEquals(256, rows.get(0).count(MemoryEvent.L1_HITS));
        assertEquals(256, rows.get(1).count(MemoryEvent.L2_HITS));
        assertEquals(256, rows.get(2).count(MemoryEvent.MEMORY_FILLS));
    }

    @Test
    void c2Table2ComesBackWithin5Percent() {
        List<PhaseResult> rows = Section32Procedure.table2(CostModel.PIII_450);
        within5Percent(63.82, rows.get(0));
        within5Percent(49.23, rows.get(1));
        within5Percent(89.52, rows.get(2));
        within5Percent(89.39, rows.get(3));
        within5Percent(49.23, rows.get(4));
        assertEquals(256, rows.get(0).count(MemoryEvent.E_TO_S));
        assertEquals(256, rows.get(1).count(MemoryEvent.E_TO_M));
        assertEquals(256, rows.get(2).count(MemoryEvent.M_TO_S));
        assertEquals(256, rows.get(3).count(MemoryEvent.M_TO_M));
        assertEquals(256, rows.get(4).count(MemoryEvent.S_TO_M));
        assertEquals(256, rows.get(4).count(MemoryEvent.INVALIDATIONS_SENT));
    }

    @Test
    void p4PresetRunsTheSameProcedures() {
        assertEquals(3, Section32Procedure.table1(CostModel.P4).size());
        assertEquals(5, Section32Procedure.table2(CostModel.P4).size());
    }

    @Test
    void d5TestAndTestAndSetCausesFarFewerInvalidations() {
        // With two CPUs a single spinner keeps the lock line M in its own cache, so plain TAS
        // spins hit locally and invalidate nothing (only their bus locks differ); the effect of
        // appendix A needs two or more spinners, which steal the line from each other.
        var tas2 = SpinlockContention.run(CostModel.PIII_450, SpinlockContention.Variant.TEST_AND_SET, 2, 50, 4, 4);
        var ttas2 = SpinlockContention.run(CostModel.PIII_450,
                SpinlockContention.Variant.TEST_AND_TEST_AND_SET, 2, 50, 4, 4);
        assertTrue(ttas2.busLocks() < tas2.busLocks());
        // Contention: a critical section of 16 read-modify-write pairs, 4 accesses between.
        for (int cpus : new int[] {3, 4, 8}) {
            var tas = SpinlockContention.run(CostModel.PIII_450, SpinlockContention.Variant.TEST_AND_SET,
                    cpus, 50, 16, 4);
            var ttas = SpinlockContention.run(CostModel.PIII_450,
                    SpinlockContention.Variant.TEST_AND_TEST_AND_SET, cpus, 50, 16, 4);
            assertTrue(ttas.invalidations() * 2 < tas.invalidations(),
                    cpus + " CPUs: TTAS " + ttas + " vs TAS " + tas);
            assertTrue(ttas.busLocks() < tas.busLocks());
        }
    }
}
