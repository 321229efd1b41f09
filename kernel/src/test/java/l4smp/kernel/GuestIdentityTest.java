package l4smp.kernel;

import l4smp.emulator.ExecutionMode;
import l4smp.emulator.cpu.Cpu;
import l4smp.kernel.api.L4;
import l4smp.kernel.thread.L4ThreadIdentity;
import l4smp.kernel.thread.Tcb;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A thread's host identity ({@link L4ThreadIdentity}, see {@code Cpu.runGuest}) exists exactly
 * where the CPU installs it: in parallel mode a running L4 thread is the current host thread
 * under its own identity; in deterministic mode it runs under the stepper's thread and no
 * identity is built (a host {@code Thread} object per L4 thread, for nothing, was most of the
 * host allocation of a run with 10^4 short-lived clients).
 */
class GuestIdentityTest {

    /** What one thread saw of itself: its TCB, and the host thread it ran as. */
    private record Seen(Tcb tcb, Thread current) { }

    /** Runs one L4 thread on {@code rig} to its end and returns what it saw. */
    private static Seen runOneThread(KernelRig rig) {
        AtomicReference<Tcb> tcb = new AtomicReference<>();
        AtomicReference<Thread> current = new AtomicReference<>();
        rig.spawn("t", 0, () -> {
            tcb.set(rig.kernel.lookup(L4.myself()));
            current.set(Thread.currentThread());
        });
        rig.runClean();
        return new Seen(tcb.get(), current.get());
    }

    @Test
    void parallelModeRunsAThreadUnderItsOwnIdentity() {
        assertTrue(Cpu.guestIdentitySupported(), "the build opens java.lang to the emulator");
        Seen seen = runOneThread(KernelRig.of(ExecutionMode.PARALLEL, 1));
        assertNotNull(seen.tcb().identity());
        assertSame(seen.tcb().identity(), seen.current());
    }

    @Test
    void deterministicModeBuildsNoIdentity() {
        Seen seen = runOneThread(KernelRig.deterministic(1));
        assertNull(seen.tcb().identity());
        assertEquals(false, seen.current() instanceof L4ThreadIdentity);
    }
}
