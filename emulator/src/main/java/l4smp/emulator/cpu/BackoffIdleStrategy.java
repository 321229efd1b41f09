package l4smp.emulator.cpu;

import java.util.concurrent.locks.LockSupport;

/**
 * Spin, then yield, then park with exponential back-off: an IPI to a recently busy CPU is cheap
 * (the CPU is still spinning), while many idle simulated CPUs do not starve the few host cores
 * (they park). Waking a parked thread costs tens of microseconds of host time, hence the spin
 * and yield phases (docs/design.md, "Waking a parked thread").
 *
 * <p>Owner CPU only.
 */
public final class BackoffIdleStrategy implements IdleStrategy {

    private final long maxSpins;
    private final long maxYields;
    private final long minParkNanos;
    private final long maxParkNanos;

    private long spins;
    private long yields;
    private long parkNanos;

    /**
     * @param maxSpins     busy-spin iterations ({@link Thread#onSpinWait()}) before yielding
     * @param maxYields    {@link Thread#yield()} calls before parking
     * @param minParkNanos first park period
     * @param maxParkNanos longest park period (doubling from the first); bounds every park
     */
    public BackoffIdleStrategy(long maxSpins, long maxYields, long minParkNanos, long maxParkNanos) {
        if (maxSpins < 0 || maxYields < 0 || minParkNanos < 1 || maxParkNanos < minParkNanos) {
            throw new IllegalArgumentException("bad back-off: spins=" + maxSpins + " yields=" + maxYields
                    + " park=" + minParkNanos + ".." + maxParkNanos + " ns");
        }
        this.maxSpins = maxSpins;
        this.maxYields = maxYields;
        this.minParkNanos = minParkNanos;
        this.maxParkNanos = maxParkNanos;
        this.parkNanos = minParkNanos;
    }

    /** The defaults used by the machine: 2000 spins, 50 yields, park 50 us .. 1 ms. */
    public static BackoffIdleStrategy defaults() {
        return new BackoffIdleStrategy(2_000, 50, 50_000, 1_000_000);
    }

    /**
     * The back-off of a CPU waiting for another CPU's clock (parallel mode's order, slack and
     * spin waits): 2000 spins (about 50 us on the measured host, longer than most hand-offs
     * between two running CPUs), 5 yields, then parks of 50 us .. 1 ms, from which the CPU it
     * waits for unparks it when its clock gets there ({@link ConcurrentClockWaiters}). Few
     * yields: on a loaded host a yield gives the core away for a time slice (milliseconds),
     * while a parked thread is unparked, and scheduled, as soon as it may go on.
     */
    public static BackoffIdleStrategy forClockWaits() {
        return new BackoffIdleStrategy(2_000, 5, 50_000, 1_000_000);
    }

    @Override
    public void idle(long boundedNanos) {
        if (spins < maxSpins) {
            spins++;
            Thread.onSpinWait();
        } else if (yields < maxYields) {
            yields++;
            Thread.yield();
        } else {
            LockSupport.parkNanos(this, Math.min(parkNanos, boundedNanos));
            parkNanos = Math.min(parkNanos << 1, maxParkNanos);
        }
    }

    @Override
    public long parkNanos(long bound) {
        long n = Math.min(parkNanos, bound);
        parkNanos = Math.min(parkNanos << 1, maxParkNanos);
        return n;
    }

    @Override
    public void reset() {
        spins = 0;
        yields = 0;
        parkNanos = minParkNanos;
    }

    @Override
    public boolean mayPark() {
        return spins >= maxSpins && yields >= maxYields;
    }
}
