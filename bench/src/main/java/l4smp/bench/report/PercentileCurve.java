package l4smp.bench.report;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

import java.util.ArrayList;
import java.util.List;

/**
 * A histogram's percentile distribution as HdrHistogram's {@code .hgrm} output lists it
 * (percentile iteration, 5 ticks per half distance): the points [percentile, value] that a
 * latency plot draws against 1/(1-p). Kept in the JSON report so that plots and comparisons
 * need nothing but the report.
 *
 * <p>Stateless; any thread (the histogram must not be written meanwhile).
 */
public final class PercentileCurve {

    /** Ticks per half distance to 100 %, as in HdrHistogram's percentile output. */
    static final int TICKS_PER_HALF_DISTANCE = 5;

    private PercentileCurve() {
    }

    /** The points of {@code h}, percentile (0..100) then value, in increasing percentile. */
    public static List<List<Number>> of(Histogram h) {
        List<List<Number>> points = new ArrayList<>();
        if (h.getTotalCount() == 0) {
            return points;
        }
        double last = -1;
        for (HistogramIterationValue v : h.percentiles(TICKS_PER_HALF_DISTANCE)) {
            double p = v.getPercentileLevelIteratedTo();
            if (p == last) {
                continue;
            }
            last = p;
            points.add(List.of(p, h.highestEquivalentValue(v.getValueIteratedTo())));
        }
        return points;
    }
}
