package l4smp.bench.reproduce;

import l4smp.emulator.cost.CostModel;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IpiExperimentsTest {

    @Test
    void c3RowsHold() {
        List<ReproduceRow> rows = IpiExperiments.c3(CostModel.PIII_450);
        rows.forEach(System.err::println);
        assertEquals(2, rows.size());
        rows.forEach(r -> assertTrue(r.holds(), r::toString));
    }

    @Test
    void d1RowsHold() {
        List<ReproduceRow> rows = IpiExperiments.d1(CostModel.PIII_450);
        rows.forEach(System.err::println);
        assertEquals(4, rows.size());
        rows.forEach(r -> assertTrue(r.holds(), r::toString));
    }
}
