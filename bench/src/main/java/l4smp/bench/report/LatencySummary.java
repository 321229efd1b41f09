package l4smp.bench.report;

import org.HdrHistogram.Histogram;

/**
 * The percentiles of one latency histogram, as reported: p50, p90, p99, p99.9, p99.99, max,
 * mean and count. Values are in the histogram's unit (simulated cycles or host nanoseconds);
 * HdrHistogram keeps 3 significant digits, so a percentile is exact to within 0.1 %.
 *
 * <p>Immutable.
 */
public record LatencySummary(long p50, long p90, long p99, long p999, long p9999, long max, double mean,
                             long count) {

    /** The empty summary (no operation recorded): every figure 0. */
    public static final LatencySummary EMPTY = new LatencySummary(0, 0, 0, 0, 0, 0, 0.0, 0);

    /** Summarises {@code h}. The histogram must not be written meanwhile. */
    public static LatencySummary of(Histogram h) {
        if (h.getTotalCount() == 0) {
            return EMPTY;
        }
        return new LatencySummary(
                h.getValueAtPercentile(50.0),
                h.getValueAtPercentile(90.0),
                h.getValueAtPercentile(99.0),
                h.getValueAtPercentile(99.9),
                h.getValueAtPercentile(99.99),
                h.getMaxValue(),
                h.getMean(),
                h.getTotalCount());
    }
}
