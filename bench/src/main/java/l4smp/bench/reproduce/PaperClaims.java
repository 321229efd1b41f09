package l4smp.bench.reproduce;

import l4smp.emulator.cost.CostModel;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The reproduction table of docs/thesis-claims.md, every row measured from a live run: the
 * calibration rows (C1-C3, inputs of the cost model measured back through the whole stack),
 * the path rows (a kernel path charges what the thesis's arithmetic says) and the emergent rows
 * (figures the model was not told). See {@link ReproduceRow.Kind}.
 *
 * <p>The thesis measured a dual PIII 450 ({@link CostModel#PIII_450}): only under that preset
 * are rows compared with its figures. Under another preset every figure is measured and
 * printed, and only the preset-independent rows (correctness properties) are judged.
 */
public final class PaperClaims {

    private PaperClaims() {
    }

    /** The preset of the machine the thesis measured. */
    public static final CostModel THESIS_MACHINE = CostModel.PIII_450;

    /** Whether {@code model} is the thesis's machine (its figures apply). */
    public static boolean isThesisMachine(CostModel model) {
        return model.name().equals(THESIS_MACHINE.name());
    }

    /** Every row, in table order, judged as {@code model} allows (see the class comment). */
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
        rows.addAll(EmergentExperiments.rows(model));
        rows.add(SpaceExperiments.d11(model));
        if (isThesisMachine(model)) {
            return rows;
        }
        return rows.stream().map(ReproduceRow::notCompared).toList();
    }

    /** Rows per kind, in the order calibration, path, emergent. */
    public static Map<ReproduceRow.Kind, Integer> countByKind(List<ReproduceRow> rows) {
        Map<ReproduceRow.Kind, Integer> counts = new EnumMap<>(ReproduceRow.Kind.class);
        for (ReproduceRow.Kind k : ReproduceRow.Kind.values()) {
            counts.put(k, 0);
        }
        for (ReproduceRow r : rows) {
            counts.merge(r.kind(), 1, Integer::sum);
        }
        return counts;
    }

    /**
     * The summary line: the rows per kind and the verdict, e.g. "8 calibration, 7 path, 18
     * emergent: all hold", "...: 31 hold, 2 do not (D7, D8)", and for rows not compared how
     * many there are.
     */
    public static String summary(List<ReproduceRow> rows) {
        Map<ReproduceRow.Kind, Integer> counts = countByKind(rows);
        StringBuilder sb = new StringBuilder();
        for (ReproduceRow.Kind k : ReproduceRow.Kind.values()) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(counts.get(k)).append(' ').append(k.label());
        }
        long judged = rows.stream().filter(r -> r.verdict() != ReproduceRow.Verdict.NOT_COMPARED).count();
        List<String> failed = rows.stream().filter(r -> r.verdict() == ReproduceRow.Verdict.FAILS)
                .map(ReproduceRow::id).distinct().toList();
        long notCompared = rows.size() - judged;
        sb.append(": ");
        if (judged == 0) {
            sb.append("none judged");
        } else if (failed.isEmpty()) {
            sb.append(judged == rows.size() ? "all hold" : "all " + judged + " judged hold");
        } else {
            long fails = rows.stream().filter(r -> r.verdict() == ReproduceRow.Verdict.FAILS).count();
            sb.append(judged - fails).append(" hold, ").append(fails).append(" do not (")
                    .append(String.join(", ", failed)).append(')');
        }
        if (notCompared > 0 && judged > 0) {
            sb.append("; ").append(notCompared).append(" not compared");
        }
        return sb.toString();
    }
}
