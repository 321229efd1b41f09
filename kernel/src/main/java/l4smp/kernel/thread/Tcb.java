package l4smp.kernel.thread;

import jdk.internal.vm.Continuation;
import jdk.internal.vm.ContinuationScope;
import l4smp.kernel.ipc.MsgTag;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A thread control block.
 *
 * <p>Thread contract (implementation decision 3): every field is owned by the thread's current
 * CPU and touched there only, with plain accesses, except the "global" fields that other CPUs
 * read: {@code myself} and {@code cpu}, read through {@link #myselfAcquire()} and
 * {@link #cpuAcquire()} and written with release stores.
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
    private static final VarHandle AWAITED;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            MYSELF = lookup.findVarHandle(Tcb.class, "myself", ThreadId.class);
            CPU = lookup.findVarHandle(Tcb.class, "cpu", int.class);
            PROXY = lookup.findVarHandle(Tcb.class, "proxy", Tcb.class);
            XP_CC = lookup.findVarHandle(Tcb.class, "xpCc", int.class);
            AWAITED = lookup.findVarHandle(Tcb.class, "awaited", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // ---- global (read across CPUs) ---------------------------------------------------------
    @SuppressWarnings("unused") private ThreadId myself;
    @SuppressWarnings("unused") private int cpu;

    /**
     * Global-modified (8.6): the proxy serving this thread's cross-processor send (set by the
     * sender on its CPU before it triggers the mailbox, cleared by the proxy on the receiver's
     * CPU, read there by the receiver once into a temporary, 8.3.5).
     */
    @SuppressWarnings("unused") private Tcb proxy;
    /** Global-modified (8.6, 8.4.1): the completion code of the last cross-processor send. */
    @SuppressWarnings("unused") private int xpCc;
    /**
     * Global, monotonic: some thread has waited, or waits, in a closed receive from this one (set
     * before the wait is published). A thread that was never awaited ends without looking for
     * waiters to fail: no walk of every thread at each thread's end.
     */
    @SuppressWarnings("unused") private boolean awaited;

    // ---- identity (immutable) ----------------------------------------------------------------
    public final ThreadId id;
    public final String name;
    public final boolean daemon;

    // ---- local: scheduling -------------------------------------------------------------------
    public ThreadState state = ThreadState.READY;
    public int priority;
    /**
     * The maximum controlled priority (X.2 MCP): {@code schedule} on a thread whose priority, or
     * to a priority, above it is refused. Set at creation (default: the thread's priority).
     */
    public int mcp;
    /** The total timeslice and what is left of it, in cycles. */
    public long timeslice;
    public long remainingTimeslice;
    /** Ready-list links (the scheduler's intrusive doubly-linked list). */
    public Tcb readyNext;
    public Tcb readyPrev;
    public boolean inReadyList;
    /** Wakeup-queue position (the CPU's binary heap), -1 when not queued. */
    public int wakeupIndex = -1;
    public long wakeupTime;

    // ---- local: IPC --------------------------------------------------------------------------
    /** The thread this one sends to (polling) or receives from (closed receive). */
    public Tcb partner;
    /** The receive specifier of the current receive phase: NIL (none), ANY, or a thread. */
    public ThreadId receiveFrom = ThreadId.NIL;
    /** This thread's send queue: threads polling to send to it (intrusive FIFO). */
    public Tcb sendQueueHead;
    public Tcb sendQueueTail;
    /** Links in the send queue of the thread it polls to send to. */
    public Tcb sendNext;
    public Tcb sendPrev;
    public boolean inSendQueue;

    // ---- local: the system call in progress (the "registers" of the trap) ------------------
    public int trap;
    public ThreadId sysTo = ThreadId.NIL;
    public ThreadId sysFrom = ThreadId.NIL;
    public int sysTag;
    public long sysSendTimeout;
    public long sysReceiveTimeout;

    // ---- UTCB --------------------------------------------------------------------------------
    /** Message registers MR0..MR63; MR0 mirrors the tag. */
    public final long[] mr = new long[MsgTag.MESSAGE_REGISTERS];
    /** Buffer registers BR0..BR33 (BR0: the acceptor; then string buffers). */
    public final long[] br = new long[l4smp.kernel.ipc.TypedItems.BUFFER_REGISTERS];
    /** The transfer timeouts (X.2's XferTimeouts word): when sending and when receiving. */
    public long xferTimeoutSend = l4smp.kernel.ipc.Timeout.NEVER;
    public long xferTimeoutReceive = l4smp.kernel.ipc.Timeout.NEVER;
    /** The result tag of the last IPC (with the E flag on error). */
    public int resultTag;
    /** The sender of the last received message. */
    public ThreadId resultFrom = ThreadId.NIL;
    /** The UTCB error-code word of the last IPC. */
    public int errorCode;

    // ---- cross-processor IPC (local to the thread's CPU unless said) -------------------------
    /** For a proxy thread (8.4): the mailbox it serves; {@code null} for every other thread. */
    public l4smp.kernel.xcpu.Mailbox xpMailbox;
    /** A kernel path to finish when the dispatcher next picks this thread ({@code RESUME_...}). */
    public int kernelResume;
    /** The reply mailbox to consume (with {@code RESUME_XP_RETURN}). */
    public l4smp.kernel.xcpu.Mailbox pendingReturn;
    /**
     * The partner's processor number (1..k) returned by a cross-processor send aborted on
     * request (design decision 4, section 7.2); 0 otherwise. UTCB, read-only for the user.
     */
    public int xpPartnerProcessor;
    /** This thread published a receive specifier in its WAIT_FOR word. */
    public boolean waitPublished;
    /**
     * A cross-processor send that found no free mailbox (8.3.4) waits in its CPU's FIFO of
     * mailbox waiters for this destination CPU; -1 when it does not wait. With
     * {@link #mailboxHandoff} null it is linked in that FIFO ({@link #mailboxWaitNext},
     * {@link #mailboxWaitPrev}); with a handoff it was unlinked and owns that mailbox. Owner CPU.
     */
    public int mailboxWaitCpu = -1;
    /** The waiting send's receiver waits for exactly this thread (it may take the reply mailbox). */
    public boolean mailboxWaitForReply;
    public Tcb mailboxWaitNext;
    public Tcb mailboxWaitPrev;
    /** The mailbox a release handed to this waiter (claimed for it, busy), or null. Owner CPU. */
    public l4smp.kernel.xcpu.Mailbox mailboxHandoff;

    // ---- registers exchange-registers reads and writes ------------------------------------
    /** Instruction and stack pointer, flags: opaque to the Java program, kept for the API. */
    public long ip;
    public long sp;
    public long flags;
    /** The user-defined handle (UTCB). */
    public long userHandle;
    /** The thread's pager. */
    public ThreadId pager = ThreadId.NIL;
    /** Halted by exchange-registers: not scheduled until resumed. */
    public boolean halted;
    /** The argument and result of a thread-control or exchange-registers call in progress. */
    public Object sysArgument;
    public Object sysResult;

    // ---- hardware (interrupt) threads --------------------------------------------------------
    /** The interrupt line this TCB stands for, or -1 for a user thread. */
    public int hardwareLine = -1;
    /** An interrupt of this line was delivered and not yet acknowledged by the handler. */
    public boolean irqInService;
    /** Interrupts raised while in service, delivered one by one after each acknowledgement. */
    public long irqPending;

    // ---- FPU ------------------------------------------------------------------------------------
    /** The thread has FPU state (it used the FPU at least once). */
    public boolean fpuUsed;

    // ---- simulated memory ------------------------------------------------------------------------
    /**
     * The TCB's base address in the kernel region: a field at {@link TcbLayout} offset {@code o}
     * lies at {@code kernelAddress + o} when {@code o} is in the local part, else at
     * {@code kernelGlobalAddress + o} (the two parts are allocated separately; in the naive
     * layout both bases are equal).
     */
    public long kernelAddress;
    public long kernelGlobalAddress;
    /** The UTCB's base address: message register i is the 32-bit word at 4 * i. */
    public long utcbAddress;

    // ---- address space (thesis 2.2; the space issue) ----------------------------------------
    /** The thread's address space, or null for the flat identity-mapped space. */
    public l4smp.kernel.space.AddressSpace space;
    /** Its page-fault state (created at the first fault). Owner CPU. */
    public l4smp.kernel.space.FaultState fault;

    // ---- execution ---------------------------------------------------------------------------
    public final Continuation continuation;
    /**
     * The kernel CPU whose dispatcher runs this thread now ({@code KernelCpu}; set by it before it
     * resumes the continuation, on its own host thread). The thread's own code reads it after
     * every trap: a trap may end on another CPU (migration), and nothing looked up before the
     * trap may be used after it.
     */
    public Object runningOn;
    /** The thread's identity as the current host thread while it runs (created at its first run). */
    public L4ThreadIdentity identity;
    /** What the program threw, if it did. */
    public Throwable failure;

    public Tcb(ThreadId id, String name, int cpu, int priority, boolean daemon, Runnable body) {
        this.id = id;
        this.name = name;
        this.daemon = daemon;
        this.priority = priority;
        this.mcp = priority;
        this.continuation = new Continuation(USER_SCOPE, body);
        setCpuRelease(cpu);
        setMyselfRelease(id);
    }

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

    /**
     * Records that a thread is about to wait in a closed receive from this one. The receiver's
     * CPU, before it publishes the wait (its WAIT_FOR word, its state) and before its full fence
     * (the Dekker pair with the end of this thread, see Kernel.threadEnded).
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

    /** The completion code of the last cross-processor send. Any CPU. */
    public int xpCcAcquire() {
        return (int) XP_CC.getAcquire(this);
    }

    /** Writes the completion code (the proxy, on the receiver's CPU, 8.4.1). */
    public void setXpCcRelease(int code) {
        XP_CC.setRelease(this, code);
    }

    @Override
    public String toString() {
        return name + "(" + id + ")";
    }
}
