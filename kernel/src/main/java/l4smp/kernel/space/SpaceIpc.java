package l4smp.kernel.space;

import l4smp.emulator.cache.AccessKind;
import l4smp.emulator.cpu.Cpu;
import l4smp.emulator.memory.Mmu;
import l4smp.emulator.memory.PageTables;
import l4smp.emulator.memory.PhysicalMemory;
import l4smp.kernel.Kernel;
import l4smp.kernel.KernelCpu;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.ipc.Timeout;
import l4smp.kernel.ipc.TypedItems;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.thread.ThreadState;

/**
 * Long IPC between address spaces (thesis 8.3.2, transmit path): string items copied through
 * the CPU's comm window (8.8.2), map and grant items carried out in the mapping database, and
 * page faults during the copy turned into page-fault IPCs of the partner whose space faulted,
 * after which the IPC resumes where it stopped, all bounded by the transfer timeout.
 *
 * <h2>The copy</h2>
 * One partner's space is loaded on the CPU (the invoker's, if it has one); the other partner's
 * pages are reached through the comm window: the two page-directory entries that cover the
 * other buffer's 8 MB are copied into the loaded directory at this CPU's window (so the walks
 * go through the partner's own page tables), and removed again after the string, with the
 * window's TLB entries (8.8.2). Every line is read and written through the accounting layer, and
 * every translation through the TLB, so the misses of 8.3.2 are charged as the walker takes
 * them.
 *
 * <h2>Faults (8.3.2 "page faults in the communication space", 8.4.2)</h2>
 * A fault in the sender's space makes the sender send a page-fault IPC to its pager; the
 * receiver keeps waiting; when the pager has replied the sender redoes its IPC and the copy
 * resumes at the faulting byte. A fault in the receiver's space (through the window) is
 * translated to the receiver's address: the sender polls again at the head of the receiver's
 * send queue, the receiver sends the fault IPC, and after the reply redoes its receive, which
 * finds the sender and resumes the copy. The fault IPCs carry the remaining transfer time as
 * their timeouts, and a sender polling during the partner's fault waits at most until the
 * transfer deadline: the whole transfer, fault handling included, is bounded (X.2 V4).
 *
 * <h2>Cross-processor (8.4.2)</h2>
 * Local partners only: the XP kernel will reach {@link #suspended} with a partner on another
 * CPU (its proxy copying on the receiver's CPU); the sender must then redo the fault on its own
 * CPU. That path is not built; a fault whose thread is elsewhere aborts the transfer (error 7).
 *
 * <p>Owner CPU only. The copy loop allocates nothing.
 */
public final class SpaceIpc {

    /** transferTyped's result when the transfer stopped at a page fault (IpcPath hook). */
    public static final int FAULTED = 0x7FFF_0000;

    private static final int PAD = 32;
    private final Spaces spaces;
    private final PhysicalMemory memory;
    private final Mmu mmu;
    private final byte[][] buffers;

    SpaceIpc(Spaces spaces) {
        this.spaces = spaces;
        this.memory = spaces.kernel().machine().physicalMemory();
        this.mmu = spaces.kernel().machine().mmu();
        this.buffers = new byte[spaces.kernel().machine().cpuCount()][256];
    }

    /** Whether IPC between {@code from} and {@code to} goes through here (either has a space). */
    public static boolean involves(Tcb from, Tcb to) {
        return from.space != null || to.space != null;
    }

    private static FaultState state(Tcb t) {
        FaultState f = t.fault;
        if (f == null) {
            f = new FaultState();
            t.fault = f;
        }
        return f;
    }

    // ---- typed items ------------------------------------------------------------------------

    /**
     * The typed items of {@code from}'s message to {@code to} (IpcPath.transferTyped hook):
     * 0, the error pair {@code sender | receiver << 8}, or {@link #FAULTED}.
     */
    public int transferTyped(KernelCpu k, Tcb from, Tcb to, int u, int t) {
        if ((t & 1) != 0) {
            return both(IpcError.MESSAGE_OVERFLOW);
        }
        Cpu cpu = k.cpu();
        FaultState fs = from.fault;
        boolean resume = fs != null && fs.xferActive && fs.xferTo == to;
        long deadline;
        int item = u + 1;
        int buffer = 1;
        int offset = 0;
        if (resume) {
            deadline = fs.xferDeadline;
            item = fs.xferItem;
            buffer = fs.xferBuffer;
            offset = fs.xferOffset;
            fs.xferActive = false;
        } else {
            long xfer = Math.min(from.xferTimeoutSend, to.xferTimeoutReceive);
            deadline = xfer == Timeout.NEVER ? Long.MAX_VALUE : cpu.clock() + xfer;
        }
        for (int i = item; i < u + t; i += 2) {
            long w0 = from.mr[i];
            long w1 = from.mr[i + 1];
            switch (TypedItems.type(w0)) {
                case TypedItems.STRING -> {
                    int length = TypedItems.stringLength(w0);
                    if ((to.br[0] & TypedItems.ACCEPT_STRINGS) == 0 || buffer + 1 >= TypedItems.BUFFER_REGISTERS
                            || TypedItems.type(to.br[buffer]) != TypedItems.STRING
                            || TypedItems.stringLength(to.br[buffer]) < length) {
                        return both(IpcError.MESSAGE_OVERFLOW);
                    }
                    long target = to.br[buffer + 1];
                    int r = copy(k, from, to, w1, target, length, offset, deadline);
                    if (r == FAULTED) {
                        FaultState s = state(from);
                        s.xferActive = true;
                        s.xferTo = to;
                        s.xferItem = i;
                        s.xferBuffer = buffer;
                        s.xferDeadline = deadline;
                        return FAULTED; // xferOffset set by copy
                    }
                    if (r != 0) {
                        return r;
                    }
                    offset = 0;
                    buffer += 2;
                    to.mr[i] = (long) length << 10 | TypedItems.STRING;
                    to.mr[i + 1] = target;
                }
                case TypedItems.MAP, TypedItems.GRANT -> {
                    to.mr[i] = w0;
                    to.mr[i + 1] = w1;
                    if (w1 == 0) {
                        continue; // the nil flexpage: nothing to map (sigma0's refusal)
                    }
                    long window = to.br[0] & ~TypedItems.ACCEPT_STRINGS;
                    if (!TypedItems.validFpage(w1) || !TypedItems.validFpage(window) || to.space == null) {
                        return both(IpcError.MESSAGE_OVERFLOW); // malformed page, or no receive window
                    }
                    cpu.counters().increment(cpu.counters().names().indexOf(Kernel.C_MAP_ITEMS));
                    if (from.space != null) {
                        // Rights only narrow, and only what the sender has is mapped (X.2: the rest is silently skipped).
                        spaces.mapFpage(cpu, from.space, w0 & ~0x3FFL, w1, to.space, window,
                                TypedItems.type(w0) == TypedItems.GRANT);
                    }
                }
                default -> {
                    return both(IpcError.MESSAGE_OVERFLOW);
                }
            }
        }
        return 0;
    }

    /**
     * Copies one string, from byte {@code offset}: 0, an error pair, or {@link #FAULTED} (the
     * faulting thread's {@link FaultState} holds the address and access, the sender's the offset).
     */
    private int copy(KernelCpu k, Tcb from, Tcb to, long srcVa, long dstVa, int length, int offset, long deadline) {
        Cpu cpu = k.cpu();
        int c = cpu.index();
        AddressSpace src = from.space;
        AddressSpace dst = to.space;
        if (!inUser(src, srcVa, length) || !inUser(dst, dstVa, length)) {
            return both(IpcError.MESSAGE_OVERFLOW);
        }
        if (length == offset) {
            return 0;
        }
        // Which space is loaded, which one goes through the comm window.
        AddressSpace cur = spaces.loaded(c);
        if (cur == null || (cur != src && cur != dst)) {
            spaces.load(c, src != null ? src : dst);
            cur = spaces.loaded(c);
        }
        boolean srcViaComm = src != null && src != cur;
        boolean dstViaComm = dst != null && dst != cur;
        AddressSpace other = srcViaComm ? src : dstViaComm ? dst : null;
        long otherVa = srcViaComm ? srcVa : dstVa;
        long region = otherVa & ~((4L << 20) - 1);
        long window = AddressSpace.commWindow(c);
        int windowPde = (int) (window >>> 22);
        if (other != null) {
            // 8.8.2: map the partner's buffer into this CPU's comm window (two PDEs, 8 MB).
            spaces.setComm(c, other, (int) region);
            for (int p = 0; p < 2; p++) {
                long from4m = region + ((long) p << 22);
                int pde = from4m < AddressSpace.USER_LIMIT
                        ? memory.intVolatile(other.pageDirectory + 4L * (int) (from4m >>> 22)) : 0;
                memory.setIntVolatile(cur.pageDirectory + 4L * (windowPde + p), pde);
                cpu.touch(cur.pageDirectory + 4L * (windowPde + p), AccessKind.WRITE);
            }
        }
        byte[] buf = buffers[c];
        int line = cpu.cost().lineBytes();
        int done = offset;
        int result = 0;
        int lowPage = Integer.MAX_VALUE;
        int highPage = -1;
        try {
            while (done < length) {
                long s = srcVa + done;
                long d = dstVa + done;
                int chunk = Math.min(line - (int) (s % line), length - done);
                chunk = Math.min(chunk, line - (int) (d % line));
                long sPa;
                if (src == null) {
                    sPa = s;
                } else {
                    long va = srcViaComm ? window + (s - region) : s;
                    sPa = spaces.translate(cpu, cur.pageDirectory, (int) va, false);
                    if (srcViaComm) {
                        int pg = (int) (va >>> 12);
                        lowPage = Math.min(lowPage, pg);
                        highPage = Math.max(highPage, pg);
                    }
                    if (Mmu.isFault(sPa)) {
                        return fault(from, from, (int) s, false, done);
                    }
                }
                long dPa;
                if (dst == null) {
                    dPa = d;
                } else {
                    long va = dstViaComm ? window + (d - region) : d;
                    dPa = spaces.translate(cpu, cur.pageDirectory, (int) va, true);
                    if (dstViaComm) {
                        int pg = (int) (va >>> 12);
                        lowPage = Math.min(lowPage, pg);
                        highPage = Math.max(highPage, pg);
                    }
                    if (Mmu.isFault(dPa)) {
                        return fault(from, to, (int) d, true, done);
                    }
                }
                cpu.touch(sPa, AccessKind.READ);
                if (cpu.clock() > deadline) {
                    result = IpcError.XFER_TIMEOUT_INVOKER | IpcError.XFER_TIMEOUT_PARTNER << 8;
                    return result;
                }
                memory.readBytesPlain(sPa, buf, 0, chunk);
                memory.writeBytesPlain(dPa, buf, 0, chunk);
                cpu.touch(dPa, AccessKind.WRITE);
                if (cpu.clock() > deadline) {
                    result = IpcError.XFER_TIMEOUT_PARTNER | IpcError.XFER_TIMEOUT_INVOKER << 8;
                    return result;
                }
                done += chunk;
            }
            return 0;
        } finally {
            if (other != null) {
                // Unmap the comm window and forget its translations (8.8.2).
                memory.setIntVolatile(cur.pageDirectory + 4L * windowPde, 0);
                memory.setIntVolatile(cur.pageDirectory + 4L * (windowPde + 1), 0);
                if (mmu != null && highPage >= 0) {
                    if (highPage - lowPage >= 32) {
                        mmu.flushTlb(c);
                    } else {
                        for (int p = lowPage; p <= highPage; p++) {
                            mmu.invalidatePage(c, p << 12);
                        }
                    }
                }
                spaces.setComm(c, null, 0);
            }
        }
    }

    private int fault(Tcb sender, Tcb faulter, int va, boolean write, int done) {
        FaultState s = state(sender);
        s.xferOffset = done;
        FaultState f = state(faulter);
        f.va = va;
        f.write = write;
        f.faultOnReceiver = faulter != sender;
        s.faultOnReceiver = faulter != sender;
        return FAULTED;
    }

    private boolean inUser(AddressSpace s, long va, int length) {
        if (va < 0) {
            return false;
        }
        if (s == null) {
            return va + length <= spaces.kernel().machine().kernelRegion().base();
        }
        return va + length <= AddressSpace.USER_LIMIT;
    }

    // ---- suspension and redo -------------------------------------------------------------------

    /**
     * A transfer from {@code sender} to {@code receiver} stopped at a page fault (IpcPath hook,
     * after transmit returned {@link #FAULTED}); {@code senderInvoked}: the sender is the
     * invoker (its send phase found the receiver waiting), else the receiver is (its receive
     * phase found the sender polling). Starts the fault IPC of the faulting partner.
     */
    public void suspended(KernelCpu k, Tcb sender, Tcb receiver, boolean senderInvoked) {
        FaultState s = state(sender);
        boolean receiverFaulted = s.faultOnReceiver;
        Tcb faulter = receiverFaulted ? receiver : sender;
        k.cpu().counters().increment(spaces.cXferFaults);
        long now = k.cpu().clock();
        long remaining = s.xferDeadline == Long.MAX_VALUE ? Timeout.NEVER : Math.max(0, s.xferDeadline - now);
        if (receiverFaulted) {
            // The sender polls again, first in the receiver's queue, until the transfer deadline.
            sender.state = ThreadState.POLLING;
            sender.partner = receiver;
            enqueueHead(receiver, sender);
            k.wakeups().remove(sender);
            if (s.xferDeadline != Long.MAX_VALUE) {
                k.wakeups().add(sender, s.xferDeadline);
            }
            k.wakeups().remove(receiver);
            state(receiver).xferFrom = sender;
            startFaultIpc(k, receiver, FaultState.REDO_RECEIVE, remaining, !senderInvoked);
        } else {
            if (!senderInvoked) {
                // The receiver (the invoker) waits for the sender again.
                receiver.state = ThreadState.WAITING;
                receiver.receiveFrom = receiver.sysFrom;
                if (receiver.sysReceiveTimeout != Timeout.NEVER && receiver.sysReceiveTimeout != Timeout.ZERO) {
                    k.wakeups().add(receiver, now + receiver.sysReceiveTimeout);
                }
            }
            sender.state = ThreadState.READY;
            startFaultIpc(k, sender, FaultState.REDO_IPC, remaining, senderInvoked);
        }
    }

    /** The user access of the trapped thread {@code t} faulted (the PAGE_FAULT trap). */
    public void userFault(KernelCpu k, Tcb t) {
        startFaultIpc(k, t, FaultState.USER, Timeout.NEVER, true);
    }

    /**
     * Makes {@code t} send the page-fault IPC for its recorded fault to its pager and wait for
     * the reply (X.2 protocol: label -2 << 4 | rwx, MR1 the address, MR2 the IP; the receive
     * window is the whole space), its own registers saved. {@code invoker}: {@code t} is the
     * thread whose system call the kernel is executing (it is continued by that call's path).
     */
    void startFaultIpc(KernelCpu k, Tcb t, int kind, long timeout, boolean invoker) {
        FaultState f = state(t);
        save(t, f);
        f.kind = kind;
        f.failed = false;
        k.cpu().counters().increment(spaces.cFaults);
        Tcb pager = spaces.kernel().lookup(t.pager);
        if (pager == null || pager == t || pager.cpuAcquire() != k.index()) {
            // No pager here: the cross-processor page-fault IPC needs the XP kernel (8.4.2).
            f.failed = true;
            f.failedError = IpcError.word(pager == null || pager == t ? IpcError.NO_PARTNER : IpcError.ABORTED,
                    IpcError.PHASE_SEND);
            t.state = ThreadState.READY;
            if (!invoker) {
                k.makeReady(t);
            }
            return;
        }
        int access = MappingDatabase.R | (f.write ? MappingDatabase.W : 0);
        t.sysTo = pager.id;
        t.sysFrom = pager.id;
        t.sysTag = MsgTag.make(FaultState.PAGE_FAULT_LABEL | access, 2);
        t.mr[0] = t.sysTag;
        t.mr[1] = Integer.toUnsignedLong(f.va);
        t.mr[2] = t.ip;
        t.br[0] = TypedItems.fpage(0, 32, 0);
        t.sysSendTimeout = timeout;
        t.sysReceiveTimeout = timeout;
        t.state = ThreadState.READY;
        k.ipcPath().ipc(t);
        if (!invoker && t.state == ThreadState.READY && !t.inReadyList) {
            k.readyList().enqueueTail(t);
        }
    }

    /**
     * {@code t}'s fault IPC is over and it is about to run (Spaces.beforeRun): restores its
     * registers and resumes what the fault interrupted. Returns true when it is not to be
     * resumed in its program (the kernel redid its IPC).
     */
    boolean afterFault(KernelCpu k, Tcb t) {
        FaultState f = t.fault;
        int kind = f.kind;
        boolean err = f.failed || MsgTag.isError(t.resultTag);
        int errWord = f.failed ? f.failedError : t.errorCode;
        restore(t, f);
        f.kind = FaultState.NONE;
        switch (kind) {
            case FaultState.USER -> {
                f.failed = err;
                f.failedError = errWord;
                return false;
            }
            case FaultState.REDO_IPC -> {
                Tcb receiver = f.xferTo;
                if (err || f.xferAborted) {
                    f.xferActive = false;
                    f.xferAborted = false;
                    fail(k, t, IpcError.XFER_TIMEOUT_INVOKER, IpcError.PHASE_SEND);
                    if (receiver != null && receiver.state == ThreadState.WAITING && receiver.cpuPlain() == k.index()
                            && (receiver.receiveFrom.isAny() || receiver.receiveFrom.equals(t.id))) {
                        k.wakeups().remove(receiver);
                        fail(k, receiver, IpcError.XFER_TIMEOUT_PARTNER, IpcError.PHASE_RECEIVE);
                        k.makeReady(receiver);
                    }
                    k.readyList().enqueueHead(t);
                    k.setSwitchHint(t);
                    return true;
                }
                t.state = ThreadState.READY;
                k.ipcPath().ipc(t);
                return true;
            }
            case FaultState.REDO_RECEIVE -> {
                Tcb sender = f.xferFrom;
                f.xferFrom = null;
                boolean aborted = f.xferAborted;
                f.xferAborted = false;
                if (err || aborted) {
                    fail(k, t, IpcError.XFER_TIMEOUT_INVOKER, IpcError.PHASE_RECEIVE);
                    if (sender != null && sender.state == ThreadState.POLLING && sender.partner == t) {
                        dequeue(t, sender);
                        k.wakeups().remove(sender);
                        sender.fault.xferActive = false;
                        fail(k, sender, IpcError.XFER_TIMEOUT_PARTNER, IpcError.PHASE_SEND);
                        k.makeReady(sender);
                    }
                    k.readyList().enqueueHead(t);
                    k.setSwitchHint(t);
                    return true;
                }
                t.sysTo = ThreadId.NIL;
                t.state = ThreadState.READY;
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
     * partner resolves a fault ran out of transfer time. Returns true when handled here.
     */
    public boolean timeoutExpired(KernelCpu k, Tcb t) {
        FaultState f = t.fault;
        if (f == null || !f.xferActive || t.state != ThreadState.POLLING) {
            return false;
        }
        Tcb receiver = f.xferTo;
        f.xferActive = false;
        if (t.inSendQueue && t.partner != null) {
            dequeue(t.partner, t);
        }
        fail(k, t, IpcError.XFER_TIMEOUT_PARTNER, IpcError.PHASE_SEND);
        k.makeReady(t);
        if (receiver != null && receiver.fault != null) {
            receiver.fault.xferAborted = true;
        }
        return true;
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static void save(Tcb t, FaultState f) {
        System.arraycopy(t.mr, 0, f.savedMr, 0, 3);
        f.savedBr0 = t.br[0];
        f.savedTo = t.sysTo;
        f.savedFrom = t.sysFrom;
        f.savedTag = t.sysTag;
        f.savedSendTimeout = t.sysSendTimeout;
        f.savedReceiveTimeout = t.sysReceiveTimeout;
        f.savedErrorCode = t.errorCode;
        f.savedResultTag = t.resultTag;
        f.savedResultFrom = t.resultFrom;
    }

    private static void restore(Tcb t, FaultState f) {
        System.arraycopy(f.savedMr, 0, t.mr, 0, 3);
        t.br[0] = f.savedBr0;
        t.sysTo = f.savedTo;
        t.sysFrom = f.savedFrom;
        t.sysTag = f.savedTag;
        t.sysSendTimeout = f.savedSendTimeout;
        t.sysReceiveTimeout = f.savedReceiveTimeout;
        t.errorCode = f.savedErrorCode;
        t.resultTag = f.savedResultTag;
        t.resultFrom = f.savedResultFrom;
    }

    private void fail(KernelCpu k, Tcb t, int code, int phase) {
        t.errorCode = IpcError.word(code, phase);
        t.resultTag = MsgTag.ERROR_FLAG;
        t.mr[0] = t.resultTag;
        t.receiveFrom = ThreadId.NIL;
        t.state = ThreadState.READY;
        var counters = k.cpu().counters();
        counters.increment(counters.names().indexOf(Kernel.C_IPC_ERRORS));
    }

    private static void enqueueHead(Tcb receiver, Tcb sender) {
        l4smp.kernel.ipc.SendQueue.enqueueHead(receiver, sender);
    }

    private static void dequeue(Tcb receiver, Tcb sender) {
        l4smp.kernel.ipc.SendQueue.dequeue(receiver, sender);
    }

    private static int both(int code) {
        return code | code << 8;
    }
}
