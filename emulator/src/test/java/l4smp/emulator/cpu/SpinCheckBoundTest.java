package l4smp.emulator.cpu;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The bound of a spin-wait's check ({@link ConcurrentRunState#minSpinOrderBoundConsistentAcquire})
 * against the order bound of a write ({@link ConcurrentRunState#minOrderBoundCachedAcquire}, from a
 * fresh cache: a pass over all CPUs),
 * on published run states set up by hand: a spinning CPU whose last failed check came after every
 * CPU's last interaction counts with the earliest time it can act -- its own pending interrupt,
 * or a running CPU's clock (one more when that CPU is numbered after it, whose write at cycle t it
 * sees only at a check after t) -- never below its next check; otherwise, and for a write always,
 * with its clock.
 */
class SpinCheckBoundTest {

    /** A run state without interrupts unless {@link #arrival} is set. */
    static final class State extends ConcurrentRunState {
        long arrival = Long.MAX_VALUE;

        @Override
        public boolean interruptPendingVolatile() {
            return arrival != Long.MAX_VALUE;
        }

        @Override
        public long earliestPendingArrivalAcquire() {
            return arrival;
        }
    }

    private static State spinning(long failedCheck, long lastInteraction, boolean interruptible) {
        State s = new State();
        s.setLastInteractionRelease(lastInteraction);
        s.setClockRelease(failedCheck + 3);
        s.setSpinningRelease(failedCheck, interruptible);
        return s;
    }

    private static State running(long clock, long lastInteraction) {
        State s = new State();
        s.setLastInteractionRelease(lastInteraction);
        s.setClockRelease(clock);
        return s;
    }

    private long spinBound(ConcurrentRunState[] cpus, ConcurrentRunState self) {
        return ConcurrentRunState.minSpinOrderBoundConsistentAcquire(cpus, self,
                new long[ConcurrentRunState.SPIN_SCRATCH_PER_CPU * cpus.length]);
    }

    private long writeBound(ConcurrentRunState[] cpus, ConcurrentRunState self) {
        return ConcurrentRunState.minOrderBoundCachedAcquire(cpus, self, new OrderPassCache(cpus.length),
                Long.MAX_VALUE);
    }

    @Test
    void twoSettledSpinningCpusCountEachOtherWithTheirInterrupts() {
        State a = spinning(1000, 900, true);
        State b = spinning(1100, 950, true);
        b.arrival = 2070;
        ConcurrentRunState[] cpus = {a, b};
        // a (CPU 0) checks at 1003: b can act at its IPI's arrival; a write of a still waits for b's next check
        assertEquals(2070, spinBound(cpus, a));
        assertEquals(1103, writeBound(cpus, a));
        // b (CPU 1) checks: a has no interrupt and nobody else can wake it
        assertEquals(Long.MAX_VALUE, spinBound(cpus, b));
        assertEquals(1002, writeBound(cpus, b), "a before b: one cycle earlier at a tie");
    }

    @Test
    void aSpinningCpuWithoutInterruptsIgnoresItsPendingOnes() {
        State a = spinning(1000, 900, true);
        State b = spinning(1100, 950, false);
        b.arrival = 2070;
        assertEquals(Long.MAX_VALUE, spinBound(new ConcurrentRunState[] {a, b}, a));
    }

    @Test
    void aWriteSinceTheFailedCheckKeepsTheSpinningCpuAtItsNextCheck() {
        State a = spinning(1000, 900, true);
        State b = spinning(1100, 1100, true); // an interaction at its failed check's cycle: b itself
        assertEquals(1103, spinBound(new ConcurrentRunState[] {a, b}, a));
        State c = spinning(1100, 950, true);
        State d = running(5000, 1101); // wrote after c's failed check, then computed on
        ConcurrentRunState[] cpus = {a, c, d};
        assertEquals(1103, spinBound(cpus, a), "c's next check may see d's write");
        State e = spinning(1000, 1101, true); // the asker's own write before its wait counts too
        assertEquals(1103, spinBound(new ConcurrentRunState[] {e, spinning(1100, 950, true)}, e));
    }

    @Test
    void anInteractionAtTheFailedChecksCycleCountsByIndex() {
        // CPU 0 interacted at 1100, before (1100, CPU 1): b's failed check saw it, b is settled
        // and counts with CPU 0's clock (it sees a write of CPU 0 at a check at or after it)
        State x = running(5000, 1100);
        State b = spinning(1100, 950, true);
        State a = spinning(1200, 900, true);
        assertEquals(4999, spinBound(new ConcurrentRunState[] {x, b, a}, a));
        // CPU 1 interacted at 1100, after (1100, CPU 0): b's next check may see it
        State b2 = spinning(1100, 950, true);
        State y = running(5000, 1100);
        State a2 = spinning(1200, 900, true);
        assertEquals(1102, spinBound(new ConcurrentRunState[] {b2, y, a2}, a2));
    }

    @Test
    void aSettledSpinningCpuCountsWithTheRunningCpusNotWithItsClock() {
        State b = spinning(1100, 950, true);
        State a = spinning(1400, 900, true);
        State x = running(1500, 1000);
        // b (CPU 0) sees a write of x (CPU 2) at 1500 only at a check after it: 1501, one less
        // for a CPU numbered before a (CPU 1); x itself 1500
        assertEquals(1500, spinBound(new ConcurrentRunState[] {b, a, x}, a));
        State x2 = running(1500, 1000);
        State b2 = spinning(1100, 950, true);
        State a2 = spinning(1400, 900, true);
        // x (CPU 0) before b (CPU 1): b may act at 1500 itself
        assertEquals(1499, spinBound(new ConcurrentRunState[] {x2, b2, a2}, a2));
        // a write of a waits for b's next check as before
        assertEquals(1102, writeBound(new ConcurrentRunState[] {b, a, x}, a));
    }

    @Test
    void aCpuThatWithdrewItsPublicationCountsWithItsClock() {
        State a = spinning(1000, 900, true);
        State b = spinning(1100, 950, true);
        b.clearSpinningVolatile();
        assertEquals(1103, spinBound(new ConcurrentRunState[] {a, b}, a));
    }
}
