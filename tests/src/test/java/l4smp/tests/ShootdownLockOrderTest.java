package l4smp.tests;

import l4smp.tests.jcstress.space.ShootdownLockOrderStress;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The schedule the jcstress test leaves to chance, forced: CPU 0 takes the mapping-database lock
 * first, then CPU 1 (both LINT slots full, interrupts disabled) spins for it. With the kernel's
 * order (shootdown after the lock is released) the run completes; with the planted order
 * (--plant shootdown-lint: the shootdown under the lock) CPU 0 waits for a LINT slot that CPU 1
 * never frees -- the deadlock, reported when CPU 0's bounded wait gives up.
 */
class ShootdownLockOrderTest {

    private static boolean run(boolean planted) throws Exception {
        ShootdownLockOrderStress.Rig rig = new ShootdownLockOrderStress.Rig();
        CompletableFuture<Void> cpu1 = CompletableFuture.runAsync(() -> {
            while (!rig.cpu0HoldsLock) {
                Thread.onSpinWait();
            }
            rig.spinner();
        });
        // CPU 0 takes the lock before CPU 1 spins for it: hold it a moment so that CPU 1 spins.
        if (planted) {
            rig.plantedOrder();
        } else {
            rig.kernelOrder();
        }
        cpu1.get(30, TimeUnit.SECONDS);
        return rig.gaveUp;
    }

    @Test
    void kernelOrderCompletes() throws Exception {
        assertFalse(run(false), "the kernel's order never waits for a LINT slot with the lock held");
    }

    @Test
    void plantedOrderDeadlocks() throws Exception {
        assertTrue(run(true), "the planted order (shootdown under the lock) must deadlock on the full LINT slots");
    }
}
