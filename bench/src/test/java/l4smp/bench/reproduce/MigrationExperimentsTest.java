package l4smp.bench.reproduce;

import l4smp.emulator.cost.CostModel;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** D2 (6.1.1) from the live migration run: simulated cycles and counts only. */
class MigrationExperimentsTest {

    @Test
    void workingSetCostOnTheDestinationIsInTheThesisRange() {
        MigrationExperiments.MigrationCost r = MigrationExperiments.workingSetOnDestination(CostModel.PIII_450, false);
        assertEquals(1, r.processorBefore());
        assertEquals(2, r.processorAfter());
        assertEquals(100, r.accesses(), "one access per line of the working set");
        assertEquals(100, r.coherenceMisses(), "every line comes from B's cache");
        System.err.println("D2 live: " + r);
        List<ReproduceRow> rows = MigrationExperiments.d2(CostModel.PIII_450);
        rows.forEach(System.err::println);
        assertTrue(rows.get(0).holds(), () -> rows.toString());
    }

    @Test
    void writingTheDirtyLinesAgainAlsoStaysInRange() {
        MigrationExperiments.MigrationCost r = MigrationExperiments.workingSetOnDestination(CostModel.PIII_450, true);
        System.err.println("D2 live, dirty lines written: " + r);
        assertTrue(r.cyclesOnDestination() >= 4500 && r.cyclesOnDestination() <= 7750, () -> r.toString());
    }
}
