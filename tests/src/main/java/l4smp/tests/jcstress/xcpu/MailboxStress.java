package l4smp.tests.jcstress.xcpu;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import l4smp.emulator.memory.PhysicalMemory;
import l4smp.kernel.xcpu.FlagLine;
import l4smp.kernel.xcpu.HostXcpuMemory;
import l4smp.kernel.xcpu.Mailbox;
import l4smp.kernel.xcpu.MailboxPool;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * The XCPU mailboxes of thesis 8.3.4 ({@link MailboxPool}, {@link FlagLine}) on real host
 * threads, with the kernel's own code over {@link HostXcpuMemory}: find a free mailbox, lock
 * it, fill it, unlock it, set its flag; the destination's check_n_ack clears and hands out
 * each flag.
 */
public final class MailboxStress {
    private MailboxStress() { }

    static final long BOX0 = 0x1000;
    static final long BOX1 = 0x1020;
    static final long FLAGS = 0x1080;

    static HostXcpuMemory newMemory() {
        return new HostXcpuMemory(new PhysicalMemory(16 * 1024));
    }

    /** Claims the first free mailbox of two, fills it with {@code id}, flags it; -1 if none. */
    static int post(HostXcpuMemory mem, int id) {
        long[] boxes = {BOX0, BOX1};
        for (int i = 0; i < boxes.length; i++) {
            if (MailboxPool.tryClaim(mem, boxes[i])) {
                mem.storeRelease(boxes[i] + Mailbox.SENDER, id);
                mem.storeRelease(boxes[i] + Mailbox.TAG, id * 100);
                MailboxPool.unlock(mem, boxes[i]);
                FlagLine.set(mem, FLAGS, i);
                return i;
            }
        }
        return -1;
    }

    /**
     * Two senders post to one receiver, which polls while the other sender posts: each message
     * is delivered exactly once, one mailbox each, never mixed.
     */
    @JCStressTest
    @Outcome(id = "2, 3", expect = ACCEPTABLE, desc = "both requests delivered once each, intact")
    @Outcome(expect = FORBIDDEN, desc = "a request lost, duplicated or mixed with the other")
    @State
    public static class TwoSendersOneReceiver {
        final HostXcpuMemory mem = newMemory();
        int delivered;
        int seen;
        boolean mixed;
        /** Set by sender 1 after its post (release); the receiver's last check follows it. */
        volatile boolean sender1Posted;

        @Actor
        public void sender1() {
            post(mem, 1);
            sender1Posted = true;
        }

        /**
         * Sender 2 posts and then, as the receiver's CPU, polls until it found both requests
         * (jcstress runs at most as many actors as the host has cores: two here), racing
         * sender 1's post against its checks.
         */
        @Actor
        public void sender2AndReceiver() {
            post(mem, 2);
            int n = 0;
            while (n < 2) {
                // A check that begins after sender 1's post ended must find its flag: read the
                // "posted" word first (acquire; partner: sender 1's store), then check. No spin
                // bound that a descheduled sender 1 could outlast on a loaded host.
                boolean last = sender1Posted;
                n += FlagLine.checkAndAck(mem, FLAGS, bit -> {
                    long box = bit == 0 ? BOX0 : BOX1;
                    int id = mem.loadAcquire(box + Mailbox.SENDER);
                    if (mem.loadAcquire(box + Mailbox.TAG) != id * 100) {
                        mixed = true;
                    }
                    seen |= id == 1 || id == 2 ? 1 << (id - 1) : 8;
                    delivered++;
                    MailboxPool.free(mem, box);
                });
                if (last) {
                    break;
                }
                Thread.onSpinWait();
            }
        }

        @Arbiter
        public void arbiter(II_Result r) {
            r.r1 = delivered;
            r.r2 = mixed ? -1 : seen;
        }
    }

    /**
     * Two senders race for the one free mailbox (the other is busy): exactly one claims it, and
     * its contents are that sender's alone (reuse never mixes two requests).
     */
    @JCStressTest
    @Outcome(id = "1, -1, 1, 100", expect = ACCEPTABLE, desc = "sender 1 claimed the mailbox")
    @Outcome(id = "-1, 1, 2, 200", expect = ACCEPTABLE, desc = "sender 2 claimed the mailbox")
    @Outcome(expect = FORBIDDEN, desc = "both claimed it, or its contents are mixed")
    @State
    public static class OneFreeMailbox {
        final HostXcpuMemory mem = newMemory();
        int r1;
        int r2;

        {
            mem.storeRelease(BOX0 + Mailbox.BUSY, 1); // in flight: only BOX1 is free
        }

        @Actor
        public void sender1() {
            r1 = post(mem, 1);
        }

        @Actor
        public void sender2() {
            r2 = post(mem, 2);
        }

        @Arbiter
        public void arbiter(IIII_Result r) {
            r.r1 = r1;
            r.r2 = r2;
            r.r3 = mem.loadAcquire(BOX1 + Mailbox.SENDER);
            r.r4 = mem.loadAcquire(BOX1 + Mailbox.TAG);
        }
    }
}
