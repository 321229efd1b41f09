package l4smp.kernel.thread;

import jdk.internal.vm.ContinuationScope;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.ipc.Timeout;
import l4smp.kernel.ipc.TypedItems;
import l4smp.kernel.ipc.XpCompletion;
import l4smp.kernel.space.AddressSpace;
import l4smp.kernel.space.FaultState;
import l4smp.kernel.xcpu.Mailbox;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A thread control block, its fields grouped as thesis 8.6 groups them (Table 3).
 *
 * <ul>
 *   <li>Global, read-mostly: {@code myself} and {@code cpu}, read by any CPU through
 *       {@link #myselfAcquire()} and {@link #cpuAcquire()}, written with release stores by the
 *       owner CPU (at creation, at the end, by the source CPU of a migration).</li>
 *   <li>Global, modified: {@code proxy} and {@code xpCc}, written by the sender's CPU and by
 *       the proxy on the receiver's CPU (8.3.5, 8.4.1), with release stores and acquire loads.
 *       The TCB lock and the WAIT_FOR word of that line live in simulated memory only
 *       ({@link TcbLayout.Field#LOCK}, {@link TcbLayout.Field#WAIT_FOR}).</li>
 *   <li>Local: everything else, owned by the thread's current CPU and touched there only
 *       (implementation decision 3), through the plain accessors below. The one local field
 *       another CPU reads is the thread state, in scans over every thread (the end of a
 *       partner, 8.5): {@link #setState} stores it opaquely and {@link #stateOpaque()} reads it.</li>
 * </ul>
 *
 * <p>The accessors here change the Java object only. A kernel path that writes a field the
 * thesis's kernel would write charges that write in simulated memory through its CPU's kernel
 * ({@code KernelCpu.writeState} and the {@code touchTcb} calls), so the accounting of a TCB
 * write is one call with the write where the two go together.
 *
 * <p>The UTCB (message registers, error code, processor number) is part of the TCB here; user
 * code reaches it through the {@code L4} facade only.
 */
public final class Tcb {

    /** The continuation scope of user threads, nested inside the CPU scope. */
    public static final ContinuationScope USER_SCOPE = new ContinuationScope("USER");

    private static final VarHandle MYSELF;
    private static final VarHandle CPU;
    private static final VarHandle PROXY;
    private static final VarHandle XP_CC;
    private static final VarHandle STATE;
    private static final VarHandle AWAITED;
    private static final VarHandle REDIRECTED;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            MYSELF = lookup.findVarHandle(Tcb.class, "myself", ThreadId.class);
            CPU = lookup.findVarHandle(Tcb.class, "cpu", int.class);
            PROXY = lookup.findVarHandle(Tcb.class, "proxy", Tcb.class);
            XP_CC = lookup.findVarHandle(Tcb.class, "xpCc", XpCompletion.class);
            STATE = lookup.findVarHandle(Tcb.class, "state", ThreadState.class);
            AWAITED = lookup.findVarHandle(Tcb.class, "awaited", boolean.class);
            REDIRECTED = lookup.findVarHandle(Tcb.class, "redirected", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // ---- global, read-mostly (8.6) -----------------------------------------------------------
    @SuppressWarnings("unused") private ThreadId myself;
    @SuppressWarnings("unused") private int cpu;

    // ---- global, modified by other processors (8.6) ------------------------------------------
    /**
     * The proxy serving this thread's cross-processor send (set by the sender on its CPU before
     * it triggers the mailbox, cleared by the proxy on the receiver's CPU, read there by the
     * receiver once into a temporary, 8.3.5).
     */
    @SuppressWarnings("unused") private Tcb proxy;
    /** The completion of the last cross-processor send (8.4.1). */
    @SuppressWarnings("unused") private XpCompletion xpCc = XpCompletion.DONE;
    /**
     * Global, monotonic: some thread has waited, or waits, in a closed receive from this one (set
     * before the wait is published). A thread that was never awaited ends without looking for
     * waiters to fail: no walk of every thread at each thread's end.
     */
    @SuppressWarnings("unused") private boolean awaited;
    /** The last redirection of this thread's wait by X.2 propagation (Propagation): from raw << 32 | to raw. */
    @SuppressWarnings("unused") private long redirected;

    // ---- identity and execution (immutable) ----------------------------------------------------
    public final ThreadId id;
    public final String name;
    public final boolean daemon;
    public final UserContinuation continuation;
    /** Message registers MR0..MR63 (UTCB); MR0 mirrors the tag. */
    public final long[] mr = new long[MsgTag.MESSAGE_REGISTERS];
    /** Buffer registers BR0..BR33 (UTCB; BR0: the acceptor, then string buffers). */
    public final long[] br = new long[TypedItems.BUFFER_REGISTERS];

    // ---- local: the thread state (read across CPUs by scans: opaque) -------------------------
    @SuppressWarnings("unused") private ThreadState state = ThreadState.READY;

    // ---- local: scheduling (the owner CPU only) ------------------------------------------------------
    /** The scheduling priority, 0..255 (higher runs first). */
    private int priority;
    /** X.2 MCP: {@code schedule} to or of a priority above it is refused. Set at creation (default: the priority). */
    private int mcp;
    /** The total timeslice, in cycles. */
    private long timeslice;
    /** What is left of the timeslice, in cycles. */
    private long remainingTimeslice;
    /** Ready-list links (the scheduler's intrusive doubly-linked list). */
    private Tcb readyNext, readyPrev;
    private boolean inReadyList;
    /** Wakeup-queue position (the CPU's binary heap), -1 when not queued, and its key (an absolute time). */
    private int wakeupIndex = -1;
    private long wakeupTime;

    // ---- local: IPC ----------------------------------------------------------------------------------
    /** The thread this one sends to (polling) or receives from (closed receive). */
    private Tcb partner;
    /** The receive specifier of the current receive phase: NIL (none), ANY, or a thread. */
    private ThreadId receiveFrom = ThreadId.NIL;
    /** This thread's send queue: threads polling to send to it (intrusive FIFO). */
    private Tcb sendQueueHead;
    private Tcb sendQueueTail;
    /** Links in the send queue of the thread it polls to send to. */
    private Tcb sendNext;
    private Tcb sendPrev;
    private boolean inSendQueue;
    /** This thread published a receive specifier in its WAIT_FOR word. */
    private boolean waitPublished;
    /** For a proxy thread (8.4): the mailbox it serves; {@code null} for every other thread. */
    private Mailbox xpMailbox;
    /** A kernel path to finish when the dispatcher next picks this thread. */
    private KernelResume kernelResume = KernelResume.NONE;
    /**
     * The reply mailbox to consume (with {@link KernelResume#XP_RETURN} or {@link
     * KernelResume#EXREGS_RETURN}).
     */
    private Mailbox pendingReturn;
    /**
     * Exchange-registers canceled the receive phase of this thread's call while the call's send
     * was already delivered on another processor but its receive phase had not begun here (its
     * reply mailbox on the way or not yet consumed): the receive phase fails with "canceled" as
     * it begins (thesis 8.4.3: an abort finds the IPC in whatever state it is and ends it).
     * Owner CPU only (a thread with its XP RETURN pending, or held, does not migrate).
     */
    private boolean receiveCancelPending;
    /**
     * A cross-processor send that found no free mailbox (8.3.4) waits in its CPU's FIFO of
     * mailbox waiters for this destination CPU; -1 when it does not wait. With
     * {@link #mailboxHandoff} null it is linked in that FIFO ({@link #mailboxWaitNext},
     * {@link #mailboxWaitPrev}); with a handoff it was unlinked and owns that mailbox.
     */
    private int mailboxWaitCpu = -1;
    /** The waiting send's receiver waits for exactly this thread (it may take the reply mailbox). */
    private boolean mailboxWaitForReply;
    private Tcb mailboxWaitNext;
    private Tcb mailboxWaitPrev;
    /** The mailbox a release handed to this waiter (claimed for it, busy), or null. */
    private Mailbox mailboxHandoff;

    // ---- local: the system call in progress (the "registers" of the trap) ----------------------------
    private int trap;
    private ThreadId sysTo = ThreadId.NIL;
    private ThreadId sysFrom = ThreadId.NIL;
    private int sysTag;
    private long sysSendTimeout;
    private long sysReceiveTimeout;
    /** The argument of a thread-control, space-control or exchange-registers call in progress. */
    private SyscallArgument sysArgument;
    /** The result of a thread-control or exchange-registers call. */
    private SyscallResult sysResult;
    /** The integer result of a schedule call (the old priority, or -1 with the error code). */
    private int sysResultWord;

    // ---- local: UTCB (message and buffer registers are the final arrays above) -----------------------
    /** The transfer timeouts (X.2's XferTimeouts word): when sending and when receiving. */
    private long xferTimeoutSend = Timeout.NEVER;
    private long xferTimeoutReceive = Timeout.NEVER;
    /** The result tag of the last IPC (with the E flag on error). */
    private int resultTag;
    /** The sender of the last received message. */
    private ThreadId resultFrom = ThreadId.NIL;
    /** The UTCB error-code word of the last IPC. */
    private int errorCode;
    /** The partner's processor number of a cross-processor send aborted on request (design decision 4, 7.2), else 0. */
    private int xpPartnerProcessor;
    /** The user-defined handle. */
    private long userHandle;
    /** X.2's VirtualSender/ActualSender UTCB word: written by a propagating sender, and by the kernel on receipt. */
    private ThreadId virtualActualSender = ThreadId.NIL;
    /** The virtual sender of the send phase in progress if the kernel propagates it; else {@code null}. */
    private Tcb sysVirtualSender;

    // ---- local: registers exchange-registers reads and writes ----------------------------------------
    /** Instruction and stack pointer, flags: opaque to the Java program, kept for the API. */
    private long ip, sp, flags;
    /** The thread's pager. */
    private ThreadId pager = ThreadId.NIL;
    /** Halted by exchange-registers: not scheduled until resumed. */
    private boolean halted;
    /**
     * The thread's program (its "instruction pointer"): called when its continuation first runs
     * (and when exchange-registers restarts it there); null for an inactive thread (created
     * without one, halted until exchange-registers gives it one, X.2 ThreadControl /
     * ExchangeRegisters). Written by the creator before the TCB is published in the thread
     * table, or on the owner CPU by exchange-registers; read on the owner CPU.
     */
    private java.util.concurrent.Callable<?> entry;

    // ---- local: hardware (interrupt) threads and the FPU ---------------------------------------------
    /** The interrupt line this TCB stands for, or -1 for a user thread. */
    private int hardwareLine = -1;
    /** An interrupt of this line was delivered and not yet acknowledged by the handler. */
    private boolean irqInService;
    /** Interrupts raised while in service, delivered one by one after each acknowledgement. */
    private long irqPending;
    /** The thread has FPU state (it used the FPU at least once). */
    private boolean fpuUsed;

    // ---- local: simulated memory and the address space -----------------------------------------------
    /**
     * The TCB's base addresses in the kernel region: a field at {@link TcbLayout} offset {@code o} lies at
     * {@code kernelAddress + o} when {@code o} is in the local part, else at {@code kernelGlobalAddress + o}
     * (the two parts are allocated separately; in the naive layout both bases are equal).
     */
    private long kernelAddress;
    private long kernelGlobalAddress;
    /** The UTCB's base address: message register i is the 32-bit word at 4 * i. */
    private long utcbAddress;
    /** The thread's address space (thesis 2.2), or null for the flat identity-mapped space. */
    private AddressSpace space;
    /** Its page-fault state (created at the first fault). */
    private FaultState fault;

    // ---- local: execution ----------------------------------------------------------------------------
    /**
     * The CPU's kernel whose dispatcher runs this thread now (set by it before it resumes the continuation,
     * on its own host thread). The thread's own code reads it after every trap: a trap may end on another CPU
     * (migration), and nothing looked up before the trap may be used after it.
     */
    private ThreadHost runningOn;
    /** The thread's identity as the current host thread while it runs (created at its first run). */
    private L4ThreadIdentity identity;
    /** What the program threw, if it did. */
    private Throwable failure;

    public Tcb(ThreadId id, String name, int cpu, int priority, boolean daemon, Runnable body) {
        this.id = id;
        this.name = name;
        this.daemon = daemon;
        this.priority = priority;
        this.mcp = priority;
        this.continuation = new UserContinuation(body);
        setCpuRelease(cpu);
        setMyselfRelease(id);
    }

    // ---- global accessors ----------------------------------------------------------------------

    /** The id this TCB currently belongs to, or {@code null} once the thread is gone. Any CPU. */
    public ThreadId myselfAcquire() {
        return (ThreadId) MYSELF.getAcquire(this);
    }

    /** Publishes the owner id (null = the TCB is free). Owner CPU. */
    public void setMyselfRelease(ThreadId id) {
        MYSELF.setRelease(this, id);
    }

    /** The thread's current CPU. Any CPU. */
    public int cpuAcquire() {
        return (int) CPU.getAcquire(this);
    }

    /** The thread's current CPU. Owner CPU only. */
    public int cpuPlain() {
        return (int) CPU.get(this);
    }

    /**
     * Moves the thread's home. The source CPU of a migration (8.7.2 part B: "set new processor
     * number", after barrier =2), or at creation.
     */
    public void setCpuRelease(int cpu) {
        CPU.setRelease(this, cpu);
    }

    /** The proxy of this thread's cross-processor send, or {@code null}. Any CPU. */
    public Tcb proxyAcquire() {
        return (Tcb) PROXY.getAcquire(this);
    }

    /** Sets or clears the proxy pointer. The sender's CPU (set) or the proxy's (clear). */
    public void setProxyRelease(Tcb p) {
        PROXY.setRelease(this, p);
    }

    /** The completion of the last cross-processor send. Any CPU. */
    public XpCompletion xpCcAcquire() {
        return (XpCompletion) XP_CC.getAcquire(this);
    }

    /** Writes the completion (the proxy, on the receiver's CPU, 8.4.1). */
    public void setXpCcRelease(XpCompletion code) {
        XP_CC.setRelease(this, code);
    }

    /**
     * Records that a thread is about to wait in a closed receive from this one. The receiver's
     * CPU, before it publishes the wait (its WAIT_FOR word, its state) and before its full fence
     * (the Dekker pair with the end of this thread, see ThreadLifecycle).
     */
    public void markAwaitedVolatile() {
        if (!(boolean) AWAITED.getOpaque(this)) {
            AWAITED.setVolatile(this, true);
        }
    }

    /** Whether a thread ever waited in a closed receive from this one. Any CPU (after a full fence). */
    public boolean awaitedVolatile() {
        return (boolean) AWAITED.getVolatile(this);
    }

    /** Records a redirection (any CPU, under this thread's TCB lock, before the WAIT_FOR word's CAS). */
    public void setRedirectedRelease(long v) { REDIRECTED.setRelease(this, v); }
    /** The last redirection recorded (owner CPU, after it read the WAIT_FOR word). */
    public long redirectedAcquire() { return (long) REDIRECTED.getAcquire(this); }

    /** The thread state. Owner CPU only. */
    public ThreadState state() {
        return (ThreadState) STATE.get(this);
    }

    /** The thread state, read by another CPU's scan over every thread (no ordering). Any CPU. */
    public ThreadState stateOpaque() {
        return (ThreadState) STATE.getOpaque(this);
    }

    /**
     * Sets the thread state (an opaque store, for {@link #stateOpaque()}); uncharged: the
     * caller charges the STATE word where the thesis's kernel writes it. Owner CPU only.
     */
    public void setState(ThreadState s) {
        STATE.setOpaque(this, s);
    }

    // ---- local accessors: the owner CPU only (plain) -------------------------------------------

    // ---- local: scheduling ---------------------------------------------------------------------------
    public int priority() { return priority; }
    public void setPriority(int v) { priority = v; }
    public int mcp() { return mcp; }
    public void setMcp(int v) { mcp = v; }
    public long timeslice() { return timeslice; }
    public void setTimeslice(long v) { timeslice = v; }
    public long remainingTimeslice() { return remainingTimeslice; }
    public void setRemainingTimeslice(long v) { remainingTimeslice = v; }
    public Tcb readyNext() { return readyNext; }
    public void setReadyNext(Tcb v) { readyNext = v; }
    public Tcb readyPrev() { return readyPrev; }
    public void setReadyPrev(Tcb v) { readyPrev = v; }
    public boolean inReadyList() { return inReadyList; }
    public void setInReadyList(boolean v) { inReadyList = v; }
    public int wakeupIndex() { return wakeupIndex; }
    public void setWakeupIndex(int v) { wakeupIndex = v; }
    public long wakeupTime() { return wakeupTime; }
    public void setWakeupTime(long v) { wakeupTime = v; }

    // ---- local: IPC ----------------------------------------------------------------------------------
    public Tcb partner() { return partner; }
    public void setPartner(Tcb v) { partner = v; }
    public ThreadId receiveFrom() { return receiveFrom; }
    public void setReceiveFrom(ThreadId v) { receiveFrom = v; }
    public Tcb sendQueueHead() { return sendQueueHead; }
    public void setSendQueueHead(Tcb v) { sendQueueHead = v; }
    public Tcb sendQueueTail() { return sendQueueTail; }
    public void setSendQueueTail(Tcb v) { sendQueueTail = v; }
    public Tcb sendNext() { return sendNext; }
    public void setSendNext(Tcb v) { sendNext = v; }
    public Tcb sendPrev() { return sendPrev; }
    public void setSendPrev(Tcb v) { sendPrev = v; }
    public boolean inSendQueue() { return inSendQueue; }
    public void setInSendQueue(boolean v) { inSendQueue = v; }
    public boolean waitPublished() { return waitPublished; }
    public void setWaitPublished(boolean v) { waitPublished = v; }
    public Mailbox xpMailbox() { return xpMailbox; }
    /** Whether this is a proxy (a mailbox's kernel thread); the dispatcher's inlinable test (see IpcPath.hasXp). */
    public boolean hasXpMailbox() { return xpMailbox != null; }
    public void setXpMailbox(Mailbox v) { xpMailbox = v; }
    public KernelResume kernelResume() { return kernelResume; }
    public void setKernelResume(KernelResume v) { kernelResume = v; }
    public Mailbox pendingReturn() { return pendingReturn; }
    public void setPendingReturn(Mailbox v) { pendingReturn = v; }
    public boolean receiveCancelPending() { return receiveCancelPending; }
    public void setReceiveCancelPending(boolean v) { receiveCancelPending = v; }
    public int mailboxWaitCpu() { return mailboxWaitCpu; }
    public void setMailboxWaitCpu(int v) { mailboxWaitCpu = v; }
    public boolean mailboxWaitForReply() { return mailboxWaitForReply; }
    public void setMailboxWaitForReply(boolean v) { mailboxWaitForReply = v; }
    public Tcb mailboxWaitNext() { return mailboxWaitNext; }
    public void setMailboxWaitNext(Tcb v) { mailboxWaitNext = v; }
    public Tcb mailboxWaitPrev() { return mailboxWaitPrev; }
    public void setMailboxWaitPrev(Tcb v) { mailboxWaitPrev = v; }
    public Mailbox mailboxHandoff() { return mailboxHandoff; }
    public void setMailboxHandoff(Mailbox v) { mailboxHandoff = v; }

    // ---- local: the system call in progress ----------------------------------------------------------
    public int trap() { return trap; }
    public void setTrap(int v) { trap = v; }
    public ThreadId sysTo() { return sysTo; }
    public void setSysTo(ThreadId v) { sysTo = v; }
    public ThreadId sysFrom() { return sysFrom; }
    public void setSysFrom(ThreadId v) { sysFrom = v; }
    public int sysTag() { return sysTag; }
    public void setSysTag(int v) { sysTag = v; }
    public long sysSendTimeout() { return sysSendTimeout; }
    public void setSysSendTimeout(long v) { sysSendTimeout = v; }
    public long sysReceiveTimeout() { return sysReceiveTimeout; }
    public void setSysReceiveTimeout(long v) { sysReceiveTimeout = v; }
    public SyscallArgument sysArgument() { return sysArgument; }
    public void setSysArgument(SyscallArgument v) { sysArgument = v; }
    public SyscallResult sysResult() { return sysResult; }
    public void setSysResult(SyscallResult v) { sysResult = v; }
    public int sysResultWord() { return sysResultWord; }
    public void setSysResultWord(int v) { sysResultWord = v; }

    // ---- local: UTCB ---------------------------------------------------------------------------------
    public long xferTimeoutSend() { return xferTimeoutSend; }
    public void setXferTimeoutSend(long v) { xferTimeoutSend = v; }
    public long xferTimeoutReceive() { return xferTimeoutReceive; }
    public void setXferTimeoutReceive(long v) { xferTimeoutReceive = v; }
    public int resultTag() { return resultTag; }
    public void setResultTag(int v) { resultTag = v; }
    public ThreadId resultFrom() { return resultFrom; }
    public void setResultFrom(ThreadId v) { resultFrom = v; }
    public int errorCode() { return errorCode; }
    public void setErrorCode(int v) { errorCode = v; }
    public int xpPartnerProcessor() { return xpPartnerProcessor; }
    public void setXpPartnerProcessor(int v) { xpPartnerProcessor = v; }
    public long userHandle() { return userHandle; }
    public void setUserHandle(long v) { userHandle = v; }
    public ThreadId virtualActualSender() { return virtualActualSender; }
    public void setVirtualActualSender(ThreadId v) { virtualActualSender = v; }
    public Tcb sysVirtualSender() { return sysVirtualSender; }
    public void setSysVirtualSender(Tcb v) { sysVirtualSender = v; }

    // ---- local: registers exchange-registers reads and writes ----------------------------------------
    public long ip() { return ip; }
    public void setIp(long v) { ip = v; }
    public long sp() { return sp; }
    public void setSp(long v) { sp = v; }
    public long flags() { return flags; }
    public void setFlags(long v) { flags = v; }
    public ThreadId pager() { return pager; }
    public void setPager(ThreadId v) { pager = v; }
    public boolean halted() { return halted; }
    public void setHalted(boolean v) { halted = v; }
    public java.util.concurrent.Callable<?> entry() { return entry; }
    public void setEntry(java.util.concurrent.Callable<?> v) { entry = v; }
    /** Created without a program and not yet given one: it cannot run. */
    public boolean inactive() { return entry == null; }

    // ---- local: hardware -----------------------------------------------------------------------------
    public int hardwareLine() { return hardwareLine; }
    public void setHardwareLine(int v) { hardwareLine = v; }
    public boolean irqInService() { return irqInService; }
    public void setIrqInService(boolean v) { irqInService = v; }
    public long irqPending() { return irqPending; }
    public void setIrqPending(long v) { irqPending = v; }
    public boolean fpuUsed() { return fpuUsed; }
    public void setFpuUsed(boolean v) { fpuUsed = v; }

    // ---- local: simulated memory and the address space -----------------------------------------------
    public long kernelAddress() { return kernelAddress; }
    public void setKernelAddress(long v) { kernelAddress = v; }
    public long kernelGlobalAddress() { return kernelGlobalAddress; }
    public void setKernelGlobalAddress(long v) { kernelGlobalAddress = v; }
    public long utcbAddress() { return utcbAddress; }
    public void setUtcbAddress(long v) { utcbAddress = v; }
    public AddressSpace space() { return space; }
    public void setSpace(AddressSpace v) { space = v; }
    public FaultState fault() { return fault; }
    public void setFault(FaultState v) { fault = v; }

    // ---- local: execution ----------------------------------------------------------------------------
    public ThreadHost runningOn() { return runningOn; }
    public void setRunningOn(ThreadHost v) { runningOn = v; }
    public L4ThreadIdentity identity() { return identity; }
    public void setIdentity(L4ThreadIdentity v) { identity = v; }
    public Throwable failure() { return failure; }
    public void setFailure(Throwable v) { failure = v; }

    @Override
    public String toString() {
        return name + "(" + id + ")";
    }
}
