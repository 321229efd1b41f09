package l4smp.kernel.ipc;

import l4smp.emulator.cache.AccessKind;
import l4smp.kernel.Kernel;
import l4smp.kernel.KernelCpuPort;
import l4smp.kernel.api.ExchangeRegisters;
import l4smp.kernel.thread.KernelResume;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.TcbLayout.Field;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.thread.ThreadState;
import l4smp.kernel.xcpu.AbortJoin;
import l4smp.kernel.xcpu.CpuXcpuMemory;
import l4smp.kernel.xcpu.FlagLine;
import l4smp.kernel.xcpu.Mailbox;
import l4smp.kernel.xcpu.MailboxPool;
import l4smp.kernel.xcpu.XcpuFabric;

/**
 * ExchangeRegisters across processors, and the abort of an IPC in flight across processors
 * (thesis 8.4.3, with 8.4.1 for the reply and 8.5 for migration).
 *
 * <h2>The paths</h2>
 * <pre>
 *   L calls exchange-registers on D (caller's CPU l, target's CPU d):
 *     d == l: the operation runs in L's kernel path (below, "execute")
 *     else:   claim a mailbox l->d (OP_EXREGS, the operation record), L locked waiting,
 *             flag + IPI (the caller waits: always urgent); no free mailbox: L retries later
 *   on d, the mailbox's proxy (an "unwind proxy", 8.4.3: a second type of proxy that never
 *   blocks): D gone -> "unavailable"; D no longer on d (migrated while the request was in
 *   flight) -> RETARGET, L's CPU runs the call again to D's new CPU (8.5, as XP sends do);
 *   another operation unwinds D's IPC now -> this one waits behind it (8.4.3: "after finishing
 *   the abort operation handles the next operation"); else execute:
 *     snapshot the old registers (the result)
 *     cancel send:  D polls locally                  -> canceled here (as on one CPU)
 *                   D's IPC is to be retried          -> canceled here (KernelResume.RETRY_IPC)
 *                   D's XP send returned, retarget    -> canceled here (code rewritten)
 *                   D locked waiting, its proxy on b  -> UNWIND on b (below); D is held
 *                   D locked waiting, proxy cleared   -> the reply is on its way: D is held
 *                                                        until it arrives (no unwind)
 *     cancel receive: D waits (receive phase started on d) -> canceled here
 *                     D's call delivered, XP RETURN pending -> recorded: its receive phase
 *                                                        fails as it begins
 *                     D locked waiting, proxy cleared   -> D is held until the reply arrives,
 *                                                        then as above if it was delivered
 *     set the registers, halt / resume
 *     reply to L (8.4.1: the same mailbox, its reply flag in l's line) -- or, if D is held,
 *     when the hold ends
 *   UNWIND on b (mailbox d->b, OP_UNWIND, pointing to the SAME operation record: the shared
 *   mailbox of 8.4.3 that collects the participants' states):
 *     check_n_ack first (D's send request was flagged before the unwind: after this check it
 *     is hooked, polling, or answered)
 *     D's proxy hooked or polling for D: take D out of the receiver's send queue, the proxy
 *       out of the ready list / wakeup queue, and answer D's send with "canceled, send phase"
 *       through D's own reply mailbox (wakeup sender, 8.4.1) -- the abort won
 *     otherwise the proxy has already answered D (delivered, timed out, retarget): the abort
 *       found nothing
 *     answer the unwind (reply flag in d's line)
 *   the hold on d ends when BOTH the unwind's answer and D's send reply have arrived (either
 *   order: check_n_ack scans bits, not arrival order); then D runs its XP RETURN with the code
 *   it got, and the operations waiting behind the hold run.
 * </pre>
 *
 * <h2>Why these invariants hold</h2>
 * <ul>
 *   <li>Exactly once: D's send is answered by exactly one path on b (the proxy's completion, its
 *       timeout, a retarget, or the unwind), all serialised on b with interrupts off (8.4.3:
 *       "the state is no more changed because all proxies disable the interrupts"). The unwind
 *       aborts only a request that is hooked or polling -- nothing was copied yet: no message
 *       is half-delivered. A delivered message means the unwind found nothing.</li>
 *   <li>No stale abort: the unwind names D's send mailbox. That mailbox is reused only after D
 *       consumed its reply on d; D's reply is held until the unwind has been answered, so the
 *       unwind always judges the send it was meant for.</li>
 *   <li>Concurrent aborts: every operation on D runs on D's CPU (implementation decision 3), one
 *       at a time; a second one finds D held and waits behind the first, and then finds D's
 *       send phase over ("already aborted": it cancels nothing).</li>
 *   <li>No migration in between (8.4.3: "assumes that in between the participated threads are
 *       not migrated"): D is locked waiting or has a reply to consume while held, L waits
 *       locked or has a reply to consume, and the proxy on b serves D: migration refuses all
 *       of these as "busy" (the do-not-migrate rule of 8.5). A receiver that migrates before
 *       the unwind makes the proxy answer RETARGET; an abort that meets it rewrites it into
 *       "canceled" (the IPC was in progress when the abort came).</li>
 *   <li>No leak: every mailbox claimed here is freed by its source after the reply (request
 *       and unwind), every proxy answers once and goes back to sleep.</li>
 * </ul>
 *
 * <h2>Points the thesis leaves open, closed here</h2>
 * <ul>
 *   <li>The error code: the abort of a cross-processor send that has not begun to transfer is
 *       "canceled" (3) in the send phase, exactly as on one processor (design decision 6,
 *       transparency); "aborted" (7) would mean a transfer in progress, which short and
 *       string messages never are here (the proxy copies in one step, 8.4.4).</li>
 *   <li>The fourth processor (the pager of a long IPC with a page fault, 8.4.2/8.4.3): the
 *       cross-processor page-fault redo does not exist in this kernel (typed items between
 *       spaces across processors are refused), so an IPC in flight spans at most the caller's,
 *       the sender's and the receiver's processor; the operation record is the shared mailbox
 *       that a pager's unwind would join.</li>
 *   <li>A call whose send phase completed on the receiver's processor but whose reply mailbox
 *       was not yet consumed has not begun its receive phase on its own processor, though its
 *       partner has the message (X.2 makes the send and the start of the receive one
 *       operation). A cancel of the receive in that window is not lost: with the reply on its
 *       way the target is held until it arrives (as for a cancel of the send), and once it has
 *       arrived the cancel is recorded in the target's TCB; the receive phase then fails with
 *       "canceled" as it begins (XpAbortHold, "A cancel of a call's receive phase").</li>
 *   <li>No free mailbox for the unwind: the target's CPU answers RETARGET and the caller's CPU
 *       runs the whole call again after a back-off (nothing was changed yet).</li>
 * </ul>
 *
 * <p>Thread contract: owner CPU only (one instance per CPU). The operation record travels
 * between CPUs only inside mailboxes, published by their flags (release/acquire); its hold
 * fields are the target CPU's only.
 */
public final class XpExchangeRegisters {


    final XpAbortHold xpAbortHold = new XpAbortHold(this);

    /** The error word of a canceled send phase. */
    static final int CANCELED_SEND = IpcError.word(IpcError.CANCELED, IpcError.PHASE_SEND);
    /** X.2 ExchangeRegisters error: the thread does not exist. */
    static final int UNAVAILABLE_THREAD = 2;

    /** Cycles a caller backs off before it calls again (no mailbox, or retarget). */
    static final int RETRY_BACKOFF_CYCLES = 200;

    /** The proxy state of a request that waits behind another operation's hold. */
    static final int P_DEFERRED = 4;

    /**
     * Statistics indices ({@link #statsAfterRun()}), counted on the CPU where the event happens:
     * calls (each run of a call on the caller's CPU, re-runs included), requests sent by mailbox,
     * re-runs after RETARGET, unwinds posted / aborting / finding nothing, operations deferred
     * behind another's hold, holds, operations that canceled an IPC, "no free mailbox", and the
     * stage an aborting unwind met (proxy activated but not run / polling).
     */
    public static final int S_CALLS = 0;
    public static final int S_REMOTE_REQUESTS = 1;
    public static final int S_RETARGETS = 2;
    public static final int S_UNWINDS = 3;
    public static final int S_UNWIND_ABORTED = 4;
    public static final int S_UNWIND_FOUND_NOTHING = 5;
    public static final int S_DEFERRED = 6;
    public static final int S_HOLDS = 7;
    public static final int S_CANCELED = 8;
    public static final int S_NO_MAILBOX = 9;
    /** Unwinds that aborted a send whose proxy was activated but had not run / was polling. */
    public static final int S_ABORT_HOOKED = 10;
    public static final int S_ABORT_POLLING = 11;
    static final int S_COUNT = 12;

    /**
     * The operation that deletes {@code victim} on its own CPU for ThreadControl (Pistachio's
     * cross-CPU delete): it travels, waits behind an abort in flight, follows a migrated target
     * and answers exactly as an exchange-registers request does; the result is the victim's
     * snapshot (ok) or "unavailable". Pass it as {@code caller}'s {@code sysArgument} to {@link #call}.
     */
    public static XpExregsOperation deleteOperation(Tcb caller, ThreadId victim) {
        return new XpExregsOperation(caller, new ExchangeRegisters.Request(victim, 0, 0, 0, 0, 0, ThreadId.NIL, null), true);
    }

    final Kernel kernel;
    final KernelCpuPort kcpu;
    final XpIpc xp;
    final IpcPath ipc;
    final XcpuFabric fabric;
    final CpuXcpuMemory mem;
    final int index;
    /** Operations of this CPU whose abort is in flight (their targets are held). */
    final XpExregsOperation[] holds;
    int holdCount;
    /** Plain per-CPU statistics (owner writes; read after the machine stopped). */
    final long[] stats = new long[S_COUNT];

    XpExchangeRegisters(Kernel kernel, KernelCpuPort kcpu, XpIpc xp, IpcPath ipc, XcpuFabric fabric) {
        this.kernel = kernel;
        this.kcpu = kcpu;
        this.xp = xp;
        this.ipc = ipc;
        this.fabric = fabric;
        this.mem = new CpuXcpuMemory(kcpu.cpu());
        this.index = kcpu.index();
        this.holds = new XpExregsOperation[fabric.perPair() * fabric.cpus() + 1];
    }

    /** The statistics ({@code S_...}); read when the machine has stopped. */
    public long[] statsAfterRun() {
        return stats.clone();
    }

    /** Number of targets held by an abort in flight on this CPU (invariant checks after a stop). */
    public int holdsAfterRun() {
        return holdCount;
    }

    // =========================================================================================
    // The caller's side (CPU l)
    // =========================================================================================

    /**
     * The exchange-registers call of {@code caller}: {@code sysArgument} holds the request (or,
     * when it runs again, its operation). The caller continues, waits locked for the reply, or
     * retries later.
     */
    public void call(Tcb caller) {
        XpExregsOperation op = caller.sysArgument() instanceof XpExregsOperation o ? o
                : new XpExregsOperation(caller, (ExchangeRegisters.Request) caller.sysArgument());
        caller.setSysArgument(op);
        stats[S_CALLS]++;
        Tcb d = kernel.lookup(op.request.dest());
        if (d == null) {
            op.result = ExregsResults.unavailable();
            finishCaller(caller, op);
            return;
        }
        kcpu.touchTcb(d, Field.MYSELF, AccessKind.READ);
        kcpu.touchTcb(d, Field.CPU, AccessKind.READ);
        int dcpu = d.cpuAcquire();
        if (dcpu == index) {
            switch (runOnTargetCpu(op, d)) {
                case DONE -> finishCaller(caller, op);
                case RETRY -> retryLater(caller);
                default -> {
                    kcpu.writeState(caller, ThreadState.LOCKED_WAITING); // woken when the hold ends
                }
            }
            return;
        }
        Mailbox m = xp.claim(dcpu);
        if (m == null) {
            stats[S_NO_MAILBOX]++;
            retryLater(caller);
            return;
        }
        stats[S_REMOTE_REQUESTS]++;
        op.requestMailbox = m;
        m.setOpPlain(Mailbox.OP_EXREGS);
        m.setSenderPlain(caller);
        m.setDestIdPlain(d.id);
        m.setExregsPlain(op);
        mem.storeRelease(m.address + Mailbox.OP, Mailbox.OP_EXREGS);
        mem.storeRelease(m.address + Mailbox.SENDER, caller.id.raw());
        mem.storeRelease(m.address + Mailbox.DEST, d.id.raw());
        MailboxPool.unlock(mem, m.address);
        kcpu.writeState(caller, ThreadState.LOCKED_WAITING);
        caller.setKernelResume(KernelResume.NONE);
        FlagLine.set(mem, fabric.flagLine(dcpu), m.requestBit);
        xp.trigger(dcpu, true); // the caller waits for the answer: always worth the latency bound
    }

    /** The reply of a request reached the caller's CPU (check_n_ack, 8.4.1). */
    void replied(Mailbox m) {
        Tcb caller = m.senderPlain();
        if (caller == null || caller.state() == ThreadState.DEAD || caller.myselfAcquire() == null) {
            m.setSenderPlain(null);
            m.setExregsPlain(null);
            xp.mailboxWait().release(m); // the caller is gone: nobody consumes the result
            return;
        }
        caller.setPendingReturn(m);
        caller.setKernelResume(KernelResume.EXREGS_RETURN);
        kcpu.makeReady(caller);
    }

    /** The dispatcher picked {@code t} with {@link KernelResume#RETRY_EXREGS} or {@link KernelResume#EXREGS_RETURN}. */
    public void resume(Tcb t, KernelResume what) {
        if (what == KernelResume.RETRY_EXREGS) {
            call(t);
            return;
        }
        Mailbox m = t.pendingReturn();
        t.setPendingReturn(null);
        kcpu.touchTcb(t, Field.MAILBOX_PTRS, AccessKind.WRITE);
        int code = mem.loadAcquire(m.address + Mailbox.CODE);
        XpExregsOperation op = (XpExregsOperation) m.exregsPlain();
        m.setExregsPlain(null);
        m.setSenderPlain(null);
        xp.mailboxWait().release(m); // XP RETURN: free the mailbox of the request
        op.requestMailbox = null;
        if (code == XpCompletion.RETARGET.word()) {
            // D left its CPU before the request was served, or no mailbox for the unwind: the
            // call runs again (nothing was changed on the target).
            stats[S_RETARGETS]++;
            kcpu.cpu().advance(RETRY_BACKOFF_CYCLES);
            call(t);
            return;
        }
        finishCaller(t, op);
    }

    void retryLater(Tcb caller) {
        kcpu.cpu().advance(RETRY_BACKOFF_CYCLES);
        caller.setKernelResume(KernelResume.RETRY_EXREGS);
        caller.setState(ThreadState.READY);
        kcpu.enqueueReadyTail(caller);
    }

    /** The call is done: the result to the caller, who continues (unless it halted itself). */
    void finishCaller(Tcb caller, XpExregsOperation op) {
        caller.setSysArgument(null);
        caller.setSysResult(op.result);
        caller.setErrorCode(op.result.errorCode());
        caller.setState(ThreadState.READY);
        if (op.target == caller && caller.halted()) {
            return; // halted itself: stays off the CPU until resumed
        }
        kcpu.enqueueReadyHead(caller);
        kcpu.setSwitchHint(caller);
    }

    // =========================================================================================
    // The target's side (CPU d): the request's proxy
    // =========================================================================================

    static final int DONE = 0;
    static final int WAIT = 1;
    static final int RETRY = 2;

    /** The proxy of request mailbox {@code m} runs (8.4: an operation of the "unwind" type). */
    void serve(Mailbox m) {
        if (m.opPlain() == Mailbox.OP_UNWIND) {
            xpAbortHold.serveUnwind(m);
            return;
        }
        m.setProxyStatePlain(XpIpc.P_RUNNING);
        XpExregsOperation op = (XpExregsOperation) m.exregsPlain();
        Tcb d = kernel.lookup(op.request.dest()); // check again that the target exists
        if (d == null) {
            op.result = ExregsResults.unavailable();
            answerRequest(m, 0);
            return;
        }
        kcpu.touchTcb(d, Field.CPU, AccessKind.READ);
        if (d.cpuAcquire() != index) {
            answerRequest(m, XpCompletion.RETARGET.word()); // 8.5: D left while the request was in flight
            return;
        }
        switch (runOnTargetCpu(op, d)) {
            case DONE -> answerRequest(m, 0);
            case RETRY -> answerRequest(m, XpCompletion.RETARGET.word());
            default -> {
                // Waits for an abort in flight (its own, or another operation's): the proxy
                // sleeps, the operation is a passive record (8.4.4).
                m.setProxyStatePlain(P_DEFERRED);
                m.proxyPlain().setState(ThreadState.WAITING);
            }
        }
    }

    /** The answer of a request (8.4.1: the same mailbox, its reply flag in the caller's line). */
    void answerRequest(Mailbox m, int code) {
        m.setCompletionPlain(code);
        m.setOpPlain(Mailbox.OP_EXREGS_RETURN);
        mem.storeRelease(m.address + Mailbox.CODE, code);
        mem.storeRelease(m.address + Mailbox.OP, Mailbox.OP_EXREGS_RETURN);
        m.setProxyStatePlain(XpIpc.P_IDLE);
        m.proxyPlain().setState(ThreadState.WAITING); // the proxy sleeps until check_n_ack hooks it again
        FlagLine.set(mem, fabric.flagLine(m.source), m.replyBit);
        xp.trigger(m.source, true);
    }

    /**
     * Runs {@code op} on {@code d}, which is on this CPU: DONE (result set), WAIT (an abort is in
     * flight: finished by {@link #endHold}), or RETRY (no mailbox for the unwind; nothing done).
     */
    int runOnTargetCpu(XpExregsOperation op, Tcb d) {
        XpExregsOperation holder = xpAbortHold.holdOf(d);
        if (holder != null) {
            // 8.4.3: another operation is unwinding D's IPC; this one runs after it.
            stats[S_DEFERRED]++;
            if (holder.deferredTail == null) {
                holder.deferredHead = op;
            } else {
                holder.deferredTail.nextDeferred = op;
            }
            holder.deferredTail = op;
            return WAIT;
        }
        return execute(op, d);
    }

    int execute(XpExregsOperation op, Tcb d) {
        ExchangeRegisters.Request r = op.request;
        int c = r.control();
        op.target = d;
        op.canceled = false;
        if (op.delete) {
            op.result = ExregsResults.snapshot(d, false);
            kernel.deleteOnOwnCpu(kcpu, d);
            return DONE;
        }
        if (ExregsResults.invalid(op.caller, d, r)) {
            op.result = ExregsResults.failed(ExchangeRegisters.INVALID_PARAMETER, "invalid parameter");
            return DONE; // nothing changed
        }
        Mailbox unwind = null;
        Mailbox sendMailbox = null;
        boolean hold = false;
        boolean cancelSend = (c & ExchangeRegisters.CANCEL_SEND) != 0;
        boolean cancelReceive = (c & ExchangeRegisters.CANCEL_RECEIVE) != 0;
        if ((cancelSend || cancelReceive) && d.state() == ThreadState.LOCKED_WAITING
                && !(d.sysArgument() instanceof XpExregsOperation) && d.kernelResume() == KernelResume.NONE) {
            // D's cross-processor send is in the hands of a proxy, or its reply is on its way.
            kcpu.touchTcb(d, Field.PROXY, AccessKind.READ);
            Tcb p = d.proxyAcquire();
            if (p != null && cancelSend) {
                sendMailbox = p.xpMailbox();
                unwind = xp.claim(sendMailbox.dest);
                if (unwind == null) {
                    stats[S_NO_MAILBOX]++;
                    return RETRY; // nothing changed yet
                }
                hold = true;
            } else if (p == null && (cancelSend || !d.sysFrom().isNil())) {
                // The proxy has answered: the reply tells whether the send was delivered (then a
                // call's receive phase has begun as far as its partner can tell, and a cancel of
                // the receive applies to it) or ended otherwise. D is held until it arrives.
                hold = true;
            }
        }
        op.before = ExregsResults.snapshot(d, false);
        if (cancelSend && !hold) {
            op.canceled |= xpAbortHold.cancelSendHere(d);
        }
        if (cancelReceive && !hold) {
            op.canceled |= ipc.cancel(d, IpcError.PHASE_RECEIVE) || xpAbortHold.cancelReceiveBeforeItBegins(d);
        }
        ExregsResults.applyRegisters(kcpu, op.caller, d, r);
        if (!hold) {
            op.result = ExregsResults.result(op);
            if (op.canceled) {
                stats[S_CANCELED]++;
            }
            return DONE;
        }
        stats[S_HOLDS]++;
        op.unwind = unwind;
        op.sendMailbox = sendMailbox;
        op.join.begin(unwind != null);
        holds[holdCount++] = op;
        if (unwind != null) {
            stats[S_UNWINDS]++;
            unwind.setOpPlain(Mailbox.OP_UNWIND);
            unwind.setSenderPlain(d);
            unwind.setDestIdPlain(d.id);
            unwind.setExregsPlain(op); // the shared mailbox: the same record for every participant
            AbortJoin.postUnwind(mem, unwind.address, d.id.raw(), fabric.flagLine(unwind.dest), unwind.requestBit);
            xp.trigger(unwind.dest, true);
        }
        return WAIT;
    }

    // =========================================================================================
    // The unwind proxy (CPU b: the receiver's, where the target's send proxy runs)
    // =========================================================================================

    // =========================================================================================
    // The registers (any CPU's kernel, for a target on that CPU)
    // =========================================================================================

    /**
     * ExchangeRegisters of {@code d} by {@code caller}, both on {@code kcpu}'s CPU, on a machine
     * without cross-processor paths (one CPU): cancel, set, halt / resume. Returns the values
     * before the call.
     */
    public static ExchangeRegisters.Result applyLocal(KernelCpuPort kcpu, Tcb caller, Tcb d,
                                                      ExchangeRegisters.Request r) {
        if (ExregsResults.invalid(caller, d, r)) {
            return ExregsResults.failed(ExchangeRegisters.INVALID_PARAMETER, "invalid parameter");
        }
        ExchangeRegisters.Result before = ExregsResults.snapshot(d, false);
        int c = r.control();
        boolean canceled = false;
        if ((c & ExchangeRegisters.CANCEL_SEND) != 0) {
            canceled |= kcpu.ipcPath().cancel(d, IpcError.PHASE_SEND);
        }
        if ((c & ExchangeRegisters.CANCEL_RECEIVE) != 0) {
            canceled |= kcpu.ipcPath().cancel(d, IpcError.PHASE_RECEIVE);
        }
        ExregsResults.applyRegisters(kcpu, caller, d, r);
        return canceled ? ExregsResults.withCanceled(before) : before;
    }

}
