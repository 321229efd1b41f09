package l4smp.tests.jcstress.migrate;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import l4smp.emulator.memory.PhysicalMemory;
import l4smp.kernel.sched.ReadyList;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.xcpu.FlagLine;
import l4smp.kernel.xcpu.HostXcpuMemory;
import l4smp.kernel.xcpu.XpSendHandshake;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Mode;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.Signal;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * A migration against a concurrent cross-processor IPC to the migrating thread (thesis 8.5
 * race 2, 8.7.2), on real host threads, with the kernel's own {@link Tcb} (its processor word,
 * acquire/release), the kernel's XP send handshake {@link XpSendHandshake} (the TCB lock, 8.3.3), {@link FlagLine} (the XCPU request flags)
 * and {@link ReadyList} over {@link HostXcpuMemory}. The receiver t1 moves from CPU B (0) to CPU
 * C (1) while a sender on a third CPU sends to it:
 * <pre>
 *   sender (XpSendHandshake):  b = t1.cpu; lock(t1); if t1.cpu != b: unlock, run again (b = t1.cpu);
 *                              else set the request flag in b's line; unlock(t1)
 *   part B (MigrationParts):   remove t1 from B's ready list; (=1) ... (=2);
 *                              lock(t1); t1.cpu = C; unlock(t1); (~3);
 *                              B's next check_n_ack: a request found is answered RETARGET,
 *                              and the sender runs its IPC again, to C
 *   part C (MigrationParts):   (=2) insert t1 into C's ready list; wait for (~3)
 * </pre>
 * B's and C's parts run on one host thread in the order the barriers impose (jcstress runs no
 * more actors than the host has CPUs; the barriers themselves are those of the migration
 * tests in the kernel module).
 * The TCB lock orders the sender's check-and-flag with B's store of the new processor number:
 * either the sender sees C under the lock, or its flag is set before the move and B's next
 * check finds it. No request is left at a CPU that t1 has left; t1 is in exactly one ready
 * list, C's. {@link NaiveWithoutTheTcbLock}, the negative control, runs the same steps with the
 * lock off and loses the request at B.
 */
public final class MigrationIpcStress {
    private MigrationIpcStress() { }

    static final long TCB_LOCK = 0x1000;
    /** Flag lines of CPU 0 (B) and CPU 1 (C). */
    static final long[] FLAGS = {0x1080, 0x1100};
    /** The sender's mailbox bit in a destination's line; the retried (retargeted) send's bit. */
    static final int BIT_SEND = 5;
    static final int BIT_RETRY = 6;

    static final int B = 0;
    static final int C = 1;

    /** The machine of one sample: t1 on B, ready; both CPUs' ready lists; the shared words. */
    abstract static class Machine {
        final HostXcpuMemory mem = new HostXcpuMemory(new PhysicalMemory(16 * 1024));
        final Tcb t1 = new Tcb(ThreadId.of(40, 1), "t1", B, 100, false, () -> { });
        final ReadyList readyB = new ReadyList();
        final ReadyList readyC = new ReadyList();
        /** False: the planted variant without the TCB lock (the kernel's Plant.LOST_WAKEUP). */
        private final boolean locking;

        Machine() {
            this(true);
        }

        Machine(boolean locking) {
            this.locking = locking;
            readyB.enqueueTail(t1);
        }

        /**
         * The sender's XP send path to t1: the kernel's handshake ({@link XpSendHandshake}, as
         * {@code XpSendPath} runs it): lock t1's TCB and re-read its CPU (moved: run again, to
         * where it is now), then flag the request and unlock.
         */
        void send() {
            int b = t1.cpuAcquire();
            while (!XpSendHandshake.lockOnCpu(mem, TCB_LOCK, locking, t1, b)) {
                b = t1.cpuAcquire();
            }
            XpSendHandshake.flagAndUnlock(mem, FLAGS[b], BIT_SEND, TCB_LOCK, locking);
        }

        /**
         * The migration, parts B and C in the order of their barriers (one host thread: jcstress
         * runs no more actors than the host has CPUs): t1 leaves B's ready list (B, before =1),
         * enters C's (C, after =2), B sets the processor number under the TCB lock (before ~3),
         * and B's next kernel exit runs check_n_ack: the proxy of a request for t1 found there
         * answers RETARGET and the sender's CPU runs the send again, to C (modelled as the
         * retried flag in C's line).
         */
        void migrate() {
            readyB.remove(t1);
            readyC.enqueueTail(t1);
            XpSendHandshake.moveUnderLock(mem, TCB_LOCK, locking, t1, C); // part B, as MigrationMailboxes runs it
            FlagLine.checkAndAck(mem, FLAGS[B], bit -> FlagLine.set(mem, FLAGS[C], BIT_RETRY));
        }

        /** Requests now in CPU {@code cpu}'s line (and clears them). */
        int requestsAt(int cpu) {
            return FlagLine.checkAndAck(mem, FLAGS[cpu], bit -> { });
        }

        /** 1 when t1 is in exactly one ready list, C's, and its processor word names C. */
        int placedOnC() {
            return readyB.occurrences(t1) == 0 && readyC.occurrences(t1) == 1 && t1.cpuAcquire() == C
                    && t1.inReadyList() ? 1 : 0;
        }
    }

    /**
     * Sender and migration at once: the request is at C exactly once, none is left at B, and t1
     * is in C's structures only.
     */
    @JCStressTest
    @Outcome(id = "1, 0, 1", expect = ACCEPTABLE, desc = "the request reached C once (directly, or retargeted from B); none left at B; t1 on C only")
    @Outcome(id = "0, 1, .*", expect = FORBIDDEN, desc = "lost: the request sits at B, which t1 has left, and no IPI will come for it")
    @Outcome(id = "2, .*", expect = FORBIDDEN, desc = "delivered twice")
    @Outcome(id = ".*, .*, 0", expect = FORBIDDEN, desc = "t1 lost from every ready list, or in two, or its processor word wrong")
    @Outcome(expect = FORBIDDEN, desc = "anything else")
    @State
    public static class RequestFollowsTheReceiver extends Machine {
        @Actor
        public void sender() {
            send();
        }

        @Actor
        public void migration() {
            migrate();
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r1 = requestsAt(C);
            r.r2 = requestsAt(B);
            r.r3 = placedOnC();
        }
    }

    /**
     * The planted variant (negative control): sender and migration without the TCB lock. The
     * sender reads B, the migration moves t1 and checks B's line, then the flag lands at B.
     */
    @JCStressTest
    @Outcome(id = "1, 0, 1", expect = ACCEPTABLE, desc = "the request reached C once (directly, or retargeted from B); none left at B; t1 on C only")
    @Outcome(id = "0, 1, 1", expect = ACCEPTABLE_INTERESTING,
            desc = "without the TCB lock the request is lost at B, which t1 has left (8.5 race 2 re-opened)")
    @Outcome(expect = FORBIDDEN, desc = "anything else")
    @State
    public static class NaiveWithoutTheTcbLock extends Machine {
        public NaiveWithoutTheTcbLock() {
            super(false);
        }

        @Actor
        public void sender() {
            send();
        }

        @Actor
        public void migration() {
            migrate();
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r1 = requestsAt(C);
            r.r2 = requestsAt(B);
            r.r3 = placedOnC();
        }
    }

    /**
     * The receiver at its new CPU waits for the request (its receive path, then idle until the
     * flag shows): it always arrives, directly or retargeted from B (Mode.Termination). The
     * actor is the migration and then t1 on C; the signal is the sender.
     */
    @JCStressTest(Mode.Termination)
    @Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "the request reached t1 at its new CPU")
    @Outcome(id = "STALE", expect = FORBIDDEN, desc = "lost wake-up: the request stays at the CPU t1 left")
    @Outcome(expect = FORBIDDEN, desc = "anything else")
    @State
    public static class ReceiverAtItsNewCpuIsWoken extends Machine {
        @Actor
        public void migrateThenReceive() {
            migrate();
            while (requestsAt(C) == 0) {
                Thread.onSpinWait(); // t1 waits on C: only a request in C's line wakes it
            }
        }

        @Signal
        public void sender() {
            send();
        }
    }
}
