package l4smp.bench.report;

import org.HdrHistogram.Histogram;

/**
 * Records the latency of one stream of operations in simulated cycles and in host nanoseconds,
 * into two HdrHistograms (3 significant digits, auto-resizing).
 *
 * <p>Single writer: one user thread (or one CPU's dispatcher) records; the histograms are read
 * after the machine stopped (the machine's stop is the happens-before edge). A user thread that
 * migrates between CPUs is still one writer at a time, handed over through the kernel.
 */
public final class SingleWriterLatencyRecorder {

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
        operations++;
    }

    /** Counts one operation without a latency (throughput only). Writer only. */
    public void count() {
        operations++;
    }

    public String name() {
        return name;
    }

    /** The operations recorded (after the run). */
    public long operations() {
        return operations;
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
