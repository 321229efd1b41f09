package l4smp.tests;

import l4smp.emulator.cpu.ConcurrentRunState;
import l4smp.emulator.cpu.Dispatcher;
import l4smp.emulator.cpu.OrderPassCache;
import l4smp.tests.jcstress.timing.StandaloneRunState;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Which other CPUs an order pass reads ({@link ConcurrentRunState#minOrderBoundCachedAcquire}):
 * after a first pass over all of them, only those last seen below the cycle waited for, and an
 * idle CPU's entry again when another CPU it reads has posted an interrupt since. Counted per CPU
 * as reads of its run state ({@code stateAcquire}, one per consistent read of its effective
 * clock) and as the pass's own count ({@link OrderPassCache#readsPlain}). Single-threaded: the
 * concurrency is {@code OrderPassCacheStress}'s.
 */
class OrderPassReadsTest {

    /** A run state that counts the reads of its run state. */
    private static final class CountedRunState extends StandaloneRunState {
        int reads;

        CountedRunState(int cpu) {
            super(cpu);
        }

        @Override
        public int stateAcquire() {
            reads++;
            return super.stateAcquire();
        }
    }

    private static CountedRunState[] running(long... clocks) {
        CountedRunState[] cpus = new CountedRunState[clocks.length];
        for (int i = 0; i < clocks.length; i++) {
            cpus[i] = new CountedRunState(i);
            cpus[i].setClockRelease(clocks[i]);
        }
        return cpus;
    }

    /** The reads of each CPU since the last call, reset. */
    private static int[] readsSince(CountedRunState[] cpus) {
        int[] r = new int[cpus.length];
        for (int i = 0; i < cpus.length; i++) {
            r[i] = cpus[i].reads;
            cpus[i].reads = 0;
        }
        return r;
    }

    @Test
    void aPassReadsOnlyTheCpusBehindTheCycle() {
        // CPU 0 waits; CPUs 1 to 7 run at 100, 200, ... 700.
        CountedRunState[] cpus = running(0, 100, 200, 300, 400, 500, 600, 700);
        OrderPassCache cache = new OrderPassCache(cpus.length);
        assertEquals(100, ConcurrentRunState.minOrderBoundCachedAcquire(cpus, cpus[0], cache, 50));
        assertArrayEquals(new int[] {0, 1, 1, 1, 1, 1, 1, 1}, readsSince(cpus), "the first pass reads every other CPU");

        for (int i = 1; i < cpus.length; i++) {
            cpus[i].setClockRelease(cpus[i].clockAcquire() + 1000);
        }
        // Waiting for cycle 350: CPUs 1 to 3 were last seen below it, 4 to 7 at or above it.
        assertEquals(400, ConcurrentRunState.minOrderBoundCachedAcquire(cpus, cpus[0], cache, 350));
        assertArrayEquals(new int[] {0, 1, 1, 1, 0, 0, 0, 0}, readsSince(cpus),
                "only the three CPUs behind the cycle are read again");
        // Now at 1100, 1200, 1300 and (entries) 400 to 700: cycle 450 reads CPU 4 only.
        assertEquals(500, ConcurrentRunState.minOrderBoundCachedAcquire(cpus, cpus[0], cache, 450));
        assertArrayEquals(new int[] {0, 0, 0, 0, 1, 0, 0, 0}, readsSince(cpus));
        assertEquals(2 + 1, cache.passesPlain());
        assertEquals(7 + 3 + 1, cache.readsPlain());
        // A pass for no cycle (Long.MAX_VALUE) reads every CPU that has not stopped.
        cpus[5].setStateVolatile(ConcurrentRunState.STOPPED);
        ConcurrentRunState.minOrderBoundCachedAcquire(cpus, cpus[0], cache, Long.MAX_VALUE);
        assertArrayEquals(new int[] {0, 1, 1, 1, 1, 1, 1, 1}, readsSince(cpus));
        assertEquals(1100, ConcurrentRunState.minOrderBoundCachedAcquire(cpus, cpus[0], cache, Long.MAX_VALUE));
        assertArrayEquals(new int[] {0, 1, 1, 1, 1, 0, 1, 1}, readsSince(cpus), "a stopped CPU is not read again");
    }

    @Test
    void anIdleEntryIsReadAgainAfterAnotherCpuPostedToIt() {
        // CPU 0 waits; CPU 1 idles until its timer event at 5000; CPU 2 runs at 1000.
        CountedRunState[] cpus = running(0, 0, 1000);
        cpus[1].setIdleVolatile(5000);
        OrderPassCache cache = new OrderPassCache(cpus.length);
        assertEquals(1000, ConcurrentRunState.minOrderBoundCachedAcquire(cpus, cpus[0], cache, 0));
        readsSince(cpus);

        // CPU 2 posts an IPI to CPU 1 (arriving at 1000 + 1030), counts it and computes on.
        long arrival = cpus[1].postIpi(2, 1000);
        cpus[2].countPostRelease();
        cpus[2].setClockRelease(3000);
        // Waiting for 2500: CPU 1's entry (5000) is above it, CPU 2's (1000) below. Reading CPU 2
        // shows its count moved: CPU 1's idle entry is dropped and read again.
        assertEquals(arrival, ConcurrentRunState.minOrderBoundCachedAcquire(cpus, cpus[0], cache, 2500));
        assertArrayEquals(new int[] {0, 1, 1}, readsSince(cpus));
        // No post since: waiting for the arrival reads nobody again.
        assertEquals(arrival, ConcurrentRunState.minOrderBoundCachedAcquire(cpus, cpus[0], cache, arrival));
        assertArrayEquals(new int[] {0, 0, 0}, readsSince(cpus));
    }

    @Test
    void aRunningEntryStaysABoundAcrossPosts() {
        // CPU 0 waits; CPU 1 runs at 4000; CPU 2 runs at 1000 and posts to CPU 1.
        CountedRunState[] cpus = running(0, 4000, 1000);
        OrderPassCache cache = new OrderPassCache(cpus.length);
        ConcurrentRunState.minOrderBoundCachedAcquire(cpus, cpus[0], cache, 0);
        readsSince(cpus);
        cpus[1].postIpi(2, 1000);
        cpus[2].countPostRelease();
        cpus[2].setClockRelease(3000);
        assertEquals(3000, ConcurrentRunState.minOrderBoundCachedAcquire(cpus, cpus[0], cache, 2500));
        assertArrayEquals(new int[] {0, 0, 1}, readsSince(cpus), "CPU 1 was read running: its clock only grows");
    }

    @Test
    void theCpusOwnPostLowersItsEntryOfTheTarget() {
        // CPU 0 posts to CPU 1, idle without a timer event (no bound); CPU 2 runs at 9000.
        CountedRunState[] cpus = running(0, 0, 9000);
        cpus[1].setIdleVolatile(Dispatcher.NO_EVENT);
        OrderPassCache cache = new OrderPassCache(cpus.length);
        assertEquals(9000, ConcurrentRunState.minOrderBoundCachedAcquire(cpus, cpus[0], cache, 0));
        readsSince(cpus);
        long arrival = cpus[1].postIpi(0, 2000);
        cache.lowerTo(1, arrival);
        cpus[0].countPostRelease();
        assertEquals(arrival, ConcurrentRunState.minOrderBoundCachedAcquire(cpus, cpus[0], cache, 1000));
        assertArrayEquals(new int[] {0, 0, 0}, readsSince(cpus));
        assertEquals(arrival, ConcurrentRunState.minOrderBoundCachedAcquire(cpus, cpus[0], cache, arrival + 1));
        assertArrayEquals(new int[] {0, 1, 0}, readsSince(cpus), "past the arrival the target is read again");
    }

    @Test
    void theTieRuleAppliesToCachedEntries() {
        // CPU 1 waits at 100; CPU 0 (before it) was read at 100: it counts as 99, below the cycle.
        CountedRunState[] cpus = running(100, 100, 500);
        OrderPassCache cache = new OrderPassCache(cpus.length);
        assertEquals(99, ConcurrentRunState.minOrderBoundCachedAcquire(cpus, cpus[1], cache, 100));
        readsSince(cpus);
        assertEquals(99, ConcurrentRunState.minOrderBoundCachedAcquire(cpus, cpus[1], cache, 100));
        assertArrayEquals(new int[] {1, 0, 0}, readsSince(cpus));
    }
}
