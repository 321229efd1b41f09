package l4smp.tests.jcstress.xcpu;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import l4smp.emulator.memory.PhysicalMemory;
import l4smp.kernel.xcpu.FlagLine;
import l4smp.kernel.xcpu.HostXcpuMemory;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.xcpu.XpSendHandshake;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Mode;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.Signal;
import org.openjdk.jcstress.annotations.State;

/**
 * The TCB lock of thesis 8.3.3 as the kernel uses it: both sides run the kernel's
 * {@link XpSendHandshake} steps (the sender's as {@code XpSendPath} runs them, the receiver's as
 * {@code XpMailboxCheck.beginReceive/endReceive} do) and {@link FlagLine}, on real host threads
 * over {@link HostXcpuMemory}. The planted variant without the lock is
 * {@code TcbLockRaceStress.NaiveWithoutTheLock} (its lost wake-up shown by
 * {@code NegativeControlTest} too):
 *
 * <pre>
 *   sender:   lock(B); w = B.WAIT_FOR; set flag; unlock(B); if (w) send IPI
 *   receiver: lock(B); found = check_n_ack; if (!found) B.WAIT_FOR = waiting; unlock(B);
 *             if (!found) sleep until the IPI, then check_n_ack
 * </pre>
 * Sender and receiver entering IPC at once always rendezvous: the receiver never sleeps
 * forever (Mode.Termination).
 */
public final class TcbLockRendezvousStress {
    private TcbLockRendezvousStress() { }

    static final long LOCK = 0x1000;
    static final long WAIT_FOR = 0x1004;
    static final long IPI = 0x1040;
    static final long FLAGS = 0x1080;

    /** Sender and receiver enter IPC at once on two CPUs: the receiver is always woken. */
    @JCStressTest(Mode.Termination)
    @Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "the receiver found the request (by its check or after the IPI)")
    @Outcome(id = "STALE", expect = FORBIDDEN, desc = "lost wake-up: the receiver sleeps with the request pending")
    @Outcome(expect = FORBIDDEN, desc = "anything else")
    @State
    public static class BothEnterAtOnce {
        final HostXcpuMemory mem = new HostXcpuMemory(new PhysicalMemory(16 * 1024));
        /** The receiver B's TCB (its CPU word: the sender re-reads it under the lock). */
        final Tcb receiverTcb = new Tcb(ThreadId.of(40, 1), "B", 0, 100, false, () -> { });

        @Actor
        public void receiver() {
            // The kernel's receive path (XpMailboxCheck.beginReceive/endReceive): lock B's TCB,
            // check_n_ack, publish WAIT_FOR if nothing was found, unlock.
            XpSendHandshake.lockForReceive(mem, LOCK, true);
            int found = FlagLine.checkAndAck(mem, FLAGS, bit -> { });
            if (found == 0) {
                XpSendHandshake.publishWaitFor(mem, WAIT_FOR, -1); // waiting (open)
            }
            XpSendHandshake.unlock(mem, LOCK, true);
            if (found == 0) {
                // asleep: only the IPI wakes us; then check_n_ack finds the request
                while (mem.loadAcquire(IPI) == 0) {
                    Thread.onSpinWait();
                }
                while (FlagLine.checkAndAck(mem, FLAGS, bit -> { }) == 0) {
                    Thread.onSpinWait(); // never more than once: the flag was set before the IPI
                }
            }
        }

        @Signal
        public void sender() {
            // The kernel's XP send handshake (XpSendPath): lock B's TCB (B stays on CPU 0),
            // read WAIT_FOR, flag the request and unlock.
            if (!XpSendHandshake.lockOnCpu(mem, LOCK, true, receiverTcb, 0)) {
                throw new IllegalStateException("B never moves in this test");
            }
            boolean receptive = XpSendHandshake.readWaitFor(mem, WAIT_FOR) != 0;
            XpSendHandshake.flagAndUnlock(mem, FLAGS, 5, LOCK, true);
            if (receptive) {
                mem.storeRelease(IPI, 1);
            }
        }
    }
}
