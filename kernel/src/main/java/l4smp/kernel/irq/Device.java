package l4smp.kernel.irq;

/**
 * A simulated device that raises an IO-APIC line periodically: first at {@code firstCycle},
 * then every {@code intervalCycles}, {@code count} times (or until the run ends when
 * {@code count} is {@link Long#MAX_VALUE}).
 *
 * <p>The devices' timeline is kept by the bootstrap processor (CPU 0): it raises each line at
 * its simulated time; raising charges no CPU (the device did it), and the IO-APIC routes the
 * interrupt. Owner: CPU 0 only.
 */
public final class Device {

    private final String name;
    private final int line;
    private final long intervalCycles;
    private long next;
    private long remaining;
    private long raised;

    public Device(String name, int line, long firstCycle, long intervalCycles, long count) {
        if (intervalCycles < 1) {
            throw new IllegalArgumentException("device " + name + ": interval must be >= 1 cycle, got " + intervalCycles);
        }
        if (firstCycle < 0 || count < 0) {
            throw new IllegalArgumentException("device " + name + ": first cycle and count must be >= 0");
        }
        this.name = name;
        this.line = line;
        this.intervalCycles = intervalCycles;
        this.next = firstCycle;
        this.remaining = count;
    }

    public String name() {
        return name;
    }

    public int line() {
        return line;
    }

    /** The cycle of the next raise, or {@code Long.MAX_VALUE} when done. */
    public long next() {
        return remaining > 0 ? next : Long.MAX_VALUE;
    }

    /** Marks one raise done. */
    public void fired() {
        raised++;
        remaining--;
        next += intervalCycles;
    }

    public long raised() {
        return raised;
    }
}
