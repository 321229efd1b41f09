package l4smp.tests;

import l4smp.tests.jcstress.space.ShootdownTcbLockStress;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The schedule the jcstress test leaves to chance, forced: CPU 1 takes the receiver's TCB lock
 * first, then CPU 0 (interrupts disabled) spins for it. With the kernel's order (the shootdown
 * held until the lock is released) the run completes and the reply follows the acknowledgement;
 * with the shootdown under the lock CPU 1 waits for an acknowledgement that CPU 0 never gives --
 * the deadlock, reported when CPU 1's bounded wait gives up.
 */
class ShootdownTcbLockTest {

    private static ShootdownTcbLockStress.Rig run(boolean planted) throws Exception {
        ShootdownTcbLockStress.Rig rig = new ShootdownTcbLockStress.Rig();
        CompletableFuture<Void> cpu0 = CompletableFuture.runAsync(() -> {
            while (!rig.cpu1HoldsLock) {
                Thread.onSpinWait();
            }
            rig.spinner();
        });
        if (planted) {
            rig.plantedOrder();
        } else {
            rig.kernelOrder();
        }
        cpu0.get(30, TimeUnit.SECONDS);
        return rig;
    }

    @Test
    void kernelOrderCompletesAndRepliesAfterTheAcknowledgement() throws Exception {
        ShootdownTcbLockStress.Rig rig = run(false);
        assertFalse(rig.gaveUp, "the kernel's order never waits for an acknowledgement with the TCB lock held");
        assertFalse(rig.repliedEarly, "the reply waits for the shootdown");
        assertTrue(rig.acknowledged);
    }

    @Test
    void theShootdownUnderTheLockDeadlocks() throws Exception {
        assertTrue(run(true).gaveUp, "a shootdown under the TCB lock must deadlock against a CPU spinning for it");
    }
}
