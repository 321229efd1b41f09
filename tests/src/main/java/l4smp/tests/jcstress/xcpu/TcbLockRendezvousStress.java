package l4smp.tests.jcstress.xcpu;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import l4smp.emulator.memory.PhysicalMemory;
import l4smp.kernel.xcpu.FlagLine;
import l4smp.kernel.xcpu.HostXcpuMemory;
import l4smp.kernel.xcpu.SpinLock;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Mode;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.Signal;
import org.openjdk.jcstress.annotations.State;

/**
 * The TCB lock of thesis 8.3.3 as the kernel uses it ({@code XpIpc.send} and
 * {@code XpIpc.beginReceive/endReceive}), on real host threads with the kernel's own
 * {@link SpinLock} and {@link FlagLine} code over {@link HostXcpuMemory}:
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

        @Actor
        public void receiver() {
            SpinLock.lock(mem, LOCK);
            int found = FlagLine.checkAndAck(mem, FLAGS, bit -> { });
            if (found == 0) {
                mem.storeRelease(WAIT_FOR, -1); // waiting (open)
            }
            SpinLock.unlock(mem, LOCK);
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
            SpinLock.lock(mem, LOCK);
            boolean receptive = mem.loadAcquire(WAIT_FOR) != 0;
            FlagLine.set(mem, FLAGS, 5);
            SpinLock.unlock(mem, LOCK);
            if (receptive) {
                mem.storeRelease(IPI, 1);
            }
        }
    }
}
