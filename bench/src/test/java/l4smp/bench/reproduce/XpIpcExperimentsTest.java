package l4smp.bench.reproduce;

import l4smp.emulator.cost.CostModel;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The D3, D4, D6 and D8 rows come out of live runs and hold (simulated cycles and counts). */
class XpIpcExperimentsTest {

    @Test
    void rowsHold() {
        List<ReproduceRow> rows = XpIpcExperiments.all(CostModel.PIII_450);
        for (ReproduceRow row : rows) {
            assertTrue(row.holds(), row::toString);
        }
        assertTrue(rows.stream().anyMatch(r -> r.id().equals("D3")));
        assertTrue(rows.stream().anyMatch(r -> r.id().equals("D4")));
        assertTrue(rows.stream().anyMatch(r -> r.id().equals("D6")));
        assertTrue(rows.stream().anyMatch(r -> r.id().equals("D8")));
    }
}
