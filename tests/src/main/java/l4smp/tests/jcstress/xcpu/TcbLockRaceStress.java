package l4smp.tests.jcstress.xcpu;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import l4smp.emulator.memory.PhysicalMemory;
import l4smp.kernel.xcpu.FlagLine;
import l4smp.kernel.xcpu.HostXcpuMemory;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.xcpu.XpSendHandshake;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * The lost wake-up of thesis 8.3.3, with and without the TCB lock, on the kernel's own handshake
 * steps ({@link XpSendHandshake}, as {@code XpSendPath} runs the sender's side and
 * {@code XpMailboxCheck.beginReceive/endReceive} the receiver's) and {@link FlagLine} over
 * {@link HostXcpuMemory}. The sender sets its request flag and sends an IPI only if the receiver
 * is already waiting; the receiver checks its flags and, finding none, publishes that it waits
 * (and sleeps until an IPI):
 * <pre>
 *   sender:   [lock(B)] r1 = B.WAIT_FOR != 0; set flag [unlock(B)]          -- IPI if r1
 *   receiver: [lock(B)] r2 = check_n_ack; if (!r2) B.WAIT_FOR = any [unlock(B)]
 * </pre>
 * (r1, r2) = (0, 0) is the lost wake-up: the sender sent no IPI because the receiver was not yet
 * waiting, and the receiver sleeps because it checked before the flag was set. It is an
 * interleaving race (possible even under sequential consistency), which the lock closes:
 * {@link WithTheLock} forbids it; {@link NaiveWithoutTheLock}, the negative control, runs the same
 * steps with {@code locking} false (the kernel's {@code Plant.LOST_WAKEUP}) and shows it.
 */
public final class TcbLockRaceStress {
    private TcbLockRaceStress() { }

    static final long LOCK = 0x1000;
    static final long WAITING = 0x1004;
    static final long FLAGS = 0x1080;
    static final int BIT = 5;
    /** The receiver's CPU: it stays there (no migration in this test). */
    static final int CPU_B = 0;

    /** Both sides of the rendezvous, the kernel's steps; {@code locking} false is the plant. */
    abstract static class Rendezvous {
        final HostXcpuMemory mem = new HostXcpuMemory(new PhysicalMemory(16 * 1024));
        final Tcb receiverTcb = new Tcb(ThreadId.of(40, 1), "B", CPU_B, 100, false, () -> { });
        private final boolean locking;

        Rendezvous(boolean locking) {
            this.locking = locking;
        }

        /** The sender's XP send handshake; returns 1 when it decides on the IPI (B waits). */
        int send() {
            if (!XpSendHandshake.lockOnCpu(mem, LOCK, locking, receiverTcb, CPU_B)) {
                throw new IllegalStateException("B never moves in this test");
            }
            int waitFor = XpSendHandshake.readWaitFor(mem, WAITING);
            XpSendHandshake.flagAndUnlock(mem, FLAGS, BIT, LOCK, locking);
            return waitFor != 0 ? 1 : 0;
        }

        /** The receiver's receive path; returns the number of requests its check found. */
        int receive() {
            XpSendHandshake.lockForReceive(mem, LOCK, locking);
            int found = FlagLine.checkAndAck(mem, FLAGS, bit -> { });
            if (found == 0) {
                XpSendHandshake.publishWaitFor(mem, WAITING, -1); // waiting, open receive
            }
            XpSendHandshake.unlock(mem, LOCK, locking);
            return found;
        }
    }

    /** The production protocol: check-and-publish and set-and-read are atomic under the lock. */
    @JCStressTest
    @Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "the receiver waited first; the sender saw it and sends the IPI")
    @Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "the sender set the flag first; the receiver's check found it")
    @Outcome(id = "0, 0", expect = FORBIDDEN, desc = "lost wake-up: no IPI, and the receiver sleeps with the request pending")
    @Outcome(expect = FORBIDDEN, desc = "anything else")
    @State
    public static class WithTheLock extends Rendezvous {
        public WithTheLock() {
            super(true);
        }

        @Actor
        public void sender(II_Result r) {
            r.r1 = send();
        }

        @Actor
        public void receiver(II_Result r) {
            r.r2 = receive();
        }
    }

    /** The planted variant without the TCB lock (negative control): the lost wake-up happens. */
    @JCStressTest
    @Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "the receiver waited first; the sender saw it and sends the IPI")
    @Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "the sender set the flag first; the receiver's check found it")
    @Outcome(id = "0, 0", expect = ACCEPTABLE_INTERESTING,
            desc = "the lost wake-up of 8.3.3: without the lock, both checked before the other acted")
    @Outcome(expect = FORBIDDEN, desc = "anything else")
    @State
    public static class NaiveWithoutTheLock extends Rendezvous {
        public NaiveWithoutTheLock() {
            super(false);
        }

        @Actor
        public void sender(II_Result r) {
            r.r1 = send();
        }

        @Actor
        public void receiver(II_Result r) {
            r.r2 = receive();
        }
    }
}
