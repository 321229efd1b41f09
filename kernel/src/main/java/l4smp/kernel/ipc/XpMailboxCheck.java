package l4smp.kernel.ipc;

import l4smp.emulator.cache.AccessKind;
import l4smp.kernel.Kernel;
import l4smp.kernel.KernelCpuPort;
import l4smp.kernel.space.Spaces;
import l4smp.kernel.thread.KernelResume;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.TcbLayout.Field;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.thread.ThreadState;
import l4smp.kernel.xcpu.CpuXcpuMemory;
import l4smp.kernel.xcpu.FlagLine;
import l4smp.kernel.xcpu.Mailbox;
import l4smp.kernel.xcpu.MailboxPool;
import l4smp.kernel.xcpu.MigrationHandshake;
import l4smp.kernel.xcpu.XcpuFabric;
import l4smp.kernel.xcpu.XpSendHandshake;

import java.lang.invoke.VarHandle;

/**
 * The mailbox check of one CPU, {@code check_n_ack} (thesis 8.3.4), and the receiver's side of
 * the XP paths around it: the check runs at every kernel exit (so also after every timer tick),
 * in the XCPU IPI handler and at the start of every receive path. For each flag found it clears
 * the flag; a request hooks its proxy (ready, priority 255), a reply (8.4.1) makes its sender
 * run the rest of its IPC (XP RETURN), a migration request (8.7.2) waits for the dispatcher.
 *
 * <p>A receive path ({@link #beginReceive}) takes the receiver's TCB lock, checks, and runs the
 * proxies it hooked at once, so that its decision sees every request that has arrived (design
 * decision 6); {@link #endReceive} publishes the receiver's WAIT_FOR word and unlocks (the TCB
 * lock of 8.3.3, see {@link XpIpc}). A map or grant item the proxies install under that lock
 * waits for its TLB shootdown only after the unlock, and their replies to the senders with it
 * (see "No lock across a shootdown" in SpaceMappings).
 *
 * <p>Owner CPU only. Allocation-free.
 */
public final class XpMailboxCheck implements FlagLine.Handler {

    /** check_n_ack callers. */
    static final int BY_POLL = 0;
    private static final int BY_IPI = 1;
    private static final int BY_RECEIVE = 2;

    private final XpIpc xp;
    private final Kernel kernel;
    private final KernelCpuPort kcpu;
    private final IpcPath ipc;
    private final XcpuFabric fabric;
    private final CpuXcpuMemory mem;
    private final int index;
    private final long flagLine;
    /** Who called the check now running (for the counters). */
    private int checkMode;
    /** Proxies hooked by the last checks and not yet run (to run them inline from a receive). */
    private final Tcb[] hooked;
    private int hookedCount;
    /** The thread whose receive path runs now (it counts as receptive for arriving proxies). */
    private Tcb receiving;

    XpMailboxCheck(XpIpc xp) {
        this.xp = xp;
        this.kernel = xp.kernel;
        this.kcpu = xp.kcpu;
        this.ipc = xp.ipc;
        this.fabric = xp.fabric;
        this.mem = xp.mem;
        this.index = xp.index;
        this.flagLine = fabric.flagLine(index);
        this.hooked = new Tcb[fabric.perPair() * fabric.cpus()];
    }

    /** The thread whose receive path runs now, or null. */
    Tcb receiving() {
        return receiving;
    }

    /**
     * Publishes when this CPU checks its mailboxes next (its clock, or {@link XcpuFabric#IDLE}).
     * The store is at this CPU's clock: in parallel mode an order point comes first, so that a
     * sender behind in simulated time, which reads the word at its own clock, never sees a value
     * published at a later cycle (XcpuFabric, "The next-check word").
     */
    public void publishNextCheck(long when) {
        kcpu.cpu().orderPoint(); // partner: the order point before the read in XpIpc.trigger
        // A release store, no StoreLoad barrier: a publish that a flag check follows (idle, a
        // due exit) gets its barrier from checkAtExit's full fence, and a publish of the clock
        // needs none (a sender that reads it saves its IPI, and this CPU's next check, at its
        // exit or before it idles, comes after that fence: it sees the sender's flag). In
        // parallel mode with exact timing the sender reads at its order point, after this CPU's
        // clock passed the sender's cycle: the release of that clock makes the publish visible.
        fabric.setNextCheckRelease(index, when);
        if (xp.accounting) {
            // Only this CPU writes the word (senders read it): no interleaving point needed.
            kcpu.cpu().touchOwn(fabric.nextCheckLine(index), AccessKind.WRITE);
        }
    }

    /**
     * The check at a kernel exit (and so after every timer tick): the caller published the
     * next check first (Dekker with the senders' flag-store, next-check-load). Returns the
     * number of mailboxes found.
     */
    public int checkAtExit() {
        VarHandle.fullFence(); // partner: a sender's flag set (a CAS), then its next-check load (XpIpc.trigger)
        return check(BY_POLL);
    }

    /** The XCPU IPI handler (8.3.4): EOI first (the caller did), then check_n_ack. */
    public void onIpi() {
        mem.storeRelease(fabric.ipiPendingWord(index), 0);
        check(BY_IPI);
    }

    /** check_n_ack from inside a kernel path of this CPU (an unwind proxy, 8.4.3). */
    public void checkNow() {
        check(BY_POLL);
    }

    int check(int mode) {
        checkMode = mode;
        long t0 = kcpu.cpu().clock();
        int n = FlagLine.checkAndAck(mem, flagLine, this);
        xp.cycles[1] += kcpu.cpu().clock() - t0;
        xp.checks++;
        return n;
    }

    @Override
    public void flagged(int bit) {
        Mailbox m = fabric.mailboxForBit(index, bit);
        xp.counters.increment(checkMode == BY_IPI ? xp.cByIpi : checkMode == BY_POLL ? xp.cByPoll : xp.cByReceive);
        if (MigrationHandshake.isRequest(m, bit)) {
            // A migration part (8.7.2): the dispatcher runs it before it picks a thread.
            xp.migrationArrived(m);
            return;
        }
        if (bit < FlagLine.BITS / 2) {
            // A request: link mailbox to proxy, set proxy to running.
            Tcb p = m.proxyPlain();
            m.setProxyStatePlain(XpIpc.P_HOOKED);
            kcpu.writeState(p, ThreadState.READY);
            kcpu.enqueueReadyTail(p);
            if (hookedCount < hooked.length) {
                hooked[hookedCount++] = p;
            }
        } else {
            // A reply (8.4.1): the sender is "the receiving proxy" of an empty operation.
            xp.counters.increment(xp.cReplies);
            if (m.opPlain() == Mailbox.OP_EXREGS_RETURN) {
                xp.exchangeRegisters().replied(m); // 8.4.3: an exchange-registers request answered
                return;
            }
            if (m.opPlain() == Mailbox.OP_UNWIND_RETURN) {
                xp.exchangeRegisters().xpAbortHold.unwindAnswered(m);
                return;
            }
            Tcb a = m.senderPlain();
            if (xp.exchangeRegisters().xpAbortHold.sendReplyArrived(a, m)) {
                return; // an abort of a's send is in flight: the reply waits for its end
            }
            if (a == null || a.state() == ThreadState.DEAD) {
                m.setSenderPlain(null);
                xp.mailboxWait().release(m);
                return;
            }
            a.setPendingReturn(m);
            a.setKernelResume(KernelResume.XP_RETURN);
            kcpu.makeReady(a);
        }
    }

    void forgetHooked(Tcb p) {
        for (int i = 0; i < hookedCount; i++) {
            if (hooked[i] == p) {
                hooked[i] = hooked[--hookedCount];
                hooked[hookedCount] = null;
                return;
            }
        }
    }

    /**
     * Start of a receive phase of {@code t} (this CPU): take its TCB lock and run check_n_ack,
     * then the proxies it hooked (they queue their senders in the send queues), so that the
     * decision of the receive path sees every request that has arrived.
     */
    void beginReceive(Tcb t) {
        XpSendHandshake.lockForReceive(mem, xp.lockWordOf(t), xp.tcbLocking());
        Spaces spaces = kernel.spacesOrNullAcquire();
        if (spaces != null) {
            spaces.shootdownHolds().hold(index); // no shootdown wait under the lock (SpaceMappings)
        }
        receiving = t;
        check(BY_RECEIVE);
        while (hookedCount > 0) {
            Tcb p = hooked[--hookedCount];
            hooked[hookedCount] = null;
            if (p.xpMailbox().proxyStatePlain() == XpIpc.P_HOOKED && p.xpMailbox().opPlain() == Mailbox.OP_SEND) {
                kcpu.removeReady(p);
                xp.proxy().arrive(p.xpMailbox());
            }
        }
        if (t.waitPublished()) {
            // The receive phase of a call whose send crossed processors: its proxy published it
            // (XpProxy.complete), and a propagation may have redirected it since; under t's lock
            // no redirection can come between this and the decision (Propagation).
            ipc.propagation.adoptRedirectedCall(t);
        }
    }

    /** End of the receive phase of {@code t}: publish its wait (if it waits) and unlock. */
    void endReceive(Tcb t) {
        receiving = null;
        if (t.state() == ThreadState.WAITING) {
            kcpu.touchTcb(t, Field.WAIT_FOR, AccessKind.WRITE);
            XpSendHandshake.publishWaitFor(mem, xp.waitWord(t), t.receiveFrom().raw());
            t.setWaitPublished(true);
            ThreadId from = t.receiveFrom();
            if (!from.isNil() && !from.isAny()) {
                Tcb partner = kernel.lookup(from);
                if (partner == null) {
                    kcpu.requestPartnerGoneCheck(); // failed at the next dispatch, on this CPU
                } else {
                    int pcpu = partner.cpuAcquire();
                    if (pcpu != index) {
                        // Dekker with a partner's end on another CPU (see Kernel.notifyRemoteWaiters):
                        // the wait word is published before we look again whether the partner still
                        // exists. A partner on this CPU cannot end meanwhile (its end runs here), and
                        // should it migrate and end elsewhere later, its CPU reads our wait word after
                        // the migration's barriers: no fence on the local path.
                        VarHandle.fullFence(); // partner also: XpMailboxWait.announceWaiting
                        if (kernel.lookup(from) == null) {
                            kcpu.requestPartnerGoneCheck();
                        } else if (fabric.sendersWaitVolatile(pcpu, index)) {
                            // The partner may wait for a mailbox to us, filed before we waited for
                            // it (XcpuFabric, "Waiting senders"): its CPU looks again, at once.
                            fabric.requestRecheckVolatile(pcpu, index);
                            xp.trigger(pcpu, true);
                        }
                    }
                }
            }
        }
        XpSendHandshake.unlock(mem, xp.lockWordOf(t), xp.tcbLocking());
        Spaces spaces = kernel.spacesOrNullAcquire();
        if (spaces != null && spaces.shootdownHolds().release(kcpu.cpu())) {
            xp.proxy().sendDeferredReplies(); // no lock left, the shootdown complete: the senders may learn of it
        }
    }
}
