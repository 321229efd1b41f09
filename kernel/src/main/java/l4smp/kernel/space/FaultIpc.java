package l4smp.kernel.space;

import l4smp.emulator.cache.AccessKind;
import l4smp.emulator.cpu.Cpu;
import l4smp.emulator.memory.Mmu;
import l4smp.emulator.memory.PageTables;
import l4smp.emulator.memory.PhysicalMemory;
import l4smp.kernel.Kernel;
import l4smp.kernel.KernelCpuPort;
import l4smp.kernel.Plant;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.ipc.Timeout;
import l4smp.kernel.ipc.Transfer;
import l4smp.kernel.ipc.TypedItems;
import l4smp.kernel.thread.KernelResume;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.thread.ThreadState;

/**
 * The page-fault IPC of one CPU (thesis 2.2, 8.4.2): a user access that faults, or a long IPC
 * stopped by a fault, sends a fault message to the thread's pager and waits for the mapping;
 * the IPC's own registers are saved meanwhile and restored after, and the suspended transfer
 * resumes or fails. Owner CPU only.
 */
final class FaultIpc {

    private final SpaceIpc spaceIpc;

    FaultIpc(SpaceIpc spaceIpc) {
        this.spaceIpc = spaceIpc;
    }

    /** The user access of the trapped thread {@code t} faulted (the PAGE_FAULT trap). */
    public void userFault(KernelCpuPort k, Tcb t) {
        startFaultIpc(k, t, FaultState.USER, Timeout.NEVER, true);
    }

    /**
     * Makes {@code t} send the page-fault IPC for its recorded fault to its pager and wait for
     * the reply (X.2 protocol: label -2 << 4 | rwx, MR1 the address, MR2 the IP; the receive
     * window is the whole space), its own registers saved. {@code invoker}: {@code t} is the
     * thread whose system call the kernel is executing (it is continued by that call's path).
     * The pager may run on any CPU: the fault IPC is an ordinary call, cross-processor when the
     * pager is elsewhere (8.3.5), and its reply's map item is carried out on {@code t}'s CPU.
     */
    void startFaultIpc(KernelCpuPort k, Tcb t, int kind, long timeout, boolean invoker) {
        FaultState f = SpaceIpc.state(t);
        save(t, f);
        f.kind = kind;
        f.failed = false;
        k.cpu().counters().increment(spaceIpc.spaces.cFaults);
        Tcb pager = spaceIpc.spaces.kernel().lookup(t.pager());
        if (pager == null || pager == t) {
            f.failed = true;
            f.failedError = IpcError.word(IpcError.NO_PARTNER, IpcError.PHASE_SEND);
            t.setState(ThreadState.READY);
            if (!invoker) {
                k.makeReady(t);
            }
            return;
        }
        int access = MappingDatabase.R | (f.write ? MappingDatabase.W : 0);
        t.setSysTo(pager.id);
        t.setSysFrom(pager.id);
        t.setSysTag(MsgTag.make(FaultState.PAGE_FAULT_LABEL | access, 2));
        t.mr[0] = t.sysTag();
        t.mr[1] = Integer.toUnsignedLong(f.va);
        t.mr[2] = t.ip();
        t.br[0] = TypedItems.fpage(0, 32, 0);
        t.setSysSendTimeout(timeout);
        t.setSysReceiveTimeout(timeout);
        t.setState(ThreadState.READY);
        k.ipcPath().ipc(t);
        if (!invoker && t.state() == ThreadState.READY && !t.inReadyList()) {
            k.enqueueReadyTail(t);
        }
    }

    /**
     * {@code t} is dispatched with a fault IPC pending ({@link #receiverFaultLater}): starts it
     * with the remaining transfer time. Always true: {@code t} is not resumed in its program.
     */
    boolean startPending(KernelCpuPort k, Tcb t) {
        FaultState f = t.fault();
        int kind = f.pendingKind;
        f.pendingKind = FaultState.NONE;
        long now = k.cpu().clock();
        long remaining = f.pendingDeadline == Long.MAX_VALUE ? Timeout.NEVER : Math.max(0, f.pendingDeadline - now);
        startFaultIpc(k, t, kind, remaining, true);
        if (t.state() == ThreadState.READY && !t.inReadyList() && t.kernelResume() == KernelResume.NONE) {
            k.enqueueReadyHead(t); // the fault IPC failed at once: afterFault reports it
            k.setSwitchHint(t);
        }
        return true;
    }

    /**
     * {@code t}'s fault IPC is over and it is about to run (Spaces.beforeRun): restores its
     * registers and resumes what the fault interrupted. Returns true when it is not to be
     * resumed in its program (the kernel redid its IPC).
     */
    boolean afterFault(KernelCpuPort k, Tcb t) {
        FaultState f = t.fault();
        int kind = f.kind;
        boolean err = f.failed || MsgTag.isError(t.resultTag());
        int errWord = f.failed ? f.failedError : t.errorCode();
        restore(t, f);
        f.kind = FaultState.NONE;
        switch (kind) {
            case FaultState.USER -> {
                // A fault IPC canceled by exchange-registers (in either phase) is not a failure:
                // the thread, its registers restored, executes the access again and faults again
                // (Pistachio tcb_t::send_pagefault_ipc restores the state whatever do_ipc
                // returned, and the faulting instruction is re-executed). Other errors (no pager,
                // the pager gone) cannot be resolved by a retry.
                boolean canceled = err && (IpcError.code(errWord) == IpcError.CANCELED
                        || IpcError.code(errWord) == IpcError.ABORTED);
                f.failed = err && !canceled;
                f.failedError = canceled ? 0 : errWord;
                return false;
            }
            case FaultState.REDO_IPC -> {
                Tcb receiver = f.xferTo;
                // A fault IPC canceled by exchange-registers aborts the transfer (X.2 code 7 to
                // both sides, 8.4.3); one that failed otherwise is a transfer timeout (5 and 6).
                boolean canceled = err && IpcError.code(errWord) == IpcError.CANCELED;
                // Planted (8.4.3): a canceled fault IPC is aborted on this side only; the
                // receiver's CPU never learns that the suspended transfer ended.
                boolean carryAbort = !(canceled && k.kernel().config().plant() == Plant.ABORT_NESTED_FAULT);
                if ((err || f.xferAborted) && f.xferActive && receiver != null && carryAbort
                        && receiver.cpuAcquire() != k.index() && k.cpu().clock() < f.xferDeadline) {
                    // Cross-processor, before the deadline (point 3): the redone send carries the
                    // abort to the receiver's CPU, which fails both sides. (At the deadline the
                    // receiver fails itself, on its CPU: the sender fails here, below.)
                    f.xpAbortCanceled = canceled && !f.xferAborted;
                    f.xferAborted = false;
                    f.xpAbort = true;
                    t.setState(ThreadState.READY);
                    k.ipcPath().ipc(t);
                    return true;
                }
                if (err || f.xferAborted) {
                    boolean abort = canceled && !f.xferAborted;
                    f.xferActive = false;
                    f.xferAborted = false;
                    spaceIpc.fail(k, t, receiver, t.sysTag(), abort ? IpcError.ABORTED : IpcError.XFER_TIMEOUT_INVOKER,
                            IpcError.PHASE_SEND, f.xferOffset);
                    if (receiver != null && receiver.state() == ThreadState.WAITING && receiver.cpuPlain() == k.index()
                            && (receiver.receiveFrom().isAny() || receiver.receiveFrom().equals(t.id))) {
                        k.removeWakeup(receiver);
                        spaceIpc.fail(k, receiver, t, t.sysTag(), abort ? IpcError.ABORTED : IpcError.XFER_TIMEOUT_PARTNER,
                                IpcError.PHASE_RECEIVE, f.xferOffset);
                        k.makeReady(receiver);
                    }
                    k.enqueueReadyHead(t);
                    k.setSwitchHint(t);
                    return true;
                }
                t.setState(ThreadState.READY);
                k.ipcPath().ipc(t);
                return true;
            }
            case FaultState.REDO_RECEIVE -> {
                Tcb sender = f.xferFrom;
                f.xferFrom = null;
                boolean aborted = f.xferAborted;
                f.xferAborted = false;
                // The receiver's fault IPC canceled by exchange-registers: "aborted" (X.2 code 7).
                boolean abort = !aborted && err && IpcError.code(errWord) == IpcError.CANCELED;
                if (err || aborted) {
                    // The sender's fault state holds the transfer's progress (this CPU's: the
                    // sender polls here, itself or through its proxy).
                    long offset = sender != null && sender.fault() != null ? sender.fault().xferOffset : 0;
                    int tag = sender != null ? sender.sysTag() : 0;
                    spaceIpc.fail(k, t, sender, tag, abort ? IpcError.ABORTED : IpcError.XFER_TIMEOUT_INVOKER,
                            IpcError.PHASE_RECEIVE, offset);
                    if (sender != null && sender.cpuAcquire() != k.index()) {
                        // Its proxy polls here (unless the deadline ended it): it fails the sender.
                        // (Only then is the sender's fault state this CPU's to touch.)
                        var xp = k.ipcPath().xp();
                        if (xp != null && xp.proxy().proxyPollsFor(t, sender)) {
                            sender.fault().xferActive = false;
                            xp.proxy().abortPolling(t, sender, IpcError.word(
                                    abort ? IpcError.ABORTED : IpcError.XFER_TIMEOUT_PARTNER, IpcError.PHASE_SEND, offset));
                        }
                    } else if (sender != null && sender.state() == ThreadState.POLLING && sender.partner() == t) {
                        SpaceIpc.dequeue(t, sender);
                        k.removeWakeup(sender);
                        sender.fault().xferActive = false;
                        spaceIpc.fail(k, sender, t, tag, abort ? IpcError.ABORTED : IpcError.XFER_TIMEOUT_PARTNER,
                                IpcError.PHASE_SEND, offset);
                        k.makeReady(sender);
                    }
                    k.enqueueReadyHead(t);
                    k.setSwitchHint(t);
                    return true;
                }
                t.setSysTo(ThreadId.NIL);
                t.setState(ThreadState.READY);
                k.ipcPath().ipc(t);
                return true;
            }
            default -> {
                return false;
            }
        }
    }

    /**
     * A timeout of {@code t} fired (IpcPath.timeoutExpired hook): a sender polling while its
     * partner resolves a fault ran out of transfer time, or a receiver waiting while the sender
     * of another CPU redoes a fault did. Returns true when handled here.
     */
    public boolean timeoutExpired(KernelCpuPort k, Tcb t) {
        FaultState f = t.fault();
        if (f == null) {
            return false;
        }
        Tcb awaited = f.xferAwaited;
        if (awaited != null && t.state() == ThreadState.WAITING && t.receiveFrom().equals(awaited.id)) {
            // 8.4.2 across processors: the sender's fault was not resolved within the transfer
            // timeout. The sender learns it on its CPU (its fault IPC has the same deadline, or
            // its redone send finds this receiver gone: xpStaleTransfer).
            f.xferAwaited = null;
            spaceIpc.fail(k, t, awaited, f.xferAwaitedTag, IpcError.XFER_TIMEOUT_PARTNER, IpcError.PHASE_RECEIVE,
                    f.xferAwaitedOffset);
            k.makeReady(t);
            return true;
        }
        if (!f.xferActive || t.state() != ThreadState.POLLING) {
            return false;
        }
        Tcb receiver = f.xferTo;
        f.xferActive = false;
        if (t.inSendQueue() && t.partner() != null) {
            SpaceIpc.dequeue(t.partner(), t);
        }
        spaceIpc.fail(k, t, receiver, t.sysTag(), IpcError.XFER_TIMEOUT_PARTNER, IpcError.PHASE_SEND, f.xferOffset);
        k.makeReady(t);
        if (receiver != null && receiver.fault() != null) {
            receiver.fault().xferAborted = true;
        }
        return true;
    }

    static void save(Tcb t, FaultState f) {
        System.arraycopy(t.mr, 0, f.savedMr, 0, MsgTag.MESSAGE_REGISTERS);
        f.savedBr0 = t.br[0];
        f.savedTo = t.sysTo();
        f.savedFrom = t.sysFrom();
        f.savedTag = t.sysTag();
        f.savedSendTimeout = t.sysSendTimeout();
        f.savedReceiveTimeout = t.sysReceiveTimeout();
        f.savedErrorCode = t.errorCode();
        f.savedResultTag = t.resultTag();
        f.savedResultFrom = t.resultFrom();
    }

    static void restore(Tcb t, FaultState f) {
        System.arraycopy(f.savedMr, 0, t.mr, 0, MsgTag.MESSAGE_REGISTERS);
        t.br[0] = f.savedBr0;
        t.setSysTo(f.savedTo);
        t.setSysFrom(f.savedFrom);
        t.setSysTag(f.savedTag);
        t.setSysSendTimeout(f.savedSendTimeout);
        t.setSysReceiveTimeout(f.savedReceiveTimeout);
        t.setErrorCode(f.savedErrorCode);
        t.setResultTag(f.savedResultTag);
        t.setResultFrom(f.savedResultFrom);
    }
}
