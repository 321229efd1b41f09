package l4smp.kernel.ipc;

import l4smp.emulator.cache.AccessKind;
import l4smp.kernel.Kernel;
import l4smp.kernel.KernelCpuPort;
import l4smp.kernel.Plant;
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
import l4smp.kernel.xcpu.XcpuFabric;

/**
 * The proxy of a cross-processor send, on the receiver's CPU (thesis 8.3.5 "xp send path", 8.4,
 * 8.4.1): its arrival (check again that B exists and is still here; if B waits for A, transmit,
 * else queue A in B's send queue and poll), its completion by B's receive path ({@link #activate}:
 * A's proxy pointer read once into a temporary), the copy on this CPU (implementation decision
 * 2), a copy stopped by a page fault (8.4.2), and the sender's wake-up through the reply mailbox.
 *
 * <h2>The proxy never blocks the CPU (8.4.4)</h2>
 * Each mailbox has its own proxy thread on the destination CPU (the thesis's
 * {@code mailbox[id].proxy}: a proxy serves one operation at a time, so "whether to enqueue the
 * proxy or the sender does not matter", 8.3.5). A proxy whose receiver is not ready does not
 * wait in a loop: it leaves the sender in the receiver's send queue and its own timeout in the
 * wakeup queue, and goes off the CPU (state polling). The operation in work is thus a passive
 * record (the mailbox), not a blocked thread: other mailboxes' proxies run meanwhile, and the
 * receiver's path continues the operation when it finds the sender (8.4.4).
 *
 * <p>Owner CPU only (the receiver's). Allocation-free.
 */
public final class XpProxy {

    private final XpIpc xp;
    private final Kernel kernel;
    private final KernelCpuPort kcpu;
    private final IpcPath ipc;
    private final XcpuFabric fabric;
    private final CpuXcpuMemory mem;
    private final int index;
    /**
     * Replies held back while a shootdown of this CPU waits for the release of the receive
     * path's TCB lock (see {@link #wakeupSender}): the mailboxes and their completion codes.
     */
    private final Mailbox[] deferredMailbox;
    private final XpCompletion[] deferredCode;
    private int deferredCount;

    XpProxy(XpIpc xp) {
        this.xp = xp;
        this.kernel = xp.kernel;
        this.kcpu = xp.kcpu;
        this.ipc = xp.ipc;
        this.fabric = xp.fabric;
        this.mem = xp.mem;
        this.index = xp.index;
        this.deferredMailbox = new Mailbox[fabric.perPair() * fabric.cpus()];
        this.deferredCode = new XpCompletion[deferredMailbox.length];
    }

    /** The dispatcher picked proxy {@code p}: it runs its operation (8.3.5 "xp send path"). */
    public void runProxy(Tcb p) {
        Mailbox m = p.xpMailbox();
        xp.check().forgetHooked(p);
        if (m.proxyStatePlain() != XpIpc.P_HOOKED) {
            p.setState(ThreadState.WAITING); // a stale activation (8.4: harmless, checked here)
            return;
        }
        if (m.opPlain() != Mailbox.OP_SEND) {
            xp.exchangeRegisters().serve(m); // an exchange-registers request or an unwind (8.4.3)
            return;
        }
        long t0 = kcpu.cpu().clock();
        long copy0 = xp.cycles[3];
        arrive(m);
        xp.cycles[2] += kcpu.cpu().clock() - t0 - (xp.cycles[3] - copy0);
    }

    /** The proxy's first step: check the receiver; transmit, or queue the sender and poll. */
    void arrive(Mailbox m) {
        // The proxy reads the request from the mailbox line (8.3.5 "read ipc data from
        // mailbox"): the sender, the destination and the send descriptor. The values are the
        // mailbox's Java mirror (Mailbox), published by the flag like the simulated words.
        mem.loadAcquire(m.address + Mailbox.SENDER);
        mem.loadAcquire(m.address + Mailbox.DEST);
        mem.loadAcquire(m.address + Mailbox.TAG);
        if (m.virtualSenderPlain() != null) {
            mem.loadAcquire(m.address + Mailbox.VSENDER); // a propagating send's virtual sender
        }
        Tcb p = m.proxyPlain();
        Tcb a = m.senderPlain();
        Tcb b = kernel.lookup(m.destIdPlain()); // check again if the destination exists
        if (b == null) {
            wakeupSender(m, XpCompletion.error(IpcError.word(IpcError.NO_PARTNER, IpcError.PHASE_SEND)));
            return;
        }
        kcpu.touchTcb(b, Field.MYSELF, AccessKind.READ);
        kcpu.touchTcb(b, Field.CPU, AccessKind.READ);
        if (b.cpuAcquire() != index && kernel.config().plant() != Plant.MIGRATE_RECEIVER) {
            // The receiver left this CPU while the request was in flight (8.5, race 2): the
            // sender's CPU runs the IPC again, to where the receiver is now. (Planted: the
            // proxy goes on as if the receiver were still here.)
            wakeupSender(m, XpCompletion.RETARGET);
            return;
        }
        m.setReceiverPlain(b);
        kcpu.touchTcb(a, Field.PARTNER, AccessKind.WRITE); // fromTCB.partner = B (8.3.5)
        kcpu.touchTcb(b, Field.STATE, AccessKind.READ);
        Tcb vs = m.virtualSenderPlain(); // a propagating send's virtual sender (Propagation), or null
        ipc.adoptRedirectedWait(b);
        boolean waits = b.state() == ThreadState.WAITING && XpIpc.accepts(b.receiveFrom(), a, vs);
        if (a.fault() != null) {
            // A redoes a long IPC that a fault in its space suspended (8.4.2): B must still wait for it.
            int dead = kernel.spaces().ipc().xpStaleTransfer(a, b, waits);
            if (dead != 0) {
                wakeupSender(m, XpCompletion.error(dead));
                return;
            }
        }
        if (waits) {
            complete(m);
            return;
        }
        // The receiver will receive from A without further action of its own: it is in its
        // receive path now, or its call's send completed and its receive phase follows.
        boolean receivesSoon = (b == xp.check().receiving() && XpIpc.accepts(b.sysFrom(), a, vs))
                || receivesAfterXpReturn(b, a, vs);
        long deadline = receivesSoon ? Long.MAX_VALUE : m.deadlinePlain();
        if (deadline <= kcpu.cpu().clock()) {
            wakeupSender(m, XpCompletion.error(IpcError.word(IpcError.TIMEOUT, IpcError.PHASE_SEND)));
            return;
        }
        // Enqueue the sender (not the proxy) into B's send queue; the proxy polls.
        pollInSendQueue(m, a, b, p, deadline, false);
    }

    /**
     * The sender {@code a} waits in {@code b}'s send queue (at its tail, or at its head for a
     * redone send that resumes a transfer) while its proxy {@code p} polls until
     * {@code deadline} ({@code Long.MAX_VALUE}: no timeout). Owner CPU only.
     */
    private void pollInSendQueue(Mailbox m, Tcb a, Tcb b, Tcb p, long deadline, boolean atHead) {
        kcpu.touchTcb(b, Field.SEND_QUEUE, AccessKind.WRITE);
        kcpu.touchTcb(a, Field.SEND_LINKS, AccessKind.WRITE);
        if (atHead) {
            SendQueue.enqueueHead(b, a);
        } else {
            SendQueue.enqueue(b, a);
        }
        m.setProxyStatePlain(XpIpc.P_POLLING);
        kcpu.writeState(p, ThreadState.POLLING);
        if (deadline != Long.MAX_VALUE) {
            kcpu.touchTcb(p, Field.WAKEUP_LINKS, AccessKind.WRITE);
            kcpu.addWakeup(p, deadline);
        }
    }

    /**
     * Whether {@code b} (of this CPU) is about to receive from {@code sender} with no action of
     * its own: its cross-processor send completed on the receiver's CPU, whose proxy published
     * {@code b}'s receive specifier before it woke {@code b} ({@link #complete}; a propagation may
     * have redirected it since, see {@link Propagation}), and {@code b}'s
     * receive phase follows at its XP RETURN, which has not run yet (8.4.1). Such a {@code b}
     * counts as receptive (design decision 6: as on one CPU, where a call's receive phase follows
     * its send atomically). Owner CPU only.
     */
    boolean receivesAfterXpReturn(Tcb b, Tcb sender, Tcb vs) {
        return (b.state() == ThreadState.LOCKED_WAITING || b.kernelResume() == KernelResume.XP_RETURN)
                && !b.receiveCancelPending() // its receive phase is canceled as it begins (XpAbortHold)
                && XpIpc.accepts(mem.loadAcquire(xp.waitWord(b)), sender, vs);
    }

    /**
     * The receive path of {@code b} found {@code a} (of another CPU) as its sender: reads
     * {@code a}'s proxy pointer once into a temporary (8.3.5) and, if that proxy is one of this
     * CPU's and polls to {@code b}, takes {@code a} out of {@code b}'s send queue and lets the
     * proxy transmit. Returns whether the message was received.
     */
    boolean activate(Tcb b, Tcb a) {
        long t0 = kcpu.cpu().clock();
        long copy0 = xp.cycles[3];
        try {
            return activatePath(b, a);
        } finally {
            xp.cycles[2] += kcpu.cpu().clock() - t0 - (xp.cycles[3] - copy0);
        }
    }

    private boolean activatePath(Tcb b, Tcb a) {
        kcpu.touchTcb(a, Field.PROXY, AccessKind.READ);
        Tcb sendProxy = a.proxyAcquire();
        if (sendProxy == null) {
            return false; // not yet linked: the proxy will find B waiting (8.3.5)
        }
        Mailbox m = sendProxy.xpMailbox();
        if (m.dest != index) {
            return false; // A's proxy serves a send to another CPU's thread
        }
        kcpu.touchTcb(sendProxy, Field.STATE, AccessKind.READ);
        if (m.proxyStatePlain() != XpIpc.P_POLLING || m.receiverPlain() != b || m.senderPlain() != a) {
            return false;
        }
        // sendproxy.state = locked running; dequeueWakeup(sendproxy); B.dequeueSend(A);
        // switchTo(sendproxy): the proxy transmits and wakes the sender.
        kcpu.touchTcb(b, Field.SEND_QUEUE, AccessKind.WRITE);
        kcpu.touchTcb(a, Field.SEND_LINKS, AccessKind.WRITE);
        IpcPath.dequeueSender(b, a);
        kcpu.removeWakeup(sendProxy);
        kcpu.touchTcb(sendProxy, Field.STACK, AccessKind.READ);
        complete(m);
        return true;
    }

    /**
     * The proxy's transmit (B is ready to receive from A): the copy on this, the receiver's,
     * CPU (implementation decision 2), B's receive completed, A woken with its completion code.
     */
    private void complete(Mailbox m) {
        Tcb p = m.proxyPlain();
        Tcb a = m.senderPlain();
        Tcb b = m.receiverPlain();
        m.setProxyStatePlain(XpIpc.P_RUNNING);
        p.setState(ThreadState.READY);
        Transfer result;
        if (m.preCopiedPlain()) {
            int words = MsgTag.untyped(m.tagPlain()) + MsgTag.typed(m.tagPlain());
            System.arraycopy(m.staged, 1, b.mr, 1, words);
            result = Transfer.DONE;
        } else {
            long t0 = kcpu.cpu().clock();
            result = ipc.transmitPath.copyMessage(a, b, b.mr);
            xp.cycles[3] += kcpu.cpu().clock() - t0;
            if (result.faulted()) {
                suspendTransfer(m);
                return;
            }
        }
        ipc.transmitPath.completeReceive(a, b, m.tagPlain(), result, true, m.virtualSenderPlain());
        xp.counters.increment(xp.cXp);
        if (!result.done()) {
            wakeupSender(m, XpCompletion.error(IpcError.word(result.senderCode(), IpcError.PHASE_SEND, ipc.strings.bytes())));
            return;
        }
        if (!a.sysFrom().isNil()) {
            // A's receive phase follows its send atomically (a call): publish it now, before A
            // is woken, so B's reply sees A receptive (see "Transparency").
            ipc.markAwaited(a.sysFrom());
            mem.storeRelease(xp.waitWord(a), a.sysFrom().raw());
        }
        wakeupSender(m, XpCompletion.DONE);
    }

    /**
     * The proxy's copy stopped at a page fault (8.4.2; SpaceIpc, "Cross-processor"): in the
     * receiver's space, the proxy polls again with A at the head of B's send queue until the
     * transfer deadline, while B resolves its fault; in the sender's space, A is asked to redo
     * the fault on its CPU and B waits for A's redone send.
     */
    private void suspendTransfer(Mailbox m) {
        Tcb a = m.senderPlain();
        Tcb b = m.receiverPlain();
        Tcb p = m.proxyPlain();
        if (!kernel.spaces().ipc().xpSuspended(kcpu, a, b)) {
            wakeupSender(m, XpCompletion.REDO_FAULT);
            return;
        }
        long deadline = kernel.spaces().ipc().transferDeadline(a);
        xp.unpublishWait(b); // B resolves its fault first: not receptive meanwhile
        pollInSendQueue(m, a, b, p, deadline, true);
    }

    /**
     * wakeup sender (8.4.1): completion code, proxy pointer cleared, the mailbox as the reply.
     * While a map or unmap of this CPU's receive path waits with its TLB shootdown for the
     * release of the TCB lock (ShootdownHolds.deferred), the reply waits too: the sender must
     * not learn that its IPC completed before every TLB has dropped what the IPC revoked. The
     * receive path sends it once the shootdown is complete ({@link #sendDeferredReplies}).
     */
    void wakeupSender(Mailbox m, XpCompletion code) {
        Spaces spaces = kernel.spacesOrNullAcquire();
        if (spaces != null && spaces.shootdownHolds().deferred(index)) {
            deferReplySlowPath(m, code);
            return;
        }
        replyToSender(m, code);
    }

    private void deferReplySlowPath(Mailbox m, XpCompletion code) {
        deferredMailbox[deferredCount] = m; // one entry per mailbox to this CPU at most
        deferredCode[deferredCount] = code;
        deferredCount++;
    }

    /** The shootdown the replies waited for is complete: send them, in the order they were made. */
    void sendDeferredReplies() {
        if (deferredCount == 0) {
            return;
        }
        for (int i = 0; i < deferredCount; i++) {
            replyToSender(deferredMailbox[i], deferredCode[i]);
            deferredMailbox[i] = null;
            deferredCode[i] = null;
        }
        deferredCount = 0;
    }

    private void replyToSender(Mailbox m, XpCompletion code) {
        Tcb a = m.senderPlain();
        Tcb p = m.proxyPlain();
        kcpu.touchTcb(a, Field.XP_CC, AccessKind.WRITE);
        a.setXpCcRelease(code);
        kcpu.touchTcb(a, Field.PROXY, AccessKind.WRITE);
        a.setProxyRelease(null);
        m.setCompletionPlain(code.word());
        m.setReceiverProcessorPlain(kernel.processorNumber(index)); // 8.2 numbering
        m.setOpPlain(Mailbox.OP_RETURN);
        mem.storeRelease(m.address + Mailbox.CODE, code.word());
        mem.storeRelease(m.address + Mailbox.OP, Mailbox.OP_RETURN);
        m.setProxyStatePlain(XpIpc.P_IDLE);
        m.setReceiverPlain(null);
        p.setState(ThreadState.WAITING); // the proxy sleeps until check_n_ack hooks it again
        FlagLine.set(mem, fabric.flagLine(m.source), m.replyBit);
        xp.trigger(m.source, true); // the sender waits for this: always worth the latency bound
    }

    /** The send deadline of a polling proxy expired (its wakeup queue entry fired). */
    void proxyTimeout(Tcb p) {
        Mailbox m = p.xpMailbox();
        if (m.proxyStatePlain() != XpIpc.P_POLLING) {
            return;
        }
        int code = IpcError.word(IpcError.TIMEOUT, IpcError.PHASE_SEND);
        if (m.receiverPlain() != null) {
            IpcPath.dequeueSender(m.receiverPlain(), m.senderPlain());
            if (m.senderPlain().fault() != null) {
                code = kernel.spaces().ipc().xpPollExpired(m.senderPlain(), m.receiverPlain()); // a suspended long IPC's deadline
            }
        }
        wakeupSender(m, XpCompletion.error(code));
    }

    /** Receiver {@code dead} is gone while {@code a}'s proxy polls in its send queue. */
    void receiverGone(Tcb a) {
        endPolling(a, XpCompletion.error(IpcError.word(IpcError.NO_PARTNER, IpcError.PHASE_SEND)));
    }

    /**
     * The receiver migrates away while {@code a}'s proxy polls in its send queue (8.5, race 3):
     * the proxy answers "retarget"; {@code a}'s CPU runs the IPC again, to the new CPU.
     */
    void receiverLeft(Tcb a) {
        endPolling(a, XpCompletion.RETARGET);
    }

    /**
     * Whether {@code a}'s proxy (of this CPU) polls in {@code b}'s send queue, {@code a}'s IPC
     * thus in this CPU's hands (a long IPC suspended by {@code b}'s page fault, 8.4.2).
     */
    public boolean proxyPollsFor(Tcb b, Tcb a) {
        Tcb p = a.proxyAcquire();
        if (p == null) {
            return false;
        }
        Mailbox m = p.xpMailbox();
        return m.dest == index && m.proxyStatePlain() == XpIpc.P_POLLING && m.receiverPlain() == b && m.senderPlain() == a;
    }

    /**
     * Ends the polling of {@code a}'s proxy in {@code b}'s send queue with {@code code} (the
     * receiver's fault IPC failed, 8.4.2). Only when {@link #proxyPollsFor}.
     */
    public void abortPolling(Tcb b, Tcb a, int code) {
        if (!proxyPollsFor(b, a)) {
            return;
        }
        IpcPath.dequeueSender(b, a);
        Tcb p = a.proxyAcquire();
        kcpu.removeWakeup(p);
        wakeupSender(p.xpMailbox(), XpCompletion.error(code));
    }

    private void endPolling(Tcb a, XpCompletion code) {
        Tcb p = a.proxyAcquire();
        if (p == null || p.xpMailbox().dest != index || p.xpMailbox().proxyStatePlain() != XpIpc.P_POLLING) {
            return;
        }
        kcpu.removeWakeup(p);
        wakeupSender(p.xpMailbox(), code);
    }
}
