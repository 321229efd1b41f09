package l4smp.bench.reproduce;

import l4smp.emulator.cost.CostModel;

import java.util.ArrayList;
import java.util.List;

/**
 * The reproduction table of docs/thesis-claims.md, every row measured from a live run: the
 * calibration rows (C1-C3, inputs of the cost model measured back through the whole stack) and
 * the derived rows (D1-D8).
 */
public final class PaperClaims {

    private PaperClaims() {
    }

    /** Every row, in table order. */
    public static List<ReproduceRow> rows(CostModel model) {
        List<ReproduceRow> rows = new ArrayList<>();
        rows.addAll(Section32Experiments.c1(model));
        rows.addAll(Section32Experiments.c2(model));
        rows.addAll(IpiExperiments.c3(model));
        rows.addAll(IpiExperiments.d1(model));
        rows.addAll(MigrationExperiments.d2(model));
        rows.addAll(XpIpcExperiments.d3(model));
        rows.addAll(XpIpcExperiments.d4(model));
        rows.add(SpinlockExperiment.d5(model));
        rows.addAll(XpIpcExperiments.d6(model));
        rows.addAll(SpaceExperiments.d7(model));
        rows.addAll(XpIpcExperiments.d8(model));
        return rows;
    }
}
