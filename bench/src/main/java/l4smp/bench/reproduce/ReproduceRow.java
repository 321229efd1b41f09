package l4smp.bench.reproduce;

import java.util.Locale;

/**
 * One row of the paper-reproduction table: a claim of the thesis, the thesis's figure, what the
 * emulator measured, their ratio, and the verdict.
 *
 * @param id                the claim's id in docs/thesis-claims.md (C1, C2, D5, ...)
 * @param kind              what the row can prove ({@link Kind})
 * @param claim             what is compared (e.g. "L1 hit", "E to S", "TTAS vs TAS invalidations")
 * @param thesisFigure      where the thesis says it, and how (e.g. "3.2.1, Table 1")
 * @param thesisValue       the thesis's number, or NaN for a qualitative claim (and for a row not
 *                          compared with the thesis, see {@link #forPreset})
 * @param emulatorValue     the emulator's number
 * @param ratio             emulatorValue / thesisValue (for a qualitative claim: the number the
 *                          verdict rests on, described in {@code claim}); NaN when not compared
 * @param verdict           holds, fails, or not compared
 * @param unit              the unit of the values (e.g. "cycles/line", "invalidations")
 * @param presetIndependent the verdict rests on no thesis figure (a correctness property: no
 *                          stale read, every call completes), so it is judged under every preset
 */
public record ReproduceRow(String id, Kind kind, String claim, String thesisFigure, double thesisValue,
                           double emulatorValue, double ratio, Verdict verdict, String unit,
                           boolean presetIndependent) {

    /**
     * What a row can prove.
     * <ul>
     *   <li>{@code CALIBRATION}: an input of the cost model read back through the whole stack
     *       (it shows the plumbing charges what it was told, nothing more);</li>
     *   <li>{@code PATH}: a kernel path charges what the thesis's arithmetic says (the code
     *       follows the thesis; the figure is a sum of calibrated inputs along that path);</li>
     *   <li>{@code EMERGENT}: a figure the model was not told, which comes out of the interplay
     *       of the protocol, the workload and the accounting layer, and could come out
     *       otherwise.</li>
     * </ul>
     */
    public enum Kind {
        CALIBRATION, PATH, EMERGENT;

        /** The lower-case name used in the text and JSON reports. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A row's verdict. */
    public enum Verdict {
        HOLDS, FAILS,
        /** Not judged: no thesis figure applies (another preset, or a setting the thesis does not claim). */
        NOT_COMPARED
    }

    /** A row judged by {@code holds}. */
    public ReproduceRow(String id, Kind kind, String claim, String thesisFigure, double thesisValue,
                        double emulatorValue, double ratio, boolean holds, String unit) {
        this(id, kind, claim, thesisFigure, thesisValue, emulatorValue, ratio,
                holds ? Verdict.HOLDS : Verdict.FAILS, unit, false);
    }

    /** A quantitative row that holds when the ratio is within {@code tolerance} of 1. */
    public static ReproduceRow within(String id, Kind kind, String claim, String thesisFigure, double thesisValue,
                                      double emulatorValue, double tolerance, String unit) {
        double ratio = emulatorValue / thesisValue;
        return new ReproduceRow(id, kind, claim, thesisFigure, thesisValue, emulatorValue, ratio,
                Math.abs(ratio - 1) <= tolerance, unit);
    }

    /** A row that only reports a figure (no claim of the thesis applies to it). */
    public static ReproduceRow reported(String id, Kind kind, String claim, String thesisFigure,
                                        double emulatorValue, String unit) {
        return new ReproduceRow(id, kind, claim, thesisFigure, Double.NaN, emulatorValue, Double.NaN,
                Verdict.NOT_COMPARED, unit, false);
    }

    /** Whether the row was judged and holds. */
    public boolean holds() {
        return verdict == Verdict.HOLDS;
    }

    /** This row, judged under every preset (its verdict rests on no thesis figure). */
    public ReproduceRow anyPreset() {
        return new ReproduceRow(id, kind, claim, thesisFigure, thesisValue, emulatorValue, ratio, verdict, unit, true);
    }

    /**
     * This row as measured with a preset other than the thesis's machine: the figure stays, the
     * thesis's figure, the ratio and the verdict go (the thesis measured a PIII 450, and its
     * figures say nothing about another machine), unless the row is preset-independent.
     */
    public ReproduceRow notCompared() {
        if (presetIndependent) {
            return this;
        }
        return new ReproduceRow(id, kind, claim, thesisFigure, Double.NaN, emulatorValue, Double.NaN,
                Verdict.NOT_COMPARED, unit, false);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%-3s %-11s %-40s %-22s thesis %10s  emulator %10.2f  ratio %6.3f  %-5s %s",
                id, kind.label(), claim, thesisFigure,
                Double.isNaN(thesisValue) ? "-" : String.format(Locale.ROOT, "%.2f", thesisValue),
                emulatorValue, ratio, verdict, unit);
    }
}
