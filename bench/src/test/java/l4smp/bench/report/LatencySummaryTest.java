package l4smp.bench.report;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LatencySummaryTest {

    @Test
    void percentilesOfSmallValuesAreExact() {
        // below 2048 a 3-digit HdrHistogram has unit resolution
        Histogram h = new Histogram(3);
        for (int v = 1; v <= 1000; v++) {
            h.recordValue(v);
        }
        LatencySummary s = LatencySummary.of(h);
        assertEquals(500, s.p50());
        assertEquals(900, s.p90());
        assertEquals(990, s.p99());
        assertEquals(999, s.p999());
        assertEquals(1000, s.p9999());
        assertEquals(1000, s.max());
        assertEquals(500.5, s.mean(), 1e-9);
        assertEquals(1000, s.count());
    }

    @Test
    void percentilesOfLargeValuesWithinThePrecision() {
        Histogram h = new Histogram(3);
        for (int v = 1; v <= 100_000; v++) {
            h.recordValue(v * 10L);
        }
        LatencySummary s = LatencySummary.of(h);
        assertEquals(500_000, s.p50(), 500_000 * 0.001);
        assertEquals(900_000, s.p90(), 900_000 * 0.001);
        assertEquals(990_000, s.p99(), 990_000 * 0.001);
        assertEquals(999_000, s.p999(), 999_000 * 0.001);
        assertEquals(999_900, s.p9999(), 999_900 * 0.001);
        assertEquals(1_000_000, s.max(), 1_000_000 * 0.001);
        assertEquals(100_000, s.count());
    }

    @Test
    void aSkewedDistribution() {
        Histogram h = new Histogram(3);
        h.recordValueWithCount(100, 9_990);
        h.recordValueWithCount(1_000, 9);
        h.recordValue(1_500);
        LatencySummary s = LatencySummary.of(h);
        assertEquals(100, s.p50());
        assertEquals(100, s.p99());
        assertEquals(100, s.p999());
        assertEquals(1_000, s.p9999());
        assertEquals(1_500, s.max());
        assertEquals(10_000, s.count());
    }

    @Test
    void emptyHistogramGivesZeros() {
        assertEquals(LatencySummary.EMPTY, LatencySummary.of(new Histogram(3)));
    }
}
