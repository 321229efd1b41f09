package l4smp.tests;

import l4smp.emulator.cpu.ConcurrentRunState;
import l4smp.emulator.cpu.Dispatcher;
import l4smp.emulator.cpu.OrderPassCache;
import l4smp.tests.jcstress.timing.StandaloneRunState;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The order bound of parallel mode with exact timing
 * ({@link ConcurrentRunState#minOrderBoundCachedAcquire}, each bound from a fresh cache that reads
 * every CPU): a CPU may interact at cycle t when
 * every CPU after it has reached t and every CPU before it has passed t, so interactions follow
 * the total order (cycle, CPU index). Of CPUs at the same cycle exactly the lowest index goes on;
 * the CPU with the lowest (cycle, index) always goes on (no wait without a CPU that proceeds).
 * Single-threaded: the concurrency of the reads is {@code OrderHorizonStress}'s and
 * {@code RunStatePublicationStress}'s.
 */
class OrderBoundTieTest {

    static StandaloneRunState[] running(long... clocks) {
        StandaloneRunState[] cpus = new StandaloneRunState[clocks.length];
        for (int i = 0; i < clocks.length; i++) {
            cpus[i] = new StandaloneRunState(i);
            cpus[i].setRunningVolatile();
            cpus[i].setClockRelease(clocks[i]);
        }
        return cpus;
    }

    static long bound(ConcurrentRunState[] cpus, int self) {
        return ConcurrentRunState.minOrderBoundCachedAcquire(cpus, cpus[self], new OrderPassCache(cpus.length), Long.MAX_VALUE);
    }

    static boolean mayGo(ConcurrentRunState[] cpus, int self) {
        return bound(cpus, self) >= cpus[self].clockAcquire();
    }

    @Test
    void cpusAtTheSameCycleGoInIndexOrder() {
        StandaloneRunState[] cpus = running(100, 100, 100);
        assertTrue(mayGo(cpus, 0));
        assertFalse(mayGo(cpus, 1), "CPU 0 at the same cycle goes first");
        assertFalse(mayGo(cpus, 2));
        assertEquals(99, bound(cpus, 1));
        cpus[0].setClockRelease(101);
        assertTrue(mayGo(cpus, 1), "CPU 0 has passed the cycle");
        assertFalse(mayGo(cpus, 2), "CPU 1 is still at it");
    }

    @Test
    void aCpuThatCountsNotStaysUncounted() {
        StandaloneRunState[] cpus = running(100, 200);
        cpus[0].setIdleVolatile(Dispatcher.NO_EVENT); // idle without an event or interrupt: no bound
        assertEquals(Long.MAX_VALUE, bound(cpus, 1));
        cpus[0].setIdleVolatile(150); // idle until its timer: counts with the event, one cycle earlier
        assertEquals(149, bound(cpus, 1));
        assertEquals(200, bound(cpus, 0));
    }

    @Test
    void exactlyTheLowestCycleAndIndexGoesOn() {
        Random random = new Random(1);
        for (int round = 0; round < 2_000; round++) {
            int n = 2 + random.nextInt(5);
            long[] clocks = new long[n];
            for (int i = 0; i < n; i++) {
                clocks[i] = random.nextInt(4); // few values: many ties
            }
            StandaloneRunState[] cpus = running(clocks);
            int lowest = 0;
            for (int i = 1; i < n; i++) {
                if (clocks[i] < clocks[lowest]) {
                    lowest = i;
                }
            }
            for (int i = 0; i < n; i++) {
                int cpu = i;
                assertEquals(cpu == lowest, mayGo(cpus, cpu),
                        () -> "clocks " + java.util.Arrays.toString(clocks) + ", CPU " + cpu);
            }
        }
    }
}
