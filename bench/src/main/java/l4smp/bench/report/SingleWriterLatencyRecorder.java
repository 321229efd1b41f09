package l4smp.bench.report;

import org.HdrHistogram.Histogram;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Records the latency of one stream of operations in simulated cycles and in host nanoseconds,
 * into two HdrHistograms (3 significant digits, auto-resizing).
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

    private final String name;
    private final Histogram cycles = new Histogram(3);
    private final Histogram hostNanos = new Histogram(3);
    private long operations;

    public SingleWriterLatencyRecorder(String name) {
        this.name = name;
    }

    /** Records one operation that took {@code simulatedCycles} and {@code hostNs}. Writer only. */
    public void record(long simulatedCycles, long hostNs) {
        cycles.recordValue(Math.max(0, simulatedCycles));
        hostNanos.recordValue(Math.max(0, hostNs));
        OPERATIONS.setOpaque(this, operations + 1);
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

    /** The simulated-cycle histogram (after the run). */
    public Histogram cycles() {
        return cycles;
    }

    /** The host-nanosecond histogram (after the run). */
    public Histogram hostNanos() {
        return hostNanos;
    }
}
