package l4smp.bench.reproduce;

/**
 * One row of the paper-reproduction table: a claim of the thesis, the thesis's figure, what the
 * emulator measured, their ratio, and whether the claim holds.
 *
 * @param id            the claim's id in docs/thesis-claims.md (C1, C2, D5, ...)
 * @param claim         what is compared (e.g. "L1 hit", "E to S", "TTAS vs TAS invalidations")
 * @param thesisFigure  where the thesis says it, and how (e.g. "3.2.1, Table 1")
 * @param thesisValue   the thesis's number, or NaN for a qualitative claim
 * @param emulatorValue the emulator's number
 * @param ratio         emulatorValue / thesisValue (for a qualitative claim: the number the
 *                      verdict rests on, described in {@code claim})
 * @param holds         whether the claim holds (e.g. within 5% for a calibration row)
 * @param unit          the unit of the values (e.g. "cycles/line", "invalidations")
 */
public record ReproduceRow(String id, String claim, String thesisFigure, double thesisValue,
                           double emulatorValue, double ratio, boolean holds, String unit) {

    /** A quantitative row that holds when the ratio is within {@code tolerance} of 1. */
    public static ReproduceRow within(String id, String claim, String thesisFigure, double thesisValue,
                                      double emulatorValue, double tolerance, String unit) {
        double ratio = emulatorValue / thesisValue;
        return new ReproduceRow(id, claim, thesisFigure, thesisValue, emulatorValue, ratio,
                Math.abs(ratio - 1) <= tolerance, unit);
    }

    @Override
    public String toString() {
        return String.format("%-3s %-40s %-22s thesis %10s  emulator %10.2f  ratio %6.3f  %-5s %s",
                id, claim, thesisFigure, Double.isNaN(thesisValue) ? "-" : String.format("%.2f", thesisValue),
                emulatorValue, ratio, holds ? "holds" : "FAILS", unit);
    }
}
