package l4smp.bench.reproduce;

import l4smp.emulator.cost.CostModel;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The D3, D4, D6 and D8 rows come out of live runs (simulated cycles and counts). */
class XpIpcExperimentsTest {

    @Test
    void rowsHold() {
        List<ReproduceRow> rows = XpIpcExperiments.all(CostModel.PIII_450);
        rows.forEach(System.err::println);
        for (ReproduceRow row : rows) {
            assertTrue(row.verdict() != ReproduceRow.Verdict.FAILS, row::toString);
        }
        assertTrue(rows.stream().anyMatch(r -> r.id().equals("D3")));
        assertTrue(rows.stream().anyMatch(r -> r.id().equals("D4")));
        assertTrue(rows.stream().anyMatch(r -> r.id().equals("D6")));
        assertTrue(rows.stream().anyMatch(r -> r.id().equals("D8")));
    }

    @Test
    void d6ComparesBothLineWidthsAndJudgesOnlyTable3s() {
        List<ReproduceRow> rows = XpIpcExperiments.d6(CostModel.PIII_450);
        assertEquals(2, rows.size());
        assertTrue(rows.get(0).claim().contains("32 B"), rows.get(0)::toString);
        assertTrue(rows.get(0).verdict() != ReproduceRow.Verdict.NOT_COMPARED);
        assertTrue(rows.get(1).claim().contains("64 B"), rows.get(1)::toString);
        assertEquals(ReproduceRow.Verdict.NOT_COMPARED, rows.get(1).verdict());
    }

    @Test
    void theFloodExhaustsTheSlotsAndEveryCallCompletes() {
        XpIpcExperiments.FloodResult r = XpIpcExperiments.flood(CostModel.PIII_450, 2, 2, 10, 3);
        System.err.println("D8 flood: " + r);
        assertTrue(r.completed(), r::toString);
        assertEquals(40, r.calls());
        assertTrue(r.kernelLintWaits() > 0, r::toString);
        assertTrue(r.maxSlotsOutstanding() <= 2, r::toString);
        assertTrue(XpIpcExperiments.exhausted(r), r::toString);
    }

    /** D8 can fail: without flooders the kernel's own IPIs never find the slots full. */
    @Test
    void withoutFloodersTheSlotsAreNeverExhaustedAndTheRowDoesNotHold() {
        XpIpcExperiments.FloodResult r = XpIpcExperiments.flood(CostModel.PIII_450, 2, 2, 10, 0);
        System.err.println("D8 no flooders: " + r);
        assertTrue(r.completed(), r::toString);
        assertEquals(0, r.kernelLintWaits(), r::toString);
        assertFalse(XpIpcExperiments.exhausted(r), r::toString);
    }
}
