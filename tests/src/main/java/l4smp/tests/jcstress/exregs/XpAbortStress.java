package l4smp.tests.jcstress.exregs;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import l4smp.emulator.memory.PhysicalMemory;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.xcpu.AbortJoin;
import l4smp.kernel.xcpu.FlagLine;
import l4smp.kernel.xcpu.HostXcpuMemory;
import l4smp.kernel.xcpu.Mailbox;
import l4smp.kernel.xcpu.MailboxPool;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Mode;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.Signal;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * Exchange-registers aborting a cross-processor IPC (thesis 8.4.3; the kernel's
 * {@code l4smp.kernel.ipc.XpExchangeRegisters}) on real host threads, with the kernel's own
 * {@link FlagLine}, {@link MailboxPool} and {@link AbortJoin} (the hold, and the unwind's post,
 * answer and read) over {@link HostXcpuMemory}:
 *
 * <pre>
 *   b (the receiver's CPU):  check_n_ack; the send's proxy is hooked; the unwind, if found,
 *                            runs first (its bit is lower: the proxy found "activated, not run");
 *                            else the receiver takes the message (delivered, reply 0);
 *                            the unwind, when found: check_n_ack again, then abort the send if
 *                            its proxy has not answered (reply "canceled"), answer the unwind
 *   d (the target's CPU):    claim a mailbox d->b, fill it, flag the unwind; hold the target
 *                            until both the send's reply and the unwind's answer are in (in
 *                            either order), then free both mailboxes
 * </pre>
 * Exactly one of "delivered, the abort found nothing" and "aborted, not delivered"; never both,
 * never neither; no mailbox left claimed.
 */
public final class XpAbortStress {
    private XpAbortStress() { }

    static final long SEND_BOX = 0x1000;
    static final long UNWIND_BOX = 0x1020;
    static final long REQUEST_BOX_1 = 0x1040;
    static final long FLAGS_B = 0x1080;
    static final long FLAGS_D = 0x10C0;

    /** Request bits in b's line (the unwind's slot is below the send's). */
    static final int UNWIND_REQUEST = 1;
    static final int SEND_REQUEST = 3;
    /** Reply bits in d's line. */
    static final int UNWIND_REPLY = 128 + 1;
    static final int SEND_REPLY = 128 + 3;

    /** The target thread's raw id (the unwind names it). */
    static final int TARGET_RAW = ThreadId.of(40, 1).raw();

    static final int CANCELED = 3 << 1; // "canceled" in the send phase (IpcError.word(3, 0))

    static final int IDLE = 0;
    static final int HOOKED = 1;

    static HostXcpuMemory newMemory() {
        return new HostXcpuMemory(new PhysicalMemory(16 * 1024));
    }

    /** The mechanism's state: d's send to b is in flight (its request flagged) when the test starts. */
    abstract static class InFlight {
        final HostXcpuMemory mem = newMemory();
        final AbortJoin join = new AbortJoin();
        // b's (the receiver CPU's) own state
        int proxy = IDLE;
        boolean unwindFound;
        boolean unwindServed;
        int delivered;
        // d's (the target CPU's) own state
        int sendCode = -1;
        int unwindResult = -1;

        InFlight() {
            // The target's XP send: mailbox d->b claimed, filled, flagged (8.3.5 send path).
            MailboxPool.tryClaim(mem, SEND_BOX);
            MailboxPool.unlock(mem, SEND_BOX);
            FlagLine.set(mem, FLAGS_B, SEND_REQUEST);
        }

        /** check_n_ack on b: a request hooks its proxy. */
        void checkB() {
            FlagLine.checkAndAck(mem, FLAGS_B, bit -> {
                if (bit == SEND_REQUEST) {
                    proxy = HOOKED;
                } else if (bit == UNWIND_REQUEST) {
                    unwindFound = true;
                }
            });
        }

        /** The send's proxy answers its sender (wakeup sender, 8.4.1). */
        void replySend(int code) {
            mem.storeRelease(SEND_BOX + Mailbox.CODE, code);
            proxy = IDLE;
            FlagLine.set(mem, FLAGS_D, SEND_REPLY);
        }

        /** The unwind proxy on b (8.4.3). */
        void serveUnwind() {
            checkB(); // the send was flagged before the unwind: now it is hooked (or answered)
            int aborted = 0;
            if (proxy == HOOKED) {
                replySend(CANCELED);
                aborted = 1;
            }
            AbortJoin.answerUnwind(mem, UNWIND_BOX, aborted == 1, FLAGS_D, UNWIND_REPLY); // as XpAbortHold.serveUnwind
            unwindServed = true;
        }

        /** b: the receiver enters its receive path while the abort may be arriving. */
        void receiverCpu() {
            checkB();
            if (unwindFound && !unwindServed) {
                serveUnwind(); // lower bit: it runs before the hooked send proxy
            }
            if (proxy == HOOKED) {
                delivered = 1; // the receiver waits for the sender: the proxy transmits
                replySend(0);
            }
            while (!unwindServed) {
                checkB();
                if (unwindFound) {
                    serveUnwind(); // found nothing now: the proxy has answered
                }
                Thread.onSpinWait();
            }
        }

        /** d: post the unwind, then hold the target until both answers are in. */
        void targetCpu() {
            while (!MailboxPool.tryClaim(mem, UNWIND_BOX)) {
                Thread.onSpinWait();
            }
            join.begin(true);
            AbortJoin.postUnwind(mem, UNWIND_BOX, TARGET_RAW, FLAGS_B, UNWIND_REQUEST); // as XpExchangeRegisters posts it
            while (!join.complete()) {
                FlagLine.checkAndAck(mem, FLAGS_D, bit -> {
                    if (bit == SEND_REPLY) {
                        sendCode = mem.loadAcquire(SEND_BOX + Mailbox.CODE);
                        join.replyArrived();
                    } else if (bit == UNWIND_REPLY) {
                        unwindResult = AbortJoin.unwindAborted(mem, UNWIND_BOX) ? 1 : 0;
                        MailboxPool.free(mem, UNWIND_BOX);
                        join.unwindAnswered();
                    }
                });
                Thread.onSpinWait();
            }
            MailboxPool.free(mem, SEND_BOX); // XP RETURN: the target consumes its reply
        }

        int leaked() {
            return mem.loadAcquire(SEND_BOX + Mailbox.BUSY) + mem.loadAcquire(UNWIND_BOX + Mailbox.BUSY);
        }
    }

    /**
     * The abort (d) races with the receiver's receive (b): results are (delivered, the send's
     * code is "canceled", the unwind aborted, mailboxes left claimed).
     */
    @JCStressTest
    @Outcome(id = "1, 0, 0, 0", expect = ACCEPTABLE, desc = "delivered, the abort found nothing")
    @Outcome(id = "0, 1, 1, 0", expect = ACCEPTABLE, desc = "aborted (canceled in the send phase), not delivered")
    @Outcome(id = "1, 1, .*", expect = FORBIDDEN, desc = "delivered and aborted")
    @Outcome(id = "0, 0, .*", expect = FORBIDDEN, desc = "lost: neither delivered nor aborted")
    @Outcome(expect = FORBIDDEN, desc = "anything else (an answer lost or doubled, a mailbox leaked)")
    @State
    public static class AbortAgainstDelivery extends InFlight {
        @Actor
        public void receiver() {
            receiverCpu();
        }

        @Actor
        public void aborter() {
            targetCpu();
        }

        @Arbiter
        public void arbiter(IIII_Result r) {
            r.r1 = delivered;
            r.r2 = sendCode == CANCELED ? 1 : sendCode == 0 ? 0 : 2;
            r.r3 = unwindResult;
            r.r4 = leaked();
        }
    }

    /** The hold on d ends whichever order the two answers take: the target is never stuck. */
    @JCStressTest(Mode.Termination)
    @Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "the hold ended: both answers consumed")
    @Outcome(id = "STALE", expect = FORBIDDEN, desc = "the target is held forever (an answer lost)")
    @Outcome(expect = FORBIDDEN, desc = "anything else")
    @State
    public static class HoldEnds extends InFlight {
        @Actor
        public void aborter() {
            targetCpu();
        }

        @Signal
        public void receiver() {
            receiverCpu();
        }
    }

    /**
     * Two threads cancel the same send at once (8.4.3: concurrent exchange-registers): one on
     * another CPU, whose request reaches the target's CPU through a mailbox, and one on the
     * target's CPU itself, whose operation runs in its own kernel path; the target's CPU checks
     * its mailboxes meanwhile (and again at its next kernel exit, the arbiter). Operations on
     * the target run one at a time on its CPU: the first aborts, the second finds the send
     * already over. Results: (aborts reported, operations answered, mailbox left claimed).
     */
    @JCStressTest
    @Outcome(id = "1, 2, 0", expect = ACCEPTABLE, desc = "exactly one abort wins; both callers are answered")
    @Outcome(id = "2, .*", expect = FORBIDDEN, desc = "both aborts won: the IPC was aborted twice")
    @Outcome(expect = FORBIDDEN, desc = "neither won, a request was lost, or its mailbox leaked")
    @State
    public static class TwoAbortsOneWins {
        final HostXcpuMemory mem = newMemory();
        boolean sendOpen = true; // the target's send phase (the target CPU's own state)
        int wins;
        int answered;

        /** The exchange-registers operation on the target's CPU. */
        void abortOnTargetCpu() {
            if (sendOpen) {
                sendOpen = false;
                wins++;
            }
            answered++;
        }

        void check() {
            FlagLine.checkAndAck(mem, FLAGS_D, bit -> {
                abortOnTargetCpu();
                MailboxPool.free(mem, REQUEST_BOX_1); // the caller consumed the answer
            });
        }

        @Actor
        public void remoteCaller() {
            while (!MailboxPool.tryClaim(mem, REQUEST_BOX_1)) {
                Thread.onSpinWait();
            }
            MailboxPool.unlock(mem, REQUEST_BOX_1);
            FlagLine.set(mem, FLAGS_D, 0);
        }

        @Actor
        public void targetCpu() {
            check();            // a request that has arrived runs first ...
            abortOnTargetCpu(); // ... then the local caller's own kernel path
            check();
        }

        @Arbiter
        public void arbiter(III_Result r) {
            check(); // the target CPU's next kernel exit
            r.r1 = wins;
            r.r2 = answered;
            r.r3 = mem.loadAcquire(REQUEST_BOX_1 + Mailbox.BUSY);
        }
    }
}
