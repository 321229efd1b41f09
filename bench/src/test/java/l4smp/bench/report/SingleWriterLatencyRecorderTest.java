package l4smp.bench.report;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * The recorder's histograms grow by their own slow path, not by HdrHistogram's auto-resizing
 * (which catches an exception in the recording path), and end as an auto-resizing
 * {@code new Histogram(3)} fed the same values would: the same buckets, counts and printed
 * distribution.
 */
class SingleWriterLatencyRecorderTest {

    @Test
    void firstCoveredRangeIsTheSubBucketCountOfThreeDigitsLessOne() {
        // HdrHistogram at 3 significant digits: 2 * 10^3 = 2,000 values of unit resolution, rounded
        // up to a power of two: 2,048 sub-buckets, so a fresh histogram covers 0..2,047.
        assertEquals(2047, SingleWriterLatencyRecorder.FIRST_COVERED);
        assertEquals(2047, SingleWriterLatencyRecorder.covering(0));
        assertEquals(2047, SingleWriterLatencyRecorder.covering(2047));
        assertEquals(4095, SingleWriterLatencyRecorder.covering(2048));
        assertEquals(8191, SingleWriterLatencyRecorder.covering(5000));
        assertEquals(Long.MAX_VALUE, SingleWriterLatencyRecorder.covering(Long.MAX_VALUE));
        assertEquals(Long.MAX_VALUE, SingleWriterLatencyRecorder.covering((1L << 62) + 1));
    }

    @Test
    void endsAsAnAutoResizingHistogramFedTheSameValues() {
        SplittableRandom random = new SplittableRandom(42);
        SingleWriterLatencyRecorder recorder = new SingleWriterLatencyRecorder("r");
        Histogram cycles = new Histogram(3);
        Histogram nanos = new Histogram(3);
        for (int i = 0; i < 20_000; i++) {
            // magnitudes from 1 to 2^50, growing now and then, and the odd negative (recorded as 0)
            long c = random.nextLong(1L << random.nextInt(1, 51)) - (i % 997 == 0 ? 5 : 0);
            long n = random.nextLong(1L << random.nextInt(1, 45));
            recorder.record(c, n);
            cycles.recordValue(Math.max(0, c));
            nanos.recordValue(n);
        }
        recorder.record(Long.MAX_VALUE / 4, 3);
        cycles.recordValue(Long.MAX_VALUE / 4);
        nanos.recordValue(3);
        assertAsAutoResized(cycles, recorder.cycles());
        assertAsAutoResized(nanos, recorder.hostNanos());
        assertEquals(20_001, recorder.operations());
        assertFalse(recorder.cycles().isAutoResize(), "the recorder's histograms must not resize by exception");
    }

    @Test
    void valuesWithinTheFirstRangeKeepTheFirstHistogram() {
        SingleWriterLatencyRecorder recorder = new SingleWriterLatencyRecorder("r");
        Histogram first = recorder.cycles();
        Histogram reference = new Histogram(3);
        for (long v = 0; v <= 2047; v++) {
            recorder.record(v, v);
            reference.recordValue(v);
        }
        assertSame(first, recorder.cycles(), "no value beyond 2,047: no growth");
        assertAsAutoResized(reference, recorder.cycles());
        recorder.record(2048, 0);
        reference.recordValue(2048);
        assertAsAutoResized(reference, recorder.cycles());
    }

    /** Same counts, the same buckets (footprint) and the same .hgrm text as {@code expected}. */
    private static void assertAsAutoResized(Histogram expected, Histogram actual) {
        assertEquals(expected.getTotalCount(), actual.getTotalCount());
        assertEquals(expected.getMaxValue(), actual.getMaxValue());
        assertEquals(expected.getMinValue(), actual.getMinValue());
        assertEquals(expected.getEstimatedFootprintInBytes(), actual.getEstimatedFootprintInBytes(), "buckets");
        assertEquals(hgrm(expected), hgrm(actual));
        for (double p : new double[] {0, 50, 90, 99, 99.9, 99.99, 100}) {
            assertEquals(expected.getValueAtPercentile(p), actual.getValueAtPercentile(p), "p" + p);
        }
        assertEquals(expected.getMean(), actual.getMean(), 0.0);
    }

    private static String hgrm(Histogram h) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8)) {
            h.outputPercentileDistribution(ps, 1.0);
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
