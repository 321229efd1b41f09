package l4smp.kernel.ipc;

import l4smp.emulator.cache.AccessKind;
import l4smp.kernel.KernelCpuPort;
import l4smp.kernel.thread.KernelResume;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.TcbLayout.Field;
import l4smp.kernel.thread.ThreadState;
import l4smp.kernel.xcpu.CpuXcpuMemory;
import l4smp.kernel.xcpu.Mailbox;
import l4smp.kernel.xcpu.MailboxPool;
import l4smp.kernel.xcpu.SpinLock;
import l4smp.kernel.xcpu.XcpuFabric;

import java.lang.invoke.VarHandle;

/**
 * Waiting for a free mailbox (thesis 8.3.4 "find free mailbox"; 8.4.4 "sufficiently many
 * mailboxes"): the senders of one CPU that found every mailbox to their destination CPU in flight,
 * and the release of this CPU's mailboxes, which hands them on.
 *
 * <p>The mailboxes of the pair this CPU -> d are claimed by this CPU only, and (but for a
 * migration request, which its consumer frees) released by this CPU only, when it consumes
 * their replies. A sender that finds none free does not spin: it waits, off the ready list, in
 * a FIFO per destination CPU (state POLLING, no partner, not in any send queue; its send
 * timeout, if finite, counts in the wakeup queue). A release hands the mailbox, still busy, to
 * the head of a FIFO, which runs its IPC again with it ({@link KernelResume#RETRY_IPC}); a new
 * sender never overtakes a waiter of its class.
 *
 * <p>A mailbox stays busy while its sender polls in the receiver's send queue, which may last
 * for ever; so the polling sends of CPU a to b and of b to a could hold every mailbox of both
 * pairs while the replies that would end them wait for one: a deadlock of two servers on two
 * CPUs, each called by the other's clients. Hence the last mailbox of each pair, the reply
 * mailbox, is kept for sends whose receiver waits for exactly this sender (its published
 * WAIT_FOR names it: a caller waiting for its reply): such a send never polls, it completes
 * at once on the receiver's CPU, so the reply mailbox is always released soon. Two FIFOs per
 * destination: [2d + 1] senders whose receiver waits for them (served first, by any
 * mailbox), [2d] the others (served by the ordinary mailboxes). A sender handed the reply
 * mailbox whose receiver no longer waits for it gives it back and waits for an ordinary one.
 * A receiver may also begin to wait for exactly a sender that already waits among the others
 * (a closed receive from it): then the ordinary mailboxes may all be held by senders polling in
 * that receiver's send queue, which it never takes, and the sender would wait for ever. So the
 * receiver's CPU asks this one to look again (XcpuFabric, "Waiting senders": a Dekker pair of
 * the receiver's WAIT_FOR and this CPU's waiting-senders word), and the next sweep moves every
 * such sender to the FIFO the reply mailbox serves.
 *
 * <p>Invariants: a waiter is linked in exactly one FIFO, or holds exactly one handoff; a mailbox
 * handed off is busy, so nothing else claims it; every busy mailbox of this CPU is released
 * when its operation ends (its reply arrives, 8.4.1). So a waiter is served after the
 * operations in flight before it: no spinning, no lock, no IPI between releases. Mailboxes
 * freed by another CPU (migration requests) are picked up by a sweep at the timer tick and
 * before the CPU idles (the receiver's request comes with a trigger, so an idle CPU sweeps at
 * once). A send with timeout 0 waits only if its receiver is receptive now
 * (else it fails with "timeout" at once, as on one CPU): a zero timeout bounds the partner's
 * readiness, not the kernel's resources (design decision 6).
 *
 * <p>Owner CPU only (the senders' CPU). Allocation-free.
 */
public final class XpMailboxWait {

    private final XpIpc xp;
    private final KernelCpuPort kcpu;
    private final IpcPath ipc;
    private final XcpuFabric fabric;
    private final CpuXcpuMemory mem;
    private final int index;
    /** Senders waiting for a free mailbox, two FIFOs per destination CPU (see above). */
    private final Tcb[] waitHead;
    private final Tcb[] waitTail;
    private int waiters;
    /** Bit d: the ordinary FIFO [2d] may be non-empty (this CPU's copy of its waiting-senders word). */
    private long ordinaryWaitMask;

    XpMailboxWait(XpIpc xp) {
        this.xp = xp;
        this.kcpu = xp.kcpu;
        this.ipc = xp.ipc;
        this.fabric = xp.fabric;
        this.mem = xp.mem;
        this.index = xp.index;
        this.waitHead = new Tcb[2 * fabric.cpus()];
        this.waitTail = new Tcb[2 * fabric.cpus()];
    }

    /** Whether senders wait for a mailbox to {@code dest} (a new sender does not overtake them). */
    boolean anyWaitFor(int dest) {
        return waitHead[2 * dest] != null || waitHead[2 * dest + 1] != null;
    }

    /** A mailbox a release handed to {@code a} for the send to {@code bcpu} (its lock taken), or null. */
    Mailbox takeHandoff(Tcb a, int bcpu) {
        Mailbox h = a.mailboxHandoff();
        if (h == null) {
            return null;
        }
        a.setMailboxHandoff(null);
        a.setMailboxWaitCpu(-1);
        if (h.dest != bcpu) {
            release(h); // the receiver moved meanwhile: the mailbox goes to the next waiter
            return null;
        }
        SpinLock.lock(mem, h.address + Mailbox.LOCK); // busy since the handoff: lock it to fill it
        return h;
    }

    /**
     * Slow path: every ordinary mailbox to {@code bcpu} is in flight, or senders wait for one.
     * Returns the reply mailbox (claimed) for a sender whose receiver waits for exactly it, when
     * it is free and no such sender waits; else {@code a} waits (or fails, timeout 0) and null.
     */
    Mailbox waitForMailbox(Tcb a, Tcb b, int bcpu) {
        // Waiting senders (XcpuFabric): publish that senders may wait for bcpu before reading
        // B's WAIT_FOR, so that a receiver that begins to wait for us later sees it.
        announceWaiting(bcpu);
        xp.lockTcb(b);
        boolean moved = b.cpuAcquire() != bcpu;
        int waitFor = moved ? 0 : mem.loadAcquire(xp.waitWord(b));
        xp.unlockTcb(b);
        if (moved) {
            a.setKernelResume(KernelResume.RETRY_IPC); // B migrated (8.5): the IPC runs again at once
            a.setState(ThreadState.READY);
            kcpu.enqueueReadyHead(a);
            return null;
        }
        if (a.sysSendTimeout() == Timeout.ZERO && !XpIpc.accepts(waitFor, a)) {
            ipc.fail(a, IpcError.TIMEOUT, IpcError.PHASE_SEND); // as on one CPU
            return null;
        }
        boolean forMe = waitFor == a.id.raw();
        if (forMe && waitHead[2 * bcpu + 1] == null) {
            Mailbox m = claimReply(bcpu);
            if (m != null) {
                withdrawIfNoWaiters(bcpu);
                return m;
            }
        }
        park(a, bcpu, forMe, false);
        withdrawIfNoWaiters(bcpu);
        return null;
    }

    /**
     * Publishes that senders of this CPU may wait for an ordinary mailbox to {@code dest}, then
     * a full fence (the sender's side of the Dekker pair in XcpuFabric, "Waiting senders").
     * Returns whether the word changed (it was clear). Slow path.
     */
    private boolean announceWaiting(int dest) {
        if ((ordinaryWaitMask & (1L << dest)) != 0) {
            return false;
        }
        ordinaryWaitMask |= 1L << dest;
        fabric.setSendersWaitVolatile(index, ordinaryWaitMask);
        VarHandle.fullFence(); // partner: the full fence in XpMailboxCheck.endReceive
        return true;
    }

    /** Clears the waiting-senders bit of {@code dest} when its ordinary FIFO is empty. */
    private void withdrawIfNoWaiters(int dest) {
        if ((ordinaryWaitMask & (1L << dest)) != 0 && waitHead[2 * dest] == null) {
            ordinaryWaitMask &= ~(1L << dest);
            fabric.setSendersWaitVolatile(index, ordinaryWaitMask);
        }
    }

    /** Claims the reply mailbox to {@code dest} (its lock held), or null. */
    private Mailbox claimReply(int dest) {
        if (xp.reservedSlot < 0) {
            return xp.claim(dest);
        }
        Mailbox m = fabric.mailbox(index, dest, xp.reservedSlot);
        return MailboxPool.tryClaim(mem, m.address) ? m : null;
    }

    /** {@code a} waits for a mailbox to {@code bcpu} (at the head of its FIFO: it was served once). */
    void park(Tcb a, int bcpu, boolean forMe, boolean atHead) {
        if (!forMe && announceWaiting(bcpu)) {
            // The word was clear when a receiver may have looked: read its WAIT_FOR again.
            forMe = receiverWaitsFor(a, bcpu);
        }
        xp.counters.increment(xp.cRetries);
        kcpu.writeState(a, ThreadState.POLLING);
        a.setPartner(null);
        a.setKernelResume(KernelResume.RETRY_IPC);
        a.setMailboxWaitCpu(bcpu);
        a.setMailboxWaitForReply(forMe);
        int q = 2 * bcpu + (forMe ? 1 : 0);
        if (atHead) {
            a.setMailboxWaitPrev(null);
            a.setMailboxWaitNext(waitHead[q]);
            if (waitHead[q] == null) {
                waitTail[q] = a;
            } else {
                waitHead[q].setMailboxWaitPrev(a);
            }
            waitHead[q] = a;
        } else {
            a.setMailboxWaitNext(null);
            a.setMailboxWaitPrev(waitTail[q]);
            if (waitTail[q] == null) {
                waitHead[q] = a;
            } else {
                waitTail[q].setMailboxWaitNext(a);
            }
            waitTail[q] = a;
        }
        waiters++;
        long timeout = a.sysSendTimeout();
        if (timeout != Timeout.NEVER && timeout != Timeout.ZERO && a.wakeupIndex() < 0) {
            kcpu.touchTcb(a, Field.WAKEUP_LINKS, AccessKind.WRITE);
            kcpu.addWakeup(a, kcpu.cpu().clock() + timeout);
        }
    }

    /** Whether the receiver of {@code w}'s send (on {@code dest}) waits for exactly {@code w}. */
    private boolean receiverWaitsFor(Tcb w, int dest) {
        Tcb b = xp.kernel.lookup(w.sysTo());
        return b != null && b.cpuAcquire() == dest && mem.loadAcquire(xp.waitWord(b)) == w.id.raw();
    }

    private void unlinkWaiter(Tcb w) {
        int q = 2 * w.mailboxWaitCpu() + (w.mailboxWaitForReply() ? 1 : 0);
        Tcb prev = w.mailboxWaitPrev();
        Tcb next = w.mailboxWaitNext();
        if (prev == null) {
            waitHead[q] = next;
        } else {
            prev.setMailboxWaitNext(next);
        }
        if (next == null) {
            waitTail[q] = prev;
        } else {
            next.setMailboxWaitPrev(prev);
        }
        w.setMailboxWaitNext(null);
        w.setMailboxWaitPrev(null);
        waiters--;
        if (q % 2 == 0) {
            withdrawIfNoWaiters(q / 2);
        }
    }

    /**
     * Gives back mailbox {@code m} of this CPU (its source) at the end of its operation: to the
     * first sender waiting for a mailbox to {@code m.dest} whose receiver waits for it, else (an
     * ordinary mailbox) to the first other waiter, which becomes ready to run its IPC again with
     * it; else free. Owner CPU only; every release of a mailbox this CPU claimed goes through here.
     */
    public void release(Mailbox m) {
        Tcb w = waitHead[2 * m.dest + 1];
        if (w == null && m.slot != xp.reservedSlot) {
            w = waitHead[2 * m.dest];
        }
        if (w == null) {
            MailboxPool.free(mem, m.address);
            return;
        }
        unlinkWaiter(w);
        w.setMailboxHandoff(m);
        if (w.wakeupIndex() >= 0) {
            // What is left of its send timeout goes with it (it counts from the send).
            w.setSysSendTimeout(Math.max(1, w.wakeupTime() - kcpu.cpu().clock()));
            kcpu.removeWakeup(w);
        }
        kcpu.makeReady(w); // RETRY_IPC: the dispatcher runs its IPC again
    }

    /**
     * {@code t} stops waiting for a mailbox (its IPC is canceled or timed out, it migrates away,
     * it ends): it leaves its FIFO, or passes the mailbox it was handed to the next waiter. Its
     * {@link Tcb#kernelResume()} is the caller's. Owner CPU only; no-op if {@code t} does not wait.
     */
    public void leave(Tcb t) {
        if (t.mailboxWaitCpu() < 0) {
            return;
        }
        Mailbox h = t.mailboxHandoff();
        if (h != null) {
            t.setMailboxHandoff(null);
            t.setMailboxWaitCpu(-1);
            release(h);
        } else {
            unlinkWaiter(t);
            t.setMailboxWaitCpu(-1);
        }
    }

    /**
     * A receiver on {@code dest} began to wait for exactly one of this CPU's threads (XcpuFabric,
     * "Waiting senders"): the senders waiting for an ordinary mailbox to {@code dest} whose
     * receiver now waits for them move to the FIFO that the reply mailbox serves. Otherwise such
     * a sender could wait for ever: the ordinary mailboxes may all be held by senders polling in
     * its receiver's send queue, whom the receiver (in a closed receive from it) never takes.
     */
    private void promoteAwaited(int dest) {
        Tcb w = waitHead[2 * dest];
        while (w != null) {
            Tcb next = w.mailboxWaitNext();
            if (receiverWaitsFor(w, dest)) {
                unlinkWaiter(w);
                w.setMailboxWaitForReply(true);
                int q = 2 * dest + 1;
                w.setMailboxWaitPrev(waitTail[q]);
                if (waitTail[q] == null) {
                    waitHead[q] = w;
                } else {
                    waitTail[q].setMailboxWaitNext(w);
                }
                waitTail[q] = w;
                waiters++;
            }
            w = next;
        }
    }

    /** Whether senders of this CPU wait for a mailbox. Owner CPU only. */
    public boolean hasWaiters() {
        return waiters > 0;
    }

    /**
     * The first sender of this CPU waiting for a mailbox to {@code dest} ({@code forReply}: whose
     * receiver waits for it), or null (diagnostics, invariants).
     */
    public Tcb firstWaiter(int dest, boolean forReply) {
        return waitHead[2 * dest + (forReply ? 1 : 0)];
    }

    /**
     * The sweep (timer tick, before idling): hands mailboxes that became free without a release
     * here (a migration request its consumer freed) to the waiters. Owner CPU only.
     */
    public void serveWaiters() {
        if (waiters == 0) {
            return;
        }
        long recheck = fabric.takeRecheckVolatile(index);
        while (recheck != 0) {
            int d = Long.numberOfTrailingZeros(recheck);
            recheck &= recheck - 1;
            promoteAwaited(d);
        }
        for (int d = 0; d < fabric.cpus(); d++) {
            while (waitHead[2 * d + 1] != null || waitHead[2 * d] != null) {
                Mailbox m = xp.claim(d);
                if (m == null && waitHead[2 * d + 1] != null) {
                    m = claimReply(d);
                }
                if (m == null) {
                    break;
                }
                MailboxPool.unlock(mem, m.address);
                release(m);
            }
        }
    }
}
