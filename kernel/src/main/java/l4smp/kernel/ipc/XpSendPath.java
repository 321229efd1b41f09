package l4smp.kernel.ipc;

import l4smp.emulator.cache.AccessKind;
import l4smp.kernel.Kernel;
import l4smp.kernel.KernelCpuPort;
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
import l4smp.kernel.xcpu.XpSendHandshake;

/**
 * The XP send path on the sender's CPU (thesis 8.3.5 "send path", the trigger of 8.3.4) and its
 * second half, XP RETURN (8.4.1). See {@link XpIpc} for the whole path of a cross-processor IPC.
 *
 * <pre>
 *   detection: send tag bit 12 set -> error 7 (aborted), offset 0, B's processor in the UTCB
 *   find a free mailbox a->b, lock it, fill it (A, B, tag, deadline; the virtual sender of a
 *     propagating send, X.2), unlock it
 *   lock B's TCB; re-read B's CPU (B migrated: run again); w = B.WAIT_FOR      (8.3.3)
 *     send timeout 0 and B not receptive: unlock, free the mailbox, timeout error (as locally)
 *     A.proxy = mailbox.proxy; A.state = locked waiting; set the mailbox's flag in b's line
 *   unlock B's TCB
 *   IPI to b if (B receptive or A's send timeout finite) and b checks later than max latency
 * </pre>
 *
 * <p>Owner CPU only (the sender's). Allocation-free; a full mailbox pool is a slow path
 * ({@link XpMailboxWait}).
 */
public final class XpSendPath {

    private final XpIpc xp;
    private final XpMailboxWait mailboxWait;
    private final Kernel kernel;
    private final KernelCpuPort kcpu;
    private final IpcPath ipc;
    private final XcpuFabric fabric;
    private final CpuXcpuMemory mem;
    private final int index;
    private final boolean copyOnSender;

    XpSendPath(XpIpc xp) {
        this.xp = xp;
        this.mailboxWait = xp.mailboxWait();
        this.kernel = xp.kernel;
        this.kcpu = xp.kcpu;
        this.ipc = xp.ipc;
        this.fabric = xp.fabric;
        this.mem = xp.mem;
        this.index = xp.index;
        this.copyOnSender = xp.copyOnSender;
    }

    /**
     * The send phase of {@code a} to {@code b}, which runs on another CPU. {@code a} ends up
     * failed (ready), locked waiting for its proxy, or (no free mailbox) ready to retry. Always
     * returns false: the send phase is not complete when this returns (8.3.5: XP RETURN).
     */
    boolean send(Tcb a, Tcb b) {
        long t0 = kcpu.cpu().clock();
        long copy0 = xp.cycles[3];
        try {
            return sendPath(a, b);
        } finally {
            xp.cycles[0] += kcpu.cpu().clock() - t0 - (xp.cycles[3] - copy0);
        }
    }

    private boolean sendPath(Tcb a, Tcb b) {
        int bcpu = b.cpuAcquire();
        if (kernel.config().abi().abortIfCross(a.sysTag())) {
            // Design decision 4, section 7.2 (thesis ABI: send-tag bit 12; X.2 ABI: the send
            // tag's X bit): abort before any transfer, error 7 with offset 0
            // (the error word's offset bits stay 0), the destination's processor number in the
            // UTCB ("returned in XXX": closed here as the UTCB field XP_PARTNER_PROCESSOR).
            a.setXpPartnerProcessor(kernel.processorNumber(bcpu)); // 8.2 numbering
            xp.counters.increment(xp.cAborts);
            ipc.fail(a, IpcError.ABORTED, IpcError.PHASE_SEND);
            return false;
        }
        Mailbox m = mailboxWait.takeHandoff(a, bcpu);
        if (m == null) {
            // First come, first served: a sender does not overtake those already waiting.
            m = mailboxWait.anyWaitFor(bcpu) ? null : xp.claim(bcpu);
            if (m == null) {
                m = mailboxWait.waitForMailbox(a, b, bcpu);
                if (m == null) {
                    return false;
                }
            }
        }
        // write ipc data to mailbox (8.3.5): the sender, the destination, the send descriptor and
        // the timeout -- as an absolute deadline, so the timeout counts from the send, not from
        // when the proxy runs (design decision 6: timeouts in simulated time, as locally).
        long timeout = a.sysSendTimeout();
        m.setOpPlain(Mailbox.OP_SEND);
        m.setSenderPlain(a);
        m.setDestIdPlain(b.id);
        m.setTagPlain(a.sysTag());
        m.setDeadlinePlain(Timeout.deadline(kcpu.cpu().clock(), timeout));
        m.setPreCopiedPlain(false);
        Tcb vs = a.sysVirtualSender(); // X.2 propagation: the virtual sender travels along (Propagation)
        m.setVirtualSenderPlain(vs);
        mem.storeRelease(m.address + Mailbox.OP, Mailbox.OP_SEND);
        mem.storeRelease(m.address + Mailbox.SENDER, a.id.raw());
        mem.storeRelease(m.address + Mailbox.DEST, b.id.raw());
        mem.storeRelease(m.address + Mailbox.TAG, a.sysTag());
        if (vs != null) {
            mem.storeRelease(m.address + Mailbox.VSENDER, vs.id.raw());
        }
        MailboxPool.unlock(mem, m.address);

        // Lock B's TCB and re-read its CPU (not charged again: the send path read B's CPU word a
        // moment ago, 8.3.2).
        if (!XpSendHandshake.lockOnCpu(mem, xp.lockWord(b), xp.tcbLock, b, bcpu)) {
            // 8.5, race 2, the case the thesis leaves open: B migrated after we read its CPU. A
            // request flagged at the old CPU now would never be looked at: B's receive paths run
            // elsewhere, and the trigger below sends no IPI for a request that is not urgent.
            // B's source sets the new CPU under B's TCB lock (MigrationMailboxes.moveUnderTcbLock), so under the
            // lock either we see the new CPU here and the IPC runs again, or our flag is set
            // before the move and the source's next check_n_ack hooks the proxy, which answers
            // RETARGET. (The handshake has released the lock.)
            m.setSenderPlain(null);
            mailboxWait.release(m);
            keepRemainingSendTimeout(a, m.deadlinePlain());
            a.setKernelResume(KernelResume.RETRY_IPC);
            a.setState(ThreadState.READY);
            kcpu.enqueueReadyHead(a);
            return false;
        }
        int waitFor = XpSendHandshake.readWaitFor(mem, xp.waitWord(b));
        boolean receptive = XpIpc.accepts(waitFor, a, vs);
        if (m.slot == xp.reservedSlot && waitFor != a.id.raw()) {
            // The reply mailbox is only for a receiver that waits for exactly this sender (see
            // XpMailboxWait); B no longer does: wait for an ordinary one.
            xp.unlockTcb(b);
            m.setSenderPlain(null);
            mailboxWait.release(m);
            if (!receptive && timeout == Timeout.ZERO) {
                ipc.fail(a, IpcError.TIMEOUT, IpcError.PHASE_SEND); // as on one CPU
            } else {
                mailboxWait.park(a, bcpu, false, true);
            }
            return false;
        }
        if (!receptive && timeout == Timeout.ZERO) {
            // B's state is exact under its lock: it does not wait for A. As locally: timeout.
            xp.unlockTcb(b);
            m.setSenderPlain(null);
            mailboxWait.release(m);
            ipc.fail(a, IpcError.TIMEOUT, IpcError.PHASE_SEND);
            return false;
        }
        // Set proxy pointer, own timeout to infinity (the proxy keeps the deadline), locked waiting.
        a.setPartner(b);
        a.setProxyRelease(m.proxyPlain());
        kcpu.touchTcb(a, Field.PROXY, AccessKind.WRITE);
        kcpu.writeState(a, ThreadState.LOCKED_WAITING);
        a.setKernelResume(KernelResume.NONE);
        if (receptive && copyOnSender) {
            // Experiment only (D4): the active sender copies now, on its own CPU; the proxy only
            // installs the staged words. B is reserved for A while the copy runs (WAIT_FOR = 0:
            // no other sender sees it receptive).
            mem.storeRelease(xp.waitWord(b), 0);
            xp.unlockTcb(b);
            long c0 = kcpu.cpu().clock();
            Transfer result = ipc.transmitPath.copyMessage(a, b, m.staged);
            xp.cycles[3] += kcpu.cpu().clock() - c0;
            m.setPreCopiedPlain(result.done());
            FlagLine.set(mem, fabric.flagLine(bcpu), m.requestBit);
        } else {
            // trigger mailbox, still under B's lock (see "The TCB lock" in XpIpc)
            XpSendHandshake.flagAndUnlock(mem, fabric.flagLine(bcpu), m.requestBit, xp.lockWord(b), xp.tcbLock);
        }
        xp.trigger(bcpu, receptive || timeout != Timeout.NEVER);
        return false;
    }

    /**
     * A send that runs again (retargeted, 8.5) keeps what is left of its send timeout, the
     * absolute {@code deadline} of its first attempt (8.7.3 keeps a waiting thread's timeout the
     * same way); a deadline already reached leaves timeout 0.
     */
    void keepRemainingSendTimeout(Tcb a, long deadline) {
        if (deadline != Long.MAX_VALUE) {
            a.setSysSendTimeout(Math.max(Timeout.ZERO, deadline - kcpu.cpu().clock()));
        }
    }

    /**
     * XP RETURN (8.3.5, 8.4.1), on the sender's CPU when the dispatcher picks the sender with
     * {@link KernelResume#XP_RETURN}: read the completion, free the mailbox, then the rest of
     * the IPC: redo a fault in the sender's space (8.4.2), run the IPC again to the receiver's
     * new CPU (8.5), or finish it (an error, done, or the receive phase).
     */
    public void xpReturn(Tcb t) {
        Mailbox m = t.pendingReturn();
        t.setPendingReturn(null);
        kcpu.touchTcb(t, Field.XP_CC, AccessKind.READ);
        kcpu.touchTcb(t, Field.MAILBOX_PTRS, AccessKind.WRITE);
        XpCompletion code = t.xpCcAcquire();
        int processor = m.receiverProcessorPlain();
        long deadline = m.deadlinePlain();
        m.setSenderPlain(null);
        mailboxWait.release(m); // free and release the mailboxes of the sender's list (or hand on to a waiter)
        if (code.redoFault()) {
            // 8.4.2: the proxy's copy faulted in t's space: t redoes the fault here, then its send.
            kcpu.writeState(t, ThreadState.READY);
            t.setWaitPublished(false);
            kernel.spaces().ipc().xpRedoSenderFault(kcpu, t);
            return;
        }
        if (code.retarget()) {
            // The receiver migrated before the request was served (8.5): the IPC runs again,
            // with what is left of its send timeout (the deadline the mailbox carried).
            keepRemainingSendTimeout(t, deadline);
            kcpu.writeState(t, ThreadState.READY);
            t.setWaitPublished(false);
            ipc.ipc(t);
            return;
        }
        ipc.transmitPath.xpSendReturned(t, code.errorWord(), processor);
    }
}
