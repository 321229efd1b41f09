package l4smp.emulator.cpu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConcurrentClockWaitersTest {

    @Test
    void eachWaiterHasItsOwnBitOnEachTarget() {
        ConcurrentClockWaiters w = new ConcurrentClockWaiters(64);
        w.registerVolatile(0, 63, 100);
        w.registerVolatile(63, 0, 100);
        w.registerVolatile(5, 63, 200);
        assertTrue(w.registeredVolatile(0, 63));
        assertTrue(w.registeredVolatile(5, 63));
        assertTrue(w.registeredVolatile(63, 0));
        assertFalse(w.registeredVolatile(0, 0));
        w.deregisterVolatile(0, 63);
        assertFalse(w.registeredVolatile(0, 63));
        assertTrue(w.registeredVolatile(5, 63), "deregistering one waiter kept the other");
        w.wakeReachedVolatile(63, Long.MAX_VALUE); // waiter 5 has no thread bound: nothing to unpark
    }

    @Test
    void bounds() {
        assertThrows(IllegalArgumentException.class, () -> new ConcurrentClockWaiters(0));
        assertThrows(IllegalArgumentException.class, () -> new ConcurrentClockWaiters(65));
    }

    /**
     * A waiter that parks with no bound until the target's clock reaches its cycle ends once the
     * target gets there. The wait for the waiter to park is bounded by the test's timeout.
     */
    @Test
    @Timeout(60)
    void theTargetUnparksAWaiterWhoseCycleItReached() throws InterruptedException {
        ConcurrentClockWaiters w = new ConcurrentClockWaiters(2);
        AtomicLong targetClock = new AtomicLong(1000);
        Thread waiter = new Thread(() -> {
            w.bindThreadVolatile(0, Thread.currentThread());
            while (targetClock.get() < 2000) {
                w.registerVolatile(0, 1, 2000);
                try {
                    if (targetClock.get() < 2000) {
                        LockSupport.park(this);
                    }
                } finally {
                    w.deregisterVolatile(0, 1);
                }
            }
        }, "clock-waiter");
        waiter.setDaemon(true);
        waiter.start();
        awaitParkedAndRegistered(w, waiter);
        targetClock.set(1500);
        w.wakeReachedVolatile(1, 1500); // below the waiter's cycle: it waits on (or wakes and parks again)
        targetClock.set(2000);
        w.wakeReachedVolatile(1, 2000);
        waiter.join(TimeUnit.SECONDS.toMillis(30));
        assertFalse(waiter.isAlive(), "the waiter slept through the target reaching its cycle");
    }

    /** Until the waiter has registered on CPU 1 and parks (so that only an unpark can end its wait). */
    private static void awaitParkedAndRegistered(ConcurrentClockWaiters w, Thread waiter) throws InterruptedException {
        while (!(w.registeredVolatile(0, 1) && waiter.getState() == Thread.State.WAITING)) {
            Thread.sleep(1); // bounded by the test's timeout
        }
    }
}
