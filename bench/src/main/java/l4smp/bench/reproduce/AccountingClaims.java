package l4smp.bench.reproduce;

import java.util.ArrayList;
import java.util.List;

import l4smp.emulator.cost.CostModel;

/** The rows of the reproduction table that the accounting layer answers: C1, C2, D5. */
public final class AccountingClaims {
    private AccountingClaims() { }

    /** C1 (3 rows), C2 (5 rows) and the headline D5 row, measured with {@code model}. */
    public static List<ReproduceRow> rows(CostModel model) {
        List<ReproduceRow> rows = new ArrayList<>(Section32Experiments.c1(model));
        rows.addAll(Section32Experiments.c2(model));
        rows.add(SpinlockExperiment.d5(model));
        return rows;
    }
}
