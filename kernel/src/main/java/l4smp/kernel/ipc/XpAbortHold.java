package l4smp.kernel.ipc;

import l4smp.emulator.cache.AccessKind;
import l4smp.kernel.Kernel;
import l4smp.kernel.KernelCpuPort;
import l4smp.kernel.api.ExchangeRegisters;
import l4smp.kernel.thread.KernelResume;
import l4smp.kernel.thread.SyscallArgument;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.TcbLayout.Field;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.thread.ThreadState;
import l4smp.kernel.xcpu.AbortJoin;
import l4smp.kernel.xcpu.CpuXcpuMemory;
import l4smp.kernel.xcpu.Mailbox;
import l4smp.kernel.xcpu.MailboxPool;
import l4smp.kernel.xcpu.XcpuFabric;

/**
 * The abort of a cross-processor send by exchange-registers (8.4.3), on the target's CPU: the
 * hold that keeps the target's send in place while the unwind to the receiver's CPU runs, the
 * reply of the send that arrives meanwhile, the unwind's answer and the end of the hold (the
 * operations that waited behind it run then, in order), and the unwind served on the receiver's
 * CPU. Owner CPU only.
 */
final class XpAbortHold {

    private final XpExchangeRegisters exregs;

    XpAbortHold(XpExchangeRegisters exregs) {
        this.exregs = exregs;
    }

    /**
     * Cancels a send phase of {@code d} (on this CPU) that is not in a proxy's hands: polling
     * locally, an IPC to be run again, or an XP send answered "retarget" and not yet run again.
     */
    boolean cancelSendHere(Tcb d) {
        if (exregs.ipc.cancel(d, IpcError.PHASE_SEND)) {
            return true;
        }
        if (d.kernelResume() == KernelResume.RETRY_IPC && d.state() == ThreadState.READY
                && !(d.sysArgument() instanceof XpExregsOperation)) {
            // The IPC runs again later (no mailbox, or its receiver migrated, 8.5): its send
            // phase is in progress, so it is canceled; d stays in the ready list (a mailbox handed
            // to it goes to the next waiter).
            exregs.xp.mailboxWait().leave(d);
            d.setKernelResume(KernelResume.NONE);
            exregs.ipc.fail(d, IpcError.CANCELED, IpcError.PHASE_SEND);
            return true;
        }
        if (d.kernelResume() == KernelResume.XP_RETURN && d.pendingReturn() != null
                && d.xpCcAcquire().retarget()) {
            d.setXpCcRelease(XpCompletion.error(XpExchangeRegisters.CANCELED_SEND)); // the send would run again: canceled instead
            return true;
        }
        return false;
    }

    /*
     * A cancel of a call's receive phase that reaches the target's CPU before that phase began
     * there (thesis 8.4.3 with 8.4.1; X.2 makes a call's send and receive one operation, so once
     * the partner has the message the caller is, as far as anyone can tell, receiving):
     *
     *   D's CPU, in either order (check_n_ack scans bits, not arrival order):
     *     the reply of D's send (delivered)          the exchange-registers request (cancel R)
     *       -> D ready, XP RETURN pending               D locked waiting, proxy cleared: D is held
     *                                                     until the reply is in (endHold)
     *                                                   D ready, XP RETURN pending, delivered:
     *                                                     the cancel is recorded in D's TCB
     *   XP RETURN of D: a recorded cancel fails the receive phase with "canceled" (receive)
     *   instead of entering it; a sender of another CPU whose proxy polls for D without its own
     *   deadline because D was about to receive (XpProxy.receivesAfterXpReturn) gets that
     *   deadline back, as a sender to a thread that no longer receives.
     *
     * All of it runs on D's CPU (implementation decision 3), so the flag is plain: whatever the
     * order of the reply and the request, the cancel either finds D waiting (canceled at once),
     * or is recorded before D's XP RETURN reads it. A send that was not delivered (an error
     * reply) has no receive phase: the record is dropped at XP RETURN.
     */

    /**
     * Cancel receive for a {@code d} whose call was delivered on another CPU and whose receive
     * phase has not begun here (its XP RETURN pending): recorded for its XP RETURN. Returns
     * whether it applied.
     */
    boolean cancelReceiveBeforeItBegins(Tcb d) {
        if (d.kernelResume() != KernelResume.XP_RETURN || d.pendingReturn() == null || d.sysFrom().isNil()
                || d.receiveCancelPending() || d.sysArgument() instanceof XpExregsOperation) {
            return false;
        }
        exregs.kcpu.touchTcb(d, Field.XP_CC, AccessKind.READ);
        if (!d.xpCcAcquire().done()) {
            return false; // the send failed or runs again: no receive phase follows
        }
        d.setReceiveCancelPending(true);
        return true;
    }

    /**
     * XP RETURN of {@code t} with the completion {@code code}: takes a recorded receive cancel.
     * Returns true when {@code t}'s receive phase is canceled (then {@code t} failed here with
     * "canceled" in the receive phase); false when its IPC goes on as usual.
     */
    boolean takeReceiveCancel(Tcb t, int code) {
        if (!t.receiveCancelPending()) {
            return false;
        }
        t.setReceiveCancelPending(false);
        if (code != 0 || t.sysFrom().isNil()) {
            return false;
        }
        t.setWaitPublished(true); // the proxy published the receive (XpProxy.complete): fail withdraws it
        exregs.ipc.fail(t, IpcError.CANCELED, IpcError.PHASE_RECEIVE);
        restoreSenderDeadlines(t);
        return true;
    }

    /**
     * Senders of other CPUs that poll for {@code t} through proxies of this CPU without a
     * deadline of their own because {@code t} was about to receive: each gets its own deadline
     * (the mailbox's), or its timeout now if that has passed.
     */
    private void restoreSenderDeadlines(Tcb t) {
        long now = exregs.kcpu.cpu().clock();
        Tcb s = t.sendQueueHead();
        while (s != null) {
            Tcb next = s.sendNext();
            Tcb p = s.cpuAcquire() != exregs.index ? s.proxyAcquire() : null;
            Mailbox m = p == null ? null : p.xpMailbox();
            if (m != null && m.dest == exregs.index && m.proxyStatePlain() == XpIpc.P_POLLING
                    && m.receiverPlain() == t && m.senderPlain() == s && p.wakeupIndex() < 0
                    && m.deadlinePlain() != Long.MAX_VALUE) {
                if (m.deadlinePlain() <= now) {
                    exregs.xp.proxy().proxyTimeout(p);
                } else {
                    exregs.kcpu.addWakeup(p, m.deadlinePlain());
                }
            }
            s = next;
        }
    }

    XpExregsOperation holdOf(Tcb d) {
        for (int i = 0; i < exregs.holdCount; i++) {
            if (exregs.holds[i].target == d) {
                return exregs.holds[i];
            }
        }
        return null;
    }

    /**
     * The send reply of {@code a} arrived on this CPU (check_n_ack). Returns true when an abort
     * holds {@code a}: then the reply waits in {@code a.pendingReturn} until the hold ends.
     */
    boolean sendReplyArrived(Tcb a, Mailbox m) {
        if (exregs.holdCount == 0 || a == null) {
            return false;
        }
        XpExregsOperation op = holdOf(a);
        if (op == null) {
            return false;
        }
        boolean ends = op.join.replyArrived();
        if (a.state() == ThreadState.DEAD || a.myselfAcquire() == null) {
            m.setSenderPlain(null);
            exregs.xp.mailboxWait().release(m);
        } else {
            a.setPendingReturn(m);
            a.setKernelResume(KernelResume.XP_RETURN); // stays locked waiting until the hold ends
        }
        if (ends) {
            endHold(op);
        }
        return true;
    }

    /** The unwind's answer arrived on this CPU (check_n_ack). */
    void unwindAnswered(Mailbox u) {
        XpExregsOperation op = (XpExregsOperation) u.exregsPlain();
        boolean aborted = AbortJoin.unwindAborted(exregs.mem, u.address);
        exregs.stats[aborted ? XpExchangeRegisters.S_UNWIND_ABORTED : XpExchangeRegisters.S_UNWIND_FOUND_NOTHING]++;
        u.setExregsPlain(null);
        u.setSenderPlain(null);
        exregs.xp.mailboxWait().release(u);
        op.unwind = null;
        if (op.join.unwindAnswered()) {
            endHold(op);
        }
    }

    /**
     * Both answers are in: D's send phase is over (canceled by this operation, or ended by
     * itself). D runs its XP RETURN; the caller gets the result; waiting operations run.
     */
    void endHold(XpExregsOperation op) {
        for (int i = 0; i < exregs.holdCount; i++) {
            if (exregs.holds[i] == op) {
                exregs.holds[i] = exregs.holds[--exregs.holdCount];
                exregs.holds[exregs.holdCount] = null;
                break;
            }
        }
        Tcb d = op.target;
        op.sendMailbox = null;
        if (d.state() != ThreadState.DEAD && d.myselfAcquire() != null) {
            exregs.kcpu.touchTcb(d, Field.XP_CC, AccessKind.READ);
            XpCompletion code = d.xpCcAcquire();
            if (code.retarget()) {
                // The receiver migrated before the abort reached it (8.5): the IPC was in
                // progress when the abort came, so it is canceled instead of run again.
                code = XpCompletion.error(XpExchangeRegisters.CANCELED_SEND);
                d.setXpCcRelease(code);
            }
            op.canceled |= code.errorWord() == XpExchangeRegisters.CANCELED_SEND;
            if ((op.request.control() & ExchangeRegisters.CANCEL_RECEIVE) != 0 && d.pendingReturn() != null) {
                // The send was delivered: the call's receive phase is canceled as it begins.
                op.canceled |= cancelReceiveBeforeItBegins(d);
            }
            if (d.pendingReturn() != null) {
                exregs.kcpu.makeReady(d); // XP RETURN with its code (KernelResume.XP_RETURN)
            }
        }
        if (op.canceled) {
            exregs.stats[XpExchangeRegisters.S_CANCELED]++;
        }
        op.result = ExregsResults.result(op);
        finishOperation(op);
        // The operations that waited behind this hold run now, in order.
        XpExregsOperation next = op.deferredHead;
        op.deferredHead = null;
        op.deferredTail = null;
        while (next != null) {
            XpExregsOperation o = next;
            next = o.nextDeferred;
            o.nextDeferred = null;
            Tcb t = exregs.kernel.lookup(o.request.dest());
            int outcome;
            if (t == null) {
                o.result = ExregsResults.unavailable();
                outcome = XpExchangeRegisters.DONE;
            } else if (t.cpuAcquire() != exregs.index) {
                outcome = XpExchangeRegisters.RETRY;
            } else {
                outcome = exregs.runOnTargetCpu(o, t);
            }
            if (outcome == XpExchangeRegisters.WAIT) {
                // o holds (or waits behind) the target now: the rest waits behind it as well.
                XpExregsOperation holder = holdOf(t);
                while (next != null) {
                    XpExregsOperation rest = next;
                    next = rest.nextDeferred;
                    rest.nextDeferred = null;
                    if (holder.deferredTail == null) {
                        holder.deferredHead = rest;
                    } else {
                        holder.deferredTail.nextDeferred = rest;
                    }
                    holder.deferredTail = rest;
                }
                break;
            }
            if (outcome == XpExchangeRegisters.DONE) {
                finishOperation(o);
            } else if (o.requestMailbox != null) {
                exregs.answerRequest(o.requestMailbox, XpCompletion.RETARGET.word());
            } else {
                exregs.retryLater(o.caller);
            }
        }
    }

    /** An operation run on this CPU is done: answer its request, or continue its local caller. */
    void finishOperation(XpExregsOperation op) {
        Mailbox m = op.requestMailbox;
        if (m != null) {
            exregs.answerRequest(m, 0);
            return;
        }
        Tcb caller = op.caller;
        if (caller.state() == ThreadState.DEAD || caller.myselfAcquire() == null) {
            return;
        }
        if (caller.state() == ThreadState.LOCKED_WAITING) {
            // A local caller that waited for the hold: its result, then ready.
            caller.setSysArgument(null);
            caller.setSysResult(op.result);
            caller.setErrorCode(op.result.errorCode());
            exregs.kcpu.makeReady(caller);
        }
    }

    /** The unwind proxy of mailbox {@code u} runs: aborts the target's send if it is still open. */
    void serveUnwind(Mailbox u) {
        u.setProxyStatePlain(XpIpc.P_RUNNING);
        // check_n_ack first: the target's request was flagged before the unwind, so after this
        // its proxy is hooked, polling, or has answered.
        exregs.xp.check().checkNow();
        XpExregsOperation op = (XpExregsOperation) u.exregsPlain();
        Tcb d = u.senderPlain();
        Mailbox m2 = op.sendMailbox;
        boolean aborted = false;
        if (m2 != null && m2.dest == exregs.index && m2.senderPlain() == d && m2.opPlain() == Mailbox.OP_SEND) {
            Tcb p2 = m2.proxyPlain();
            exregs.kcpu.touchTcb(p2, Field.STATE, AccessKind.READ);
            if (m2.proxyStatePlain() == XpIpc.P_HOOKED) {
                // Activated but not yet run: off the ready list; it never runs this request.
                exregs.kcpu.removeReady(p2);
                exregs.xp.check().forgetHooked(p2);
                exregs.stats[XpExchangeRegisters.S_ABORT_HOOKED]++;
                aborted = true;
            } else if (m2.proxyStatePlain() == XpIpc.P_POLLING) {
                // D waits in the receiver's send queue; the proxy's deadline in our wakeups.
                if (m2.receiverPlain() != null && d.inSendQueue() && d.partner() == m2.receiverPlain()) {
                    exregs.kcpu.touchTcb(m2.receiverPlain(), Field.SEND_QUEUE, AccessKind.WRITE);
                    exregs.kcpu.touchTcb(d, Field.SEND_LINKS, AccessKind.WRITE);
                    IpcPath.dequeueSender(m2.receiverPlain(), d);
                }
                exregs.kcpu.removeWakeup(p2);
                exregs.stats[XpExchangeRegisters.S_ABORT_POLLING]++;
                aborted = true;
            }
            if (aborted) {
                exregs.xp.proxy().wakeupSender(m2, XpCompletion.error(XpExchangeRegisters.CANCELED_SEND)); // D's reply: canceled in the send phase
            }
        }
        u.setCompletionPlain(aborted ? 1 : 0);
        u.setOpPlain(Mailbox.OP_UNWIND_RETURN);
        u.setProxyStatePlain(XpIpc.P_IDLE);
        u.proxyPlain().setState(ThreadState.WAITING);
        AbortJoin.answerUnwind(exregs.mem, u.address, aborted, exregs.fabric.flagLine(u.source), u.replyBit);
        exregs.xp.trigger(u.source, true);
    }
}
