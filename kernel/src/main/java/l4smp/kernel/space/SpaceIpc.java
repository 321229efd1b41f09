package l4smp.kernel.space;

import l4smp.emulator.cpu.Cpu;
import l4smp.emulator.memory.Mmu;
import l4smp.emulator.memory.PhysicalMemory;
import l4smp.kernel.KernelCpuPort;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.SendQueue;
import l4smp.kernel.ipc.StringTransfer;
import l4smp.kernel.ipc.Timeout;
import l4smp.kernel.ipc.Transfer;
import l4smp.kernel.thread.KernelResume;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.ThreadState;

/**
 * Long IPC between address spaces (thesis 8.3.2, transmit path): string items copied through
 * the CPU's comm window (8.8.2), map and grant items carried out in the mapping database, and
 * page faults during the copy turned into page-fault IPCs of the partner whose space faulted,
 * after which the IPC resumes where it stopped, bounded from the first fault on by the transfer
 * timeout (see {@link #transferTyped}).
 *
 * <h2>The copy</h2>
 * One partner's space is loaded on the CPU (the invoker's, if it has one); the other partner's
 * pages are reached through the comm window: the two page-directory entries that cover the
 * other buffer's 8 MB are copied into the loaded directory at this CPU's window (so the walks
 * go through the partner's own page tables), and removed again after the string, with the
 * window's TLB entries (8.8.2). Every line is read and written through the accounting layer, and
 * every translation through the TLB, so the misses of 8.3.2 are charged as the walker takes
 * them. Across processors the copy runs on the receiver's CPU (implementation decision 2); when
 * neither space is loaded there, the receiver's is loaded and the sender's buffer goes through
 * the window (8.3.2, "active receiver": the reads through the window carry the MESI traffic).
 *
 * <h2>Faults (8.3.2 "page faults in the communication space", 8.4.2)</h2>
 * A fault in the sender's space makes the sender send a page-fault IPC to its pager; the
 * receiver keeps waiting; when the pager has replied the sender redoes its IPC and the copy
 * resumes at the faulting byte. A fault in the receiver's space (through the window) is
 * translated to the receiver's address: the sender polls again at the head of the receiver's
 * send queue, the receiver sends the fault IPC, and after the reply redoes its receive, which
 * finds the sender and resumes the copy. The fault IPCs carry the remaining transfer time as
 * their timeouts, and a sender polling during the partner's fault waits at most until the
 * transfer deadline: from its first fault on, the transfer, fault handling included, is bounded
 * (X.2 XferTimeouts).
 *
 * <p>A receiver's fault IPC is not started inside the path that found the fault: that path may
 * be the receiver's own receive phase, which holds its TCB lock (8.3.3), and the fault IPC's
 * receive phase takes that lock again. The receiver is made ready with the fault pending
 * ({@link FaultState#pendingKind}) and starts the fault IPC when it is next dispatched.
 *
 * <h2>Cross-processor (8.4.2)</h2>
 * The proxy copies on the receiver's CPU b for the sender A of CPU a ({@link #xpSuspended}):
 * <pre>
 *   fault in B's space (through the window, translated to B's address):
 *     on b, as locally: A back at the head of B's send queue, its proxy polls until the transfer
 *     deadline; B raises the fault to its pager (of any CPU) and then redoes its receive, which
 *     finds A's proxy polling and lets it resume the copy. The deadline expiring first: A gets
 *     "transfer timeout in the partner's space" through its proxy, B (whose fault IPC carries
 *     the same deadline) "in the invoker's space".
 *   fault in A's space:
 *     B waits on b for A alone until the transfer deadline; the proxy wakes A with the request
 *     to redo the fault (XpIpc.REDO_FAULT instead of a completion code); on a, A touches the
 *     location again in its own space ({@link #xpRedoSenderFault}: mapped meanwhile -> no
 *     fault), raises the fault IPC to its pager, and after the mapping redoes its send: a new
 *     request whose proxy finds B waiting for A and resumes the copy at the faulting byte.
 *     The deadline expiring first: B fails on b ("transfer timeout in the partner's space"),
 *     and A's fault IPC, bounded by the same deadline, fails on a ("in the invoker's space").
 * </pre>
 * Points the thesis leaves open, closed here: (1) while A's fault is redone, B accepts no other
 * sender (its receive is closed on A): the transfer into B's buffers has begun, and another
 * message would be overwritten by the resumed copy; (2) B's receive timeout gives way to the
 * transfer deadline once the transfer has begun (X.2: the transfer timeout bounds it); (3) when
 * A's fault IPC fails before the deadline, A still redoes its send, marked as an abort
 * ({@link FaultState#xpAbort}): only b may fail B (implementation decision 3), so the abort
 * travels the request path and both sides get the transfer-timeout errors; (4) a redone send
 * that finds B no longer waiting for it (B's deadline expired first) is not queued: its transfer
 * is dead, and A gets "transfer timeout in the invoker's space" at once ({@link #xpStaleTransfer}).
 *
 * <p>Owner CPU only (see {@link FaultState} for the proxy's hand-over). The copy loop allocates
 * nothing.
 */
public final class SpaceIpc {

    final FaultIpc faultIpc = new FaultIpc(this);

    final SpaceCopy spaceCopy = new SpaceCopy(this);

    final Spaces spaces;
    final PhysicalMemory memory;
    final Mmu mmu;
    final byte[][] buffers;
    /** Per CPU (owner only): the comm-window pages the current string touched. */
    final PageRange[] ranges;
    /** Per CPU (owner only): the pieces of the walk in progress. */
    final SpaceSegments[] segments;

    /** The comm-window pages a string touched (their TLB entries go when the window is unmapped). */
    static final class PageRange {
        int low = Integer.MAX_VALUE;
        int high = -1;

        void reset() {
            low = Integer.MAX_VALUE;
            high = -1;
        }

        void include(long va) {
            int pg = (int) (va >>> 12);
            low = Math.min(low, pg);
            high = Math.max(high, pg);
        }
    }

    SpaceIpc(Spaces spaces) {
        this.spaces = spaces;
        this.memory = spaces.kernel().machine().physicalMemory();
        this.mmu = spaces.kernel().machine().mmu();
        int n = spaces.kernel().machine().cpuCount();
        this.buffers = new byte[n][256];
        this.ranges = new PageRange[n];
        this.segments = new SpaceSegments[n];
        for (int i = 0; i < n; i++) {
            ranges[i] = new PageRange();
            segments[i] = new SpaceSegments(spaceCopy, spaces);
        }
    }

    /** Whether IPC between {@code from} and {@code to} goes through here (either has a space). */
    public static boolean involves(Tcb from, Tcb to) {
        return from.space() != null || to.space() != null;
    }

    static FaultState state(Tcb t) {
        FaultState f = t.fault();
        if (f == null) {
            f = new FaultState();
            t.setFault(f);
        }
        return f;
    }

    // ---- typed items ------------------------------------------------------------------------

    /**
     * The typed items of {@code from}'s message to {@code to} (IpcPath.transferTyped hook):
     * done, failed with a code for each side, or {@link Transfer#FAULTED}. Runs on the
     * receiver's CPU. The walk of strings and buffers is {@link StringTransfer}'s; a transfer
     * that a fault suspended resumes at the byte it reached (the items before it only have
     * their result words written again). The bytes transferred are left in the CPU's
     * {@code IpcPath.strings()} for the error word's offset.
     *
     * <h2>Transfer timeouts (X.2 XferTimeouts; Pistachio {@code handle_xfer_timeouts})</h2>
     * The transfer timeout -- the smaller of the sender's send and the receiver's receive
     * transfer timeout -- starts at the transfer's first page fault, not at its start: a copy
     * that never faults is not bounded by it (an 8 KB string with zero transfer timeouts
     * arrives), and one that faults must be done, fault handling included, within that time of
     * the first fault. A zero transfer timeout fails the transfer at its first fault. On expiry
     * X.2 names the space of the fault: code 5, "transfer timeout in the invoker's address
     * space", goes to the side whose space faulted (the sender's or the receiver's own), 6, "in
     * the partner's address space", to the other; when the time runs out while copying after a
     * fault was resolved, the space of the transfer's last fault counts. (Pistachio picks by
     * whose timeout was the smaller; X.2's wording names the space, and that is what is reported
     * here.)
     */
    public Transfer transferTyped(KernelCpuPort k, Tcb from, Tcb to, int u, int t) {
        Cpu cpu = k.cpu();
        StringTransfer walk = k.ipcPath().strings();
        FaultState fs = from.fault();
        boolean resume = fs != null && fs.xferActive && fs.xferTo == to;
        long deadline = Long.MAX_VALUE;
        int resumeItem = 0;
        long resumeBytes = 0;
        boolean timed = false;
        boolean receiverFaultedLast = false;
        if (resume) {
            deadline = fs.xferDeadline;
            resumeItem = fs.xferItem;
            resumeBytes = fs.xferOffset;
            timed = fs.xferTimed;
            receiverFaultedLast = fs.faultOnReceiver;
            fs.xferActive = false;
            walk.setBytes(resumeBytes);
            FaultState rs = to.fault();
            if (rs != null && rs.xferAwaited == from) {
                rs.xferAwaited = null;
            }
            if (fs.xpAbort) {
                // The sender's fault could not be resolved (8.4.2): the transfer ends for both;
                // "aborted" when exchange-registers canceled the fault IPC (8.4.3, X.2 code 7).
                fs.xpAbort = false;
                if (fs.xpAbortCanceled) {
                    fs.xpAbortCanceled = false;
                    return Transfer.failedBoth(IpcError.ABORTED);
                }
                return xferTimeout(false);
            }
            if (cpu.clock() > deadline) {
                return xferTimeout(receiverFaultedLast);
            }
        }
        SpaceSegments seg = segments[k.index()];
        seg.start(k, from, to, deadline, receiverFaultedLast);
        Transfer r = walk.walk(from.mr, u, t, to.br, to.mr, seg, resumeItem, resumeBytes);
        if (r.faulted()) {
            FaultState s = state(from);
            s.xferOffset = walk.segmentBase() + seg.partial; // the bytes before the faulting one
            walk.setBytes(s.xferOffset);
            if (!timed) {
                // The transfer's first fault starts its transfer timeout (handle_xfer_timeouts).
                long xfer = Math.min(from.xferTimeoutSend(), to.xferTimeoutReceive());
                if (xfer == Timeout.ZERO) {
                    return xferTimeout(s.faultOnReceiver); // "abort IPC immediately"
                }
                deadline = Timeout.deadline(cpu.clock(), xfer);
            }
            s.xferActive = true;
            s.xferTo = to;
            s.xferItem = walk.item();
            s.xferDeadline = deadline;
            s.xferTimed = true;
            return Transfer.FAULTED;
        }
        if (!r.done()) {
            walk.setBytes(walk.bytes() + seg.partial); // a timeout in the middle of a piece
        }
        seg.finish();
        return r;
    }

    /**
     * The transfer timeout expired (or is zero) with the last fault in the receiver's space
     * ({@code receiverFaulted}) or in the sender's: 5 to the side whose space it was, 6 to the
     * other (see {@link #transferTyped}).
     */
    static Transfer xferTimeout(boolean receiverFaulted) {
        return receiverFaulted
                ? Transfer.failed(IpcError.XFER_TIMEOUT_PARTNER, IpcError.XFER_TIMEOUT_INVOKER)
                : Transfer.failed(IpcError.XFER_TIMEOUT_INVOKER, IpcError.XFER_TIMEOUT_PARTNER);
    }

    // ---- suspension and redo -------------------------------------------------------------------

    /**
     * A transfer from {@code sender} to {@code receiver}, both of this CPU, stopped at a page
     * fault (IpcPath hook, after transmit returned {@link Transfer#FAULTED}); {@code senderInvoked}: the
     * sender is the invoker (its send phase found the receiver waiting), else the receiver is
     * (its receive phase found the sender polling). Starts the fault IPC of the faulting partner.
     */
    public void suspended(KernelCpuPort k, Tcb sender, Tcb receiver, boolean senderInvoked) {
        FaultState s = state(sender);
        boolean receiverFaulted = s.faultOnReceiver;
        k.cpu().counters().increment(spaces.cXferFaults);
        long now = k.cpu().clock();
        long remaining = s.xferDeadline == Long.MAX_VALUE ? Timeout.NEVER : Math.max(0, s.xferDeadline - now);
        if (receiverFaulted) {
            // The sender polls again, first in the receiver's queue, until the transfer deadline.
            sender.setState(ThreadState.POLLING);
            sender.setPartner(receiver);
            enqueueHead(receiver, sender);
            k.removeWakeup(sender);
            if (s.xferDeadline != Long.MAX_VALUE) {
                k.addWakeup(sender, s.xferDeadline);
            }
            receiverFaultLater(k, receiver, sender, s.xferDeadline);
        } else {
            if (!senderInvoked) {
                // The receiver (the invoker) waits for the sender again.
                k.ipcPath().markAwaited(receiver.sysFrom());
                receiver.setState(ThreadState.WAITING);
                receiver.setReceiveFrom(receiver.sysFrom());
                if (receiver.sysReceiveTimeout() != Timeout.NEVER && receiver.sysReceiveTimeout() != Timeout.ZERO) {
                    k.addWakeup(receiver, Timeout.deadline(now, receiver.sysReceiveTimeout()));
                }
            }
            sender.setState(ThreadState.READY);
            faultIpc.startFaultIpc(k, sender, FaultState.REDO_IPC, remaining, senderInvoked);
        }
    }

    /**
     * The receiver's space faulted during the transfer from {@code sender}: {@code receiver}
     * becomes ready with its fault IPC pending (started at its next dispatch, see "Faults"); if
     * it waited, it is queued here, else the path that runs its system call continues it.
     */
    void receiverFaultLater(KernelCpuPort k, Tcb receiver, Tcb sender, long deadline) {
        k.removeWakeup(receiver);
        FaultState r = state(receiver);
        r.xferFrom = sender;
        r.pendingKind = FaultState.REDO_RECEIVE;
        r.pendingDeadline = deadline;
        if (receiver.state() == ThreadState.WAITING) {
            k.makeReady(receiver);
        } else {
            receiver.setState(ThreadState.READY);
        }
    }

    /**
     * The copy of the proxy of {@code sender} (of another CPU) into {@code receiver} (of this
     * CPU) stopped at a page fault (XpIpc hook, 8.4.2; see "Cross-processor"). A fault in the
     * receiver's space: the receiver's fault IPC is pending, and the answer is true: the proxy
     * polls again until the transfer deadline ({@link #transferDeadline}), with the sender at
     * the head of the receiver's send queue. A fault in the sender's space: the receiver waits
     * for the sender alone until the deadline, and the answer is false: the proxy asks the
     * sender to redo the fault on its CPU. The receiver is waiting, or the invoker of a receive
     * phase.
     */
    public boolean xpSuspended(KernelCpuPort k, Tcb sender, Tcb receiver) {
        FaultState s = sender.fault(); // written by the copy on this CPU (hand-over, see FaultState)
        k.cpu().counters().increment(spaces.cXferFaults);
        long deadline = s.xferDeadline;
        if (s.faultOnReceiver) {
            receiverFaultLater(k, receiver, sender, deadline);
            return true;
        }
        // B waits for A alone, bounded by the transfer deadline (points 1 and 2 above).
        sender.markAwaitedVolatile();
        receiver.setState(ThreadState.WAITING);
        receiver.setReceiveFrom(sender.id);
        FaultState r = state(receiver);
        r.xferAwaited = sender;
        r.xferAwaitedTag = sender.sysTag(); // the sender's own registers serve its fault IPC meanwhile
        r.xferAwaitedOffset = s.xferOffset;
        k.removeWakeup(receiver);
        if (deadline != Long.MAX_VALUE) {
            k.addWakeup(receiver, deadline);
        }
        return false;
    }

    /**
     * The absolute deadline of the suspended transfer of {@code sender} (the smaller transfer
     * timeout, counted from the transfer's start). Owner CPU of the transfer.
     */
    public long transferDeadline(Tcb sender) {
        return sender.fault().xferDeadline;
    }

    /**
     * The proxy of {@code t}'s send found a page fault in {@code t}'s space (8.4.2; the reply
     * XpIpc.REDO_FAULT, on {@code t}'s CPU): {@code t} touches the location again in its own
     * space; if it is still not mapped, {@code t} sends the page-fault IPC to its pager (bounded
     * by the remaining transfer time) and afterwards redoes its send ({@link FaultState#REDO_IPC}),
     * else it redoes its send at once. {@code t} is the thread whose kernel path runs.
     */
    public void xpRedoSenderFault(KernelCpuPort k, Tcb t) {
        FaultState f = t.fault();
        Cpu cpu = k.cpu();
        spaces.load(k.index(), t.space()); // its space, before its translations enter this TLB
        long pa = spaces.translate(cpu, t.space().pageDirectory, f.va, f.write);
        t.setState(ThreadState.READY);
        if (!Mmu.isFault(pa)) {
            k.ipcPath().ipc(t); // mapped meanwhile: the send resumes the copy
            return;
        }
        long remaining = f.xferDeadline == Long.MAX_VALUE ? Timeout.NEVER : Math.max(0, f.xferDeadline - cpu.clock());
        faultIpc.startFaultIpc(k, t, FaultState.REDO_IPC, remaining, true);
        if (t.state() == ThreadState.READY && !t.inReadyList() && t.kernelResume() == KernelResume.NONE) {
            k.enqueueReadyHead(t); // the fault IPC failed at once: afterFault reports it
            k.setSwitchHint(t);
        }
    }

    /**
     * The proxy of {@code sender}'s send arrives for {@code receiver} (XpIpc hook, before it
     * decides; {@code waitsForIt}: the receiver waits for the sender). Returns 0 to go on, or the
     * sender's error word when the sender redoes a transfer the receiver has given up (its
     * deadline expired while the sender's fault was redone; point 4 above).
     */
    public int xpStaleTransfer(Tcb sender, Tcb receiver, boolean waitsForIt) {
        FaultState s = sender.fault();
        if (s == null || !s.xferActive || s.xferTo != receiver) {
            return 0;
        }
        FaultState r = receiver.fault();
        if (waitsForIt && r != null && r.xferAwaited == sender) {
            return 0; // the receiver waits for the redone send: the copy resumes
        }
        s.xferActive = false;
        s.xpAbort = false;
        s.xpAbortCanceled = false;
        return IpcError.word(IpcError.XFER_TIMEOUT_INVOKER, IpcError.PHASE_SEND, s.xferOffset);
    }

    /**
     * The deadline of the polling proxy of {@code sender}'s send to {@code receiver} expired
     * (XpIpc hook): the sender's error word. When the proxy polled for a receiver resolving a
     * fault of the transfer, the transfer timeout expired in the partner's space, and the
     * receiver learns it when its fault IPC ends; otherwise it is the send timeout.
     */
    public int xpPollExpired(Tcb sender, Tcb receiver) {
        FaultState s = sender.fault();
        if (s == null || !s.xferActive || s.xferTo != receiver) {
            return IpcError.word(IpcError.TIMEOUT, IpcError.PHASE_SEND);
        }
        s.xferActive = false;
        if (receiver.fault() != null) {
            receiver.fault().xferAborted = true;
        }
        return IpcError.word(IpcError.XFER_TIMEOUT_PARTNER, IpcError.PHASE_SEND, s.xferOffset);
    }

    // ---- helpers -------------------------------------------------------------------------------

    /**
     * {@code t}'s long IPC with {@code partner} (null: none known) failed after its transfer had
     * begun ({@code offset} bytes transferred, X.2 ErrorCode), on a page-fault path: the IPC
     * path's {@link l4smp.kernel.ipc.IpcPath#failTransfer failTransfer} (error word, the sender's
     * {@code tag} with E, the partner as {@code from}), with the crossing marked in a receiver's
     * tag when the sender is on another processor, as the direct path marks it (thesis 7.2).
     */
    void fail(KernelCpuPort k, Tcb t, Tcb partner, int tag, int code, int phase, long offset) {
        boolean crossed = phase == IpcError.PHASE_RECEIVE && partner != null && partner.cpuAcquire() != k.index();
        k.ipcPath().failTransfer(t, partner, tag, code, phase, offset, crossed);
    }

    static void enqueueHead(Tcb receiver, Tcb sender) {
        SendQueue.enqueueHead(receiver, sender);
    }

    static void dequeue(Tcb receiver, Tcb sender) {
        SendQueue.dequeue(receiver, sender);
    }


    /** The user access of the trapped thread {@code t} faulted (the PAGE_FAULT trap). */
    public void userFault(KernelCpuPort k, Tcb t) {
        faultIpc.userFault(k, t);
    }

    /**
     * {@code t} is dispatched with a fault IPC pending ({@link #receiverFaultLater}): starts it
     * with the remaining transfer time. Always true: {@code t} is not resumed in its program.
     */
    boolean startPending(KernelCpuPort k, Tcb t) {
        return faultIpc.startPending(k, t);
    }

    /**
     * {@code t}'s fault IPC is over and it is about to run (Spaces.beforeRun): restores its
     * registers and resumes what the fault interrupted. Returns true when it is not to be
     * resumed in its program (the kernel redid its IPC).
     */
    boolean afterFault(KernelCpuPort k, Tcb t) {
        return faultIpc.afterFault(k, t);
    }

    /**
     * A timeout of {@code t} fired (IpcPath.timeoutExpired hook): a sender polling while its
     * partner resolves a fault ran out of transfer time, or a receiver waiting while the sender
     * of another CPU redoes a fault did. Returns true when handled here.
     */
    public boolean timeoutExpired(KernelCpuPort k, Tcb t) {
        return faultIpc.timeoutExpired(k, t);
    }
}
