package l4smp.tests;

import l4smp.emulator.memory.PhysicalMemory;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.xcpu.HostXcpuMemory;
import l4smp.kernel.xcpu.XpSendHandshake;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The negative controls of the cross-processor redirection of X.2 propagation
 * ({@code RemoteRedirectStress}) can fail: over seeded schedules ({@link SteppedSchedule}: the
 * kernel's own {@link XpSendHandshake} steps, every memory operation one step), the planted
 * variants reach their forbidden outcomes and the real steps never do:
 * <ul>
 *   <li>a load and a store instead of the compare-and-set: the virtual sender's timeout comes
 *       between them, and the thread that stopped waiting stays published as waiting for the
 *       receiver;</li>
 *   <li>no TCB lock: the redirection comes between the read and the publication of the
 *       virtual sender's call's receive phase, and is lost.</li>
 * </ul>
 */
class RedirectNegativeControlTest {

    private static final int SCHEDULES = 1500;
    private static final long LOCK = 0x1000;
    private static final long WAIT_FOR = 0x1004;
    private static final int OLD = 7;
    private static final int NEW = 9;

    /**
     * The redirection (and the receiver's reply read) against the virtual sender's timeout;
     * returns the published wait at the end (0: V does not wait).
     */
    private static int againstTheTimeout(long seed, boolean atomic) {
        HostXcpuMemory mem = new HostXcpuMemory(new PhysicalMemory(16 * 1024));
        Tcb v = new Tcb(ThreadId.of(40, 1), "V", 1, 100, false, () -> { });
        XpSendHandshake.publishWaitFor(mem, WAIT_FOR, OLD);
        SteppedSchedule s = new SteppedSchedule(mem);
        s.run(seed, sch -> {
            var m = sch.memory(0); // the receiver's CPU: the redirection, then the receiver's reply
            XpSendHandshake.redirectWaitFor(m, LOCK, WAIT_FOR, v, OLD, NEW, true, atomic);
            if (!XpSendHandshake.lockOnCpu(m, LOCK, true, v, 1)) {
                throw new IllegalStateException("V never moves here");
            }
            XpSendHandshake.readWaitFor(m, WAIT_FOR);
            XpSendHandshake.unlock(m, LOCK, true);
        }, sch -> {
            var m = sch.memory(1); // V's CPU: its receive times out
            sch.step(1);
            XpSendHandshake.withdrawWaitFor(m, WAIT_FOR);
        }, 100_000);
        return mem.loadAcquire(WAIT_FOR);
    }

    @Test
    void withoutTheCasAVirtualSenderThatTimedOutStaysPublishedAsWaiting() {
        int stale = 0;
        for (long seed = 1; seed <= SCHEDULES; seed++) {
            if (againstTheTimeout(seed, false) != 0) {
                stale++;
            }
        }
        assertTrue(stale > 0, "the naive redirection never outlived the timeout in " + SCHEDULES + " schedules");
    }

    @Test
    void withTheCasAVirtualSenderThatTimedOutNeverStaysPublished() {
        for (long seed = 1; seed <= SCHEDULES; seed++) {
            assertEquals(0, againstTheTimeout(seed, true), "seed " + seed);
        }
    }

    /** The redirection against V's call's receive phase; returns whom V waits for at the end. */
    private static int againstTheReceivePhase(long seed, boolean locking) {
        HostXcpuMemory mem = new HostXcpuMemory(new PhysicalMemory(16 * 1024));
        Tcb v = new Tcb(ThreadId.of(40, 1), "V", 1, 100, false, () -> { });
        XpSendHandshake.publishWaitFor(mem, WAIT_FOR, OLD); // the proxy published V's receive
        SteppedSchedule s = new SteppedSchedule(mem);
        s.run(seed, sch -> {
            var m = sch.memory(0); // the receiver's CPU
            XpSendHandshake.redirectWaitFor(m, LOCK, WAIT_FOR, v, OLD, NEW, locking, true);
        }, sch -> {
            var m = sch.memory(1); // V's CPU: adopt under the lock, then publish (beginReceive, endReceive)
            XpSendHandshake.lockForReceive(m, LOCK, locking);
            int w = XpSendHandshake.readWaitFor(m, WAIT_FOR);
            int from = w != OLD && v.redirectedAcquire() == XpSendHandshake.redirection(OLD, w) ? w : OLD;
            XpSendHandshake.publishWaitFor(m, WAIT_FOR, from);
            XpSendHandshake.unlock(m, LOCK, locking);
        }, 100_000);
        return mem.loadAcquire(WAIT_FOR);
    }

    @Test
    void withoutTheTcbLockTheReceivePhaseLosesTheRedirection() {
        int lost = 0;
        for (long seed = 1; seed <= SCHEDULES; seed++) {
            if (againstTheReceivePhase(seed, false) == OLD) {
                lost++;
            }
        }
        assertTrue(lost > 0, "the redirection without the lock was never lost in " + SCHEDULES + " schedules");
    }

    @Test
    void withTheTcbLockTheRedirectionIsNeverLost() {
        for (long seed = 1; seed <= SCHEDULES; seed++) {
            assertEquals(NEW, againstTheReceivePhase(seed, true), "seed " + seed);
        }
    }
}
