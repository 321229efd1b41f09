package l4smp.bench.report;

import org.HdrHistogram.Histogram;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Records the latency of one stream of operations in simulated cycles and in host nanoseconds,
 * into two HdrHistograms (3 significant digits).
 *
 * <p>Each histogram covers the values 0..{@code covered}, {@code covered} one less than a power of
 * two no smaller than the histogram's sub-bucket count (2,048 at 3 digits): HdrHistogram's bucket
 * boundaries. A value beyond it takes the named slow path {@link #grown}: a histogram covering
 * the next such boundary at or above the value, holding the counts so far. Recording a value in
 * range neither allocates nor throws (the histograms do not auto-resize, which HdrHistogram does
 * by catching an {@code ArrayIndexOutOfBoundsException} in its recording path), and the
 * histograms end with the buckets an auto-resizing one would have ({@code new Histogram(3)}): the
 * fewest that cover the largest value recorded, so every percentile, the {@code .hgrm} files and
 * the JSON are what they were with auto-resizing.
 *
 * <p>Single writer: one user thread (or one CPU's dispatcher) records; the histograms are read
 * after the machine stopped (the machine's stop is the happens-before edge). A user thread that
 * migrates between CPUs is still one writer at a time, handed over through the kernel.
 *
 * <p>The operation count is published with opaque stores, so a progress reporter may read it
 * while the machine runs ({@link #operationsOpaque()}); the histograms may not be read then.
 */
public final class SingleWriterLatencyRecorder {

    private static final VarHandle OPERATIONS;

    static {
        try {
            OPERATIONS = MethodHandles.lookup().findVarHandle(SingleWriterLatencyRecorder.class, "operations", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Significant decimal digits of both histograms. */
    static final int DIGITS = 3;

    /**
     * The largest value a fresh histogram covers (2,047): its sub-bucket count less one, the
     * sub-bucket count being the power of two at or above 2 * 10^{@value #DIGITS}, as HdrHistogram
     * sizes it.
     */
    static final long FIRST_COVERED = (1L << (64 - Long.numberOfLeadingZeros(2L * 1000 - 1))) - 1;

    private final String name;
    private Histogram cycles = fixed(FIRST_COVERED);
    private Histogram hostNanos = fixed(FIRST_COVERED);
    private long cyclesCovered = FIRST_COVERED;
    private long hostNanosCovered = FIRST_COVERED;
    private long operations;

    public SingleWriterLatencyRecorder(String name) {
        this.name = name;
    }

    /** Records one operation that took {@code simulatedCycles} and {@code hostNs}. Writer only. */
    public void record(long simulatedCycles, long hostNs) {
        long c = Math.max(0, simulatedCycles);
        long n = Math.max(0, hostNs);
        if (c > cyclesCovered) {
            cyclesCovered = covering(c);
            cycles = grown(cycles, cyclesCovered);
        }
        if (n > hostNanosCovered) {
            hostNanosCovered = covering(n);
            hostNanos = grown(hostNanos, hostNanosCovered);
        }
        cycles.recordValue(c);
        hostNanos.recordValue(n);
        OPERATIONS.setOpaque(this, operations + 1);
    }

    /** A histogram of {@value #DIGITS} digits covering 0..{@code covered}, not auto-resizing. */
    private static Histogram fixed(long covered) {
        Histogram h = new Histogram(1, covered, DIGITS);
        h.setAutoResize(false);
        return h;
    }

    /**
     * The covered range for {@code value}: the smallest {@code (FIRST_COVERED + 1) * 2^k - 1} (one
     * less than a bucket boundary) at or above it, or {@link Long#MAX_VALUE}.
     */
    static long covering(long value) {
        long covered = FIRST_COVERED;
        while (covered < value) {
            if (covered > (Long.MAX_VALUE - 1) / 2) {
                return Long.MAX_VALUE;
            }
            covered = 2 * covered + 1;
        }
        return covered;
    }

    /** The slow path of a value beyond the range: {@code old}'s counts in a histogram covering {@code covered}. */
    private static Histogram grown(Histogram old, long covered) {
        Histogram h = fixed(covered);
        h.add(old);
        return h;
    }

    /** Counts one operation without a latency (throughput only). Writer only. */
    public void count() {
        OPERATIONS.setOpaque(this, operations + 1);
    }

    public String name() {
        return name;
    }

    /** The operations recorded (after the run). */
    public long operations() {
        return operations;
    }

    /**
     * The operations recorded so far, read with an opaque load: some recent value, never torn.
     * Any thread, also while the machine runs (progress reports).
     */
    public long operationsOpaque() {
        return (long) OPERATIONS.getOpaque(this);
    }

    /** The simulated-cycle histogram (after the run; a value beyond its range replaced it). */
    public Histogram cycles() {
        return cycles;
    }

    /** The host-nanosecond histogram (after the run; a value beyond its range replaced it). */
    public Histogram hostNanos() {
        return hostNanos;
    }
}
