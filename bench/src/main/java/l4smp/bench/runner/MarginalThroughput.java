package l4smp.bench.runner;

/**
 * The steady-state throughput of a run by the difference method: two runs of the same setup,
 * one of {@code ops} operations and one of {@code 2 * ops}, each with the same fixed costs (with
 * {@code client-server}: every client's admission at the boot, its first run and its end, done
 * once per client whatever the number of calls), so the difference of their host times is the
 * host time of {@code ops} operations alone:
 *
 * <pre>
 *   marginal operations per second = ops / (seconds(2 * ops) - seconds(ops))
 * </pre>
 *
 * A difference that is not positive (host noise larger than the work of {@code ops}
 * operations, or a first, cold run) gives no figure: {@link Double#NaN}, which
 * {@link #ratio} leaves out. Stateless.
 */
public final class MarginalThroughput {

    private MarginalThroughput() {
    }

    /**
     * Operations per second of the {@code ops} operations that the longer run did beyond the
     * shorter one, or {@link Double#NaN} when its time is not longer.
     *
     * @param ops           the operations of the shorter run (the longer one did twice as many)
     * @param secondsSingle the host seconds of the run of {@code ops} operations
     * @param secondsDouble the host seconds of the run of {@code 2 * ops} operations
     */
    public static double perSecond(long ops, double secondsSingle, double secondsDouble) {
        if (ops < 1) {
            throw new IllegalArgumentException("ops must be at least 1, got " + ops);
        }
        double difference = secondsDouble - secondsSingle;
        return difference > 0 ? ops / difference : Double.NaN;
    }

    /**
     * The spread of {@code numerators[i] / denominators[i]} over the interleaved repetitions
     * whose two figures are both numbers ({@link #perSecond} gave one); {@code null} when no
     * repetition has both.
     */
    public static SpreadVerdict ratio(double[] numerators, double[] denominators) {
        if (numerators.length != denominators.length) {
            throw new IllegalArgumentException("unpaired repetitions: " + numerators.length + " and "
                    + denominators.length);
        }
        int n = 0;
        for (int i = 0; i < numerators.length; i++) {
            if (!Double.isNaN(numerators[i]) && !Double.isNaN(denominators[i])) {
                n++;
            }
        }
        if (n == 0) {
            return null;
        }
        double[] num = new double[n];
        double[] den = new double[n];
        int k = 0;
        for (int i = 0; i < numerators.length; i++) {
            if (!Double.isNaN(numerators[i]) && !Double.isNaN(denominators[i])) {
                num[k] = numerators[i];
                den[k] = denominators[i];
                k++;
            }
        }
        return SpreadVerdict.ofRatios(num, den);
    }

    /** The values of {@code v} that are numbers (the repetitions that gave a figure). */
    public static double[] numbers(double[] v) {
        return java.util.Arrays.stream(v).filter(x -> !Double.isNaN(x)).toArray();
    }
}
