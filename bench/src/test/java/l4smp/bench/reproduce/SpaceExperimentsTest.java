package l4smp.bench.reproduce;

import l4smp.emulator.cost.CostModel;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** D7 (9.3) from live unmap storms: IPI counts and stale reads only. */
class SpaceExperimentsTest {

    @Test
    void theTableRowsHold() {
        List<ReproduceRow> rows = SpaceExperiments.d7(CostModel.PIII_450);
        rows.forEach(System.err::println);
        assertEquals(SpaceExperiments.PLACEMENT_SEEDS.length + 1, rows.size());
        rows.forEach(r -> assertTrue(r.holds(), r::toString));
    }

    @Test
    void placementsAreSeededAndKeepCpu0() {
        assertEquals(SpaceExperiments.placement(3, 6), SpaceExperiments.placement(3, 6));
        for (long seed = 0; seed < 20; seed++) {
            assertEquals(1, SpaceExperiments.placement(seed, 6) & 1);
        }
    }

    /** With one other CPU sharing the space, the current-space policy saves 4 of 5 IPIs (9.3). */
    @Test
    void oneOtherSharerSavesFourOfFive() {
        SpaceExperiments.Placement p = SpaceExperiments.measure(CostModel.PIII_450, 0b000011);
        System.err.println("D7 one sharer: " + p);
        assertEquals(5.0, p.ipisPerUnmapAll());
        assertEquals(1.0, p.ipisPerUnmapCurrent());
        assertTrue(p.correct(), p::toString);
        assertTrue(SpaceExperiments.savedRow(p, "CPUs 0, 1").holds());
    }

    /** D7 can fail: when every CPU shares the space, the current-space policy saves nothing. */
    @Test
    void whenEveryCpuSharesTheSpaceTheRowDoesNotHold() {
        SpaceExperiments.Placement p = SpaceExperiments.measure(CostModel.PIII_450, 0b111111);
        System.err.println("D7 all share: " + p);
        assertEquals(0.0, p.savedShare());
        assertTrue(p.correct(), p::toString);
        ReproduceRow row = SpaceExperiments.savedRow(p, "every CPU");
        assertFalse(row.holds(), row::toString);
    }

    @Test
    void theUnmapLatencyBarelyGrowsWithTheCpus() {
        ReproduceRow row = SpaceExperiments.d11(CostModel.PIII_450);
        System.err.println(row);
        assertTrue(row.holds(), row::toString);
    }
}
