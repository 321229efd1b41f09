package l4smp.kernel.api;

import l4smp.emulator.cache.AccessKind;
import l4smp.emulator.cpu.Cpu;
import l4smp.kernel.KernelCpu;
import l4smp.kernel.KernelTraps;
import l4smp.kernel.SpaceControlPath;
import l4smp.kernel.Syscall;
import l4smp.kernel.ThreadControlRequests;
import l4smp.kernel.ThreadSpec;
import l4smp.kernel.UserProgram;
import l4smp.kernel.ipc.Abi;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.ipc.Timeout;
import l4smp.kernel.ipc.TypedItems;
import l4smp.kernel.irq.InterruptThreads;
import l4smp.kernel.user.Sigma0;
import l4smp.kernel.thread.L4ThreadIdentity;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.ThreadId;

/**
 * The user-level API of l4smp, in the style of the L4 X.2 convenience interface: static methods
 * called from inside an L4 thread's program.
 *
 * <p>Every call is a preemption point: when an interrupt is due on the thread's CPU, the thread
 * traps into the kernel (which takes the interrupt) before the call proceeds. System calls
 * ({@link #ipc}, {@link #threadSwitch}) trap always: the arguments go to the thread's UTCB and
 * "registers", and the user continuation yields to the CPU's dispatcher, which runs the kernel
 * path.
 *
 * <p>Arguments that cannot be encoded in the X.2 registers (a negative timeout, a message
 * register index out of 1..63, more than 63 words) are refused before the trap with an
 * {@link IllegalArgumentException} that names the problem; errors the kernel detects (a stale
 * thread id, a timeout) come back as IPC error codes ({@link #errorCode()}).
 *
 * <p>Thread contract: from an L4 thread only (else {@link IllegalStateException}).
 */
public final class L4 {

    private L4() {
    }

    /**
     * The kernel CPU the calling L4 thread runs on. In parallel mode the running thread's own
     * identity names its TCB, and the TCB the CPU it runs on ({@link KernelCpu#of}, which its
     * kernel exit set): the same CPU {@link Cpu#current} finds through the identity
     * ({@code runningCpu}) and its dispatcher, reached in two dependent loads instead of five and
     * a type check (every message-register access makes this lookup).
     */
    private static KernelCpu kernelCpu() {
        if (Thread.currentThread() instanceof L4ThreadIdentity me) {
            return KernelCpu.of(me.tcb);
        }
        Cpu cpu = Cpu.current();
        if (cpu == null || !(cpu.dispatcher() instanceof KernelCpu k)) {
            throw new IllegalStateException("L4 called outside an L4 thread");
        }
        return k;
    }

    /**
     * The calling L4 thread's TCB: in parallel mode its own identity's, else the running thread
     * of the host thread's CPU. {@code KernelCpu.of(self())} is then its CPU, as
     * {@link #kernelCpu}, in one load fewer than {@code kernelCpu().current()} (the calls of
     * every round trip -- message registers, the clock -- take the TCB first).
     */
    private static Tcb self() {
        if (Thread.currentThread() instanceof L4ThreadIdentity me) {
            return me.tcb; // parallel mode: the running thread's own identity (see GuestThread)
        }
        Tcb t = kernelCpu().current();
        if (t == null) {
            throw new IllegalStateException("L4 called outside an L4 thread");
        }
        return t;
    }

    /** Quantum of {@link #compute}: a long computation checks for interrupts this often. */
    private static final long COMPUTE_QUANTUM = 1000;

    // ---- identity and machine -------------------------------------------------------------

    /** The calling thread's id. */
    public static ThreadId myself() {
        return self().id;
    }

    /**
     * The calling thread's local id (X.2 {@code L4_MyLocalId}): valid as an IPC partner for the
     * threads of its address space ({@link ThreadId#isLocal}).
     */
    public static ThreadId myLocalId() {
        return ThreadId.local(self().id.number());
    }

    /**
     * The global id of {@code id} (X.2 {@code L4_GlobalIdOf}): a local id of a thread of the
     * caller's address space becomes that thread's global id; a global id comes back as it is.
     * Calls that take only global ids (Schedule, as Pistachio's {@code SYS_SCHEDULE}) need it for
     * an id that {@link #from()} gave as a local id.
     */
    public static ThreadId globalId(ThreadId id) {
        if (id == null) {
            throw new IllegalArgumentException("thread id must not be null");
        }
        return LocalIds.resolve(self(), id);
    }

    /**
     * The calling thread's processor number as the UTCB publishes it: 1..k in the thesis ABI
     * (section 7.2), 0..k-1 in the X.2 ABI (X.2 UTCB ProcessorNo), where k is the number of
     * processors that came up (8.2). Read-only.
     */
    public static int processorNumber() {
        KernelCpu k = kernelCpu();
        return k.kernel().config().abi().userProcessor(k.processorNumber() - 1); // the boot's numbering (8.2)
    }

    /** The system-call ABI of the kernel the caller runs on (see {@link Abi}). */
    public static Abi abi() {
        return kernelCpu().kernel().config().abi();
    }

    /**
     * {@code tag} with this ABI's request to abort the IPC if it would cross processors (design
     * decision 4): send-tag bit 12 in the thesis ABI, the send tag's X bit in the X.2 ABI.
     */
    public static int abortIfCross(int tag) {
        return tag | abi().abortIfCrossFlag();
    }

    /**
     * The typed-word count t of result tag {@code tag} in this ABI: in the thesis ABI a crossed
     * message with t &lt; 32 carries the crossed bit in t's top bit (bit 11), which this reads
     * past; in X.2 bits 6..11.
     */
    public static int typedWords(int tag) {
        return abi().typed(tag);
    }

    /** Schedule's processor value that leaves the thread where it is: 0 (thesis) or -1 (~0, X.2). */
    public static int noMigration() {
        return abi().noMigration();
    }

    /**
     * The processor number this ABI gives the {@code index}-th processor that came up at boot
     * (0..k-1): {@code index + 1} in the thesis ABI, {@code index} in the X.2 ABI.
     */
    public static int processorOfIndex(int index) {
        return abi().userProcessor(index);
    }

    /** The index (0..k-1) of the processor that this ABI numbers {@code number}. */
    public static int indexOfProcessor(int number) {
        return abi().logicalProcessor(number);
    }

    /** The caller's processor in the kernel's numbering (1..k), whatever the ABI. */
    private static int kernelProcessorNumber() {
        return kernelCpu().processorNumber();
    }

    /** The simulated cycle counter of the calling thread's CPU (the time-stamp counter). */
    public static long clock() {
        Tcb self = self();
        KernelCpu k = KernelCpu.of(self).preemptionPoint(self);
        return k.cpu().clock();
    }

    /** Simulated cycles of {@code micros} microseconds on this machine's clock. */
    public static long micros(double micros) {
        if (!(micros >= 0)) {
            throw new IllegalArgumentException("a duration must be >= 0 microseconds, got " + micros);
        }
        return kernelCpu().cpu().cost().microsToCycles(micros);
    }

    /** Executes {@code cycles} cycles of computation (charged to the CPU's clock). */
    public static void compute(long cycles) {
        if (cycles < 0) {
            throw new IllegalArgumentException("compute cycles must be >= 0, got " + cycles);
        }
        Tcb self = self();
        KernelCpu k = KernelCpu.of(self).preemptionPoint(self);
        Cpu cpu = k.cpu();
        while (cycles > 0) {
            // Stop at the next tick or timeout, and at least every quantum, so that an interrupt
            // or a timer event is taken near its simulated time (and, in deterministic mode, so
            // the other CPUs interleave with a long computation).
            long room = Math.min(k.deadline(), cpu.nextInterruptArrival()) - cpu.clock();
            long step = Math.min(cycles, Math.min(COMPUTE_QUANTUM, Math.max(room, 1)));
            cpu.advance(step);
            cycles -= step;
            k = k.preemptionPoint(self);
            cpu = k.cpu(); // the thread may have moved while trapped
            cpu.interleave();
        }
    }

    // ---- message registers ------------------------------------------------------------------

    /**
     * Message register {@code i} (0..63). MR0 is the message tag: after an IPC the result tag
     * (as {@link #ipc} returns it), before one the tag to send when it is loaded with
     * {@link #setMr setMr(0, tag)} for the register forms ({@link #ipc(ThreadId, ThreadId, long, long)},
     * {@link #send(ThreadId)}, {@link #call(ThreadId)}, {@link #replyWait(ThreadId)}).
     */
    public static long mr(int i) {
        checkMr(i, 0);
        Tcb self = self();
        KernelCpu.of(self).preemptionPoint(self);
        return self.mr[i];
    }

    /**
     * Sets message register {@code i} (0..63), as X.2's {@code L4_LoadMR}: MR0 is the tag the
     * register forms of IPC send (a 32-bit word: sign- or zero-extended).
     */
    public static void setMr(int i, long value) {
        checkMr(i, 0);
        Tcb self = self();
        KernelCpu.of(self).preemptionPoint(self);
        self.mr[i] = value;
    }

    private static void checkMr(int i, int lowest) {
        if (i < lowest || i >= MsgTag.MESSAGE_REGISTERS) {
            throw new IllegalArgumentException("message register index must be " + lowest + ".."
                    + (MsgTag.MESSAGE_REGISTERS - 1) + ", got " + i);
        }
    }

    /** Sets buffer register {@code i} (0..33): BR0 the acceptor, then string buffers. */
    public static void setBr(int i, long value) {
        if (i < 0 || i >= TypedItems.BUFFER_REGISTERS) {
            throw new IllegalArgumentException("buffer register index must be 0.."
                    + (l4smp.kernel.ipc.TypedItems.BUFFER_REGISTERS - 1) + ", got " + i);
        }
        self().br[i] = value;
    }

    /**
     * Sets the transfer timeouts (X.2's XferTimeouts): the longest a string transfer may take
     * when this thread sends, and when it receives (cycles, or {@link Timeout#NEVER}).
     */
    public static void setXferTimeouts(long whenSending, long whenReceiving) {
        if (!Timeout.isValid(whenSending) || !Timeout.isValid(whenReceiving)) {
            throw new IllegalArgumentException("transfer timeouts must be >= 0 cycles (or Timeout.NEVER), got "
                    + whenSending + ", " + whenReceiving);
        }
        Tcb self = self();
        self.setXferTimeoutSend(whenSending);
        self.setXferTimeoutReceive(whenReceiving);
    }

    /** Stores {@code bytes} at {@code address} of the (flat) user space, charged as writes. */
    public static void writeBytes(long address, byte[] bytes) {
        KernelCpu k = kernelCpu();
        if (k.current().space() != null) {
            SpaceAccess.writeBytes(k.current(), address, bytes); // through the MMU (address spaces)
            return;
        }
        checkUserRange(k, address, bytes.length);
        k.cpu().machine().physicalMemory().writeBytesPlain(address, bytes, 0, bytes.length);
        int line = k.cpu().cost().lineBytes();
        for (long a = address - address % line; a < address + bytes.length; a += line) {
            k.cpu().touch(a, AccessKind.WRITE);
        }
        k.preemptionPoint(k.current()); // last use of k
    }

    /** Loads {@code length} bytes from {@code address} of the (flat) user space, charged as reads. */
    public static byte[] readBytes(long address, int length) {
        KernelCpu k = kernelCpu();
        if (k.current().space() != null) {
            return SpaceAccess.readBytes(k.current(), address, length); // through the MMU (address spaces)
        }
        checkUserRange(k, address, length);
        int line = k.cpu().cost().lineBytes();
        for (long a = address - address % line; a < address + length; a += line) {
            k.cpu().touch(a, AccessKind.READ);
        }
        byte[] out = new byte[length];
        k.cpu().machine().physicalMemory().readBytesPlain(address, out, 0, length);
        k.preemptionPoint(k.current());
        return out;
    }

    private static void checkUserRange(KernelCpu k, long address, int length) {
        long limit = k.cpu().machine().kernelRegion().base();
        if (address < 0 || length < 0 || address + length > limit) {
            throw new IllegalArgumentException("user memory is 0..0x" + Long.toHexString(limit) + "; access of "
                    + length + " bytes at 0x" + Long.toHexString(address) + " is outside it");
        }
    }

    /**
     * The sender of the last received message. In the X.2 ABI a sender of the receiver's own
     * address space is named by its local id, as Pistachio returns it ({@code ipc.cc}: "if
     * current->get_space() == from_tcb->get_space() return_ipc(from_tcb->get_local_id())");
     * the thesis ABI always names the global id.
     */
    public static ThreadId from() {
        Tcb self = self();
        return LocalIds.asSeenBy(self, self.resultFrom());
    }

    /**
     * {@code tag} with this ABI's request for propagation (X.2 "Ipc", propagation): X.2's p bit
     * (bit 12) in the X.2 ABI, bit 13 in the thesis ABI, whose bit 12 asks to abort a
     * cross-processor IPC. The message goes out on behalf of the thread named by
     * {@link #setVirtualSender}; see {@code Propagation} for when the kernel propagates.
     */
    public static int propagate(int tag) {
        return tag | abi().propagatedFlag();
    }

    /** Whether received tag {@code tag} reports a propagated message (this ABI's p bit). */
    public static boolean isPropagated(int tag) {
        return (tag & abi().propagatedFlag()) != 0;
    }

    /**
     * Writes X.2's VirtualSender (the UTCB's VirtualSender/ActualSender word): the thread a
     * propagating send ({@link #propagate}) goes out on behalf of. A local id names a thread of
     * the caller's space.
     */
    public static void setVirtualSender(ThreadId virtualSender) {
        if (virtualSender == null) {
            throw new IllegalArgumentException("virtual sender must not be null (use ThreadId.NIL)");
        }
        Tcb self = self();
        self.setVirtualActualSender(LocalIds.resolve(self, virtualSender));
    }

    /**
     * X.2's ActualSender (the UTCB's VirtualSender/ActualSender word): after a propagated message
     * arrived ({@link #isPropagated}), the global id of the thread that sent it, while
     * {@link #from()} names the virtual sender.
     */
    public static ThreadId actualSender() {
        return self().virtualActualSender();
    }

    /** The UTCB error-code word of the last IPC ({@code code << 1 | phase}; 0 = none). */
    public static int errorCode() {
        return self().errorCode();
    }

    /**
     * The partner's processor number (1..k in the thesis ABI, 0..k-1 in X.2's) after a send that
     * asked to abort in the cross-processor case ({@link #abortIfCross}) failed with error 7
     * (thesis 7.2, design decision 4); the UTCB word at {@link Utcb#XP_PARTNER_PROCESSOR_OFFSET}.
     */
    public static int xpPartnerProcessor() {
        return abi().userProcessor(self().xpPartnerProcessor() - 1);
    }

    // ---- IPC ---------------------------------------------------------------------------------

    /**
     * The IPC system call: a send phase to {@code to} (unless nil), then a receive phase from
     * {@code from} (nil: none; {@link ThreadId#ANY}: open; else closed), atomically. The message
     * is {@code tag} plus MR1..MR{u}. Returns the result tag; on failure its E flag is set and
     * {@link #errorCode()} says what happened.
     */
    public static int ipc(ThreadId to, ThreadId from, int tag, long sendTimeout, long receiveTimeout) {
        if (to == null || from == null) {
            throw new IllegalArgumentException("IPC partner ids must not be null (use ThreadId.NIL)");
        }
        if (!Timeout.isValid(sendTimeout) || !Timeout.isValid(receiveTimeout)) {
            throw new IllegalArgumentException("IPC timeouts must be >= 0 cycles (or Timeout.NEVER), got send "
                    + sendTimeout + ", receive " + receiveTimeout);
        }
        if (to.isAny()) {
            throw new IllegalArgumentException("cannot send to anythread");
        }
        if (MsgTag.untyped(tag) + MsgTag.typed(tag) > MsgTag.MESSAGE_REGISTERS - 1) {
            throw new IllegalArgumentException("message of " + MsgTag.untyped(tag) + " untyped and "
                    + MsgTag.typed(tag) + " typed words does not fit the " + (MsgTag.MESSAGE_REGISTERS - 1)
                    + " message registers");
        }
        Tcb self = self();
        ThreadId sysTo = LocalIds.resolve(self, to);
        ThreadId sysFrom = LocalIds.resolve(self, from);
        // A thread mostly calls the same partners: a reference store costs a GC barrier, so the
        // argument words are written only when they change.
        if (self.sysTo() != sysTo) {
            self.setSysTo(sysTo);
        }
        if (self.sysFrom() != sysFrom) {
            self.setSysFrom(sysFrom);
        }
        self.setSysTag(tag);
        self.setSysSendTimeout(sendTimeout);
        self.setSysReceiveTimeout(receiveTimeout);
        self.mr[0] = tag;
        KernelTraps.trap(self, Syscall.IPC);
        int result = self.resultTag();
        self.mr[0] = result; // MR0 holds the result tag after every IPC, as X.2's register
        return result;
    }

    /**
     * The IPC system call with the message tag in MR0, as L4 code issues it
     * ({@code L4_LoadMR(0, tag); L4_Ipc(to, from, timeouts, &from)}); see
     * {@link #ipc(ThreadId, ThreadId, int, long, long)}. MR0 must hold a 32-bit word.
     */
    public static int ipc(ThreadId to, ThreadId from, long sendTimeout, long receiveTimeout) {
        return ipc(to, from, tagInMr0(), sendTimeout, receiveTimeout);
    }

    /** Sends the message in MR0.. to {@code to}, waiting for it forever (X.2 {@code L4_Send(to)}). */
    public static int send(ThreadId to) {
        return ipc(to, ThreadId.NIL, tagInMr0(), Timeout.NEVER, Timeout.ZERO);
    }

    /** Calls {@code to} with the message in MR0.. (X.2 {@code L4_Call(to)}). */
    public static int call(ThreadId to) {
        return ipc(to, to, tagInMr0(), Timeout.NEVER, Timeout.NEVER);
    }

    /** Replies to {@code to} with the message in MR0.. and waits for any (X.2 {@code L4_ReplyWait}). */
    public static int replyWait(ThreadId to) {
        return ipc(to, ThreadId.ANY, tagInMr0(), Timeout.ZERO, Timeout.NEVER);
    }

    /** The tag loaded into MR0; refused, naming MR0, when it does not fit 32 bits. */
    private static int tagInMr0() {
        long mr0 = self().mr[0];
        if (mr0 < Integer.MIN_VALUE || mr0 > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("MR0 must hold a 32-bit message tag, got 0x" + Long.toHexString(mr0));
        }
        return (int) mr0;
    }

    /**
     * The IPC system call with X.2 timeouts ({@link X2Time}: relative periods m * 2^e us, time
     * points of the system clock, {@link X2Time#NEVER}, {@link X2Time#ZERO}) instead of cycle
     * counts: each is converted on the caller's CPU clock when the call starts. A value that is
     * not a 16-bit X.2 time is refused naming the timeout.
     */
    public static int ipcX2(ThreadId to, ThreadId from, int tag, int sendTime, int receiveTime) {
        if (!X2Time.isValid(sendTime) || !X2Time.isValid(receiveTime)) {
            throw new IllegalArgumentException("X.2 IPC timeouts are 16-bit times, got send 0x"
                    + Integer.toHexString(sendTime) + ", receive 0x" + Integer.toHexString(receiveTime));
        }
        KernelCpu k = kernelCpu();
        long now = k.cpu().clock();
        int mhz = k.cpu().cost().clockMhz();
        return ipc(to, from, tag, X2Time.cycles(sendTime, now, mhz), X2Time.cycles(receiveTime, now, mhz));
    }

    /**
     * The IPC system call with the 32-bit X.2 timeouts word: the send timeout in bits 16..31, the
     * receive timeout in bits 0..15 (Pistachio {@code timeout_t}: {@code rcv_timeout, snd_timeout}).
     */
    public static int ipcX2(ThreadId to, ThreadId from, int tag, int timeouts) {
        return ipcX2(to, from, tag, timeouts >>> 16, timeouts & 0xFFFF);
    }

    /** X.2 SystemClock: microseconds of the caller's CPU clock since the machine started. */
    public static long systemClock() {
        Tcb self = self();
        KernelCpu k = KernelCpu.of(self).preemptionPoint(self);
        return k.cpu().clock() / k.cpu().cost().clockMhz();
    }

    /** Sends to {@code to}, waiting for it forever. */
    public static int send(ThreadId to, int tag) {
        return ipc(to, ThreadId.NIL, tag, Timeout.NEVER, Timeout.ZERO);
    }

    /** Sends to {@code to}, waiting at most {@code timeout} cycles for it to receive. */
    public static int send(ThreadId to, int tag, long timeout) {
        return ipc(to, ThreadId.NIL, tag, timeout, Timeout.ZERO);
    }

    /** Receives from {@code from} ({@link ThreadId#ANY} for an open receive), waiting forever. */
    public static int receive(ThreadId from) {
        return ipc(ThreadId.NIL, from, 0, Timeout.ZERO, Timeout.NEVER);
    }

    /** Receives from {@code from}, waiting at most {@code timeout} cycles. */
    public static int receive(ThreadId from, long timeout) {
        return ipc(ThreadId.NIL, from, 0, Timeout.ZERO, timeout);
    }

    /**
     * Sleeps {@code cycles} simulated cycles: a receive from oneself, which nobody can satisfy,
     * with that timeout (as X.2's L4_Sleep). Returns false if something else ended the wait
     * early (an exchange-registers cancel).
     */
    public static boolean sleep(long cycles) {
        int tag = ipc(ThreadId.NIL, myself(), 0, Timeout.ZERO, cycles);
        return MsgTag.isError(tag) && IpcError.code(errorCode()) == IpcError.TIMEOUT;
    }

    /** Open receive: from any thread, waiting forever. */
    public static int waitAny() {
        return receive(ThreadId.ANY);
    }

    /** Call: sends to {@code to} and receives its reply, atomically (8.3.1), waiting forever. */
    public static int call(ThreadId to, int tag) {
        return ipc(to, to, tag, Timeout.NEVER, Timeout.NEVER);
    }

    /** Call with explicit timeouts. */
    public static int call(ThreadId to, int tag, long sendTimeout, long receiveTimeout) {
        return ipc(to, to, tag, sendTimeout, receiveTimeout);
    }

    /**
     * Reply and wait: replies to {@code to} with send timeout zero (a client that no longer
     * listens loses the reply, 8.3.1) and then receives from any thread, waiting forever.
     */
    public static int replyWait(ThreadId to, int tag) {
        return ipc(to, ThreadId.ANY, tag, Timeout.ZERO, Timeout.NEVER);
    }

    /** Reply and wait with an explicit receive timeout. */
    public static int replyWait(ThreadId to, int tag, long receiveTimeout) {
        return ipc(to, ThreadId.ANY, tag, Timeout.ZERO, receiveTimeout);
    }

    // ---- threads and the kernel interface ------------------------------------------------------

    /**
     * ThreadControl (create): a new thread on the caller's processor (thesis 7.2) running
     * {@code program}. Returns its id, or {@link ThreadId#NIL} with {@link #errorCode()} set
     * (8: out of memory, the thread table is full).
     */
    public static ThreadId createThread(String name, int priority, boolean daemon, UserProgram program) {
        ThreadSpec spec = new ThreadSpec(name, kernelProcessorNumber() - 1, priority, daemon, program);
        Tcb self = self();
        self.setSysArgument(spec);
        KernelTraps.trap(self, Syscall.THREAD_CONTROL);
        return (ThreadId) self.sysResult();
    }

    /**
     * ThreadControl (create) with a caller-chosen global id (X.2: the dest thread id, its thread
     * number and version): a new thread on the caller's processor, started with {@code program},
     * or inactive when {@code program} is null (it runs once {@link #startThread} gives it one).
     * {@code dest} nil lets the kernel choose (version 1). Returns its id, or
     * {@link ThreadId#NIL} with {@link #errorCode()} 2 (unavailable thread: not a user thread
     * number, or the number belongs to a live thread) or 8 (out of memory).
     */
    public static ThreadId createThread(ThreadId dest, String name, int priority, boolean daemon, UserProgram program) {
        if (dest == null || dest.isAny()) {
            throw new IllegalArgumentException("ThreadControl: dest must be a thread id or nilthread, got " + dest);
        }
        if (name == null) {
            throw new IllegalArgumentException("ThreadControl: name must not be null");
        }
        int cpu = processorNumber() - 1;
        ThreadSpec spec = program == null ? ThreadSpec.inactive(name, cpu, priority, daemon)
                : new ThreadSpec(name, cpu, priority, daemon, program);
        Tcb self = self();
        self.setSysArgument(new ThreadControlRequests.Create(dest, spec));
        KernelTraps.trap(self, Syscall.THREAD_CONTROL);
        return (ThreadId) self.sysResult();
    }

    /**
     * ThreadControl (delete): ends {@code thread}, on whichever processor it is (a thread on
     * another processor is deleted there, Pistachio's cross-CPU delete); its partners' IPCs fail
     * with "non-existing partner". Returns false with {@link #errorCode()} 2 (unavailable thread)
     * when it does not exist, or is the caller itself (a thread does not delete itself: X.2 /
     * Pistachio {@code sys_thread_control}; the caller goes on), and with 3 (invalid space) for a
     * local id: ThreadControl takes global ids only (X.2 ThreadControl's dest; Pistachio
     * {@code SYS_THREAD_CONTROL} refuses a dest that is not global with {@code EINVALID_SPACE}).
     */
    public static boolean deleteThread(ThreadId thread) {
        if (thread == null) {
            throw new IllegalArgumentException("thread id must not be null");
        }
        Tcb self = self();
        self.setSysArgument(null);
        self.setSysTo(thread);
        KernelTraps.trap(self, Syscall.THREAD_CONTROL);
        Object result = self.sysResult();
        return result instanceof ExchangeRegisters.Result r ? r.ok() : !((ThreadId) result).isNil();
    }

    /**
     * ExchangeRegisters (see {@link ExchangeRegisters} for the control bits). {@code dest} is a
     * global id, or a local id of a thread of the caller's space; the result names the target in
     * the other form (X.2 ExchangeRegisters; Pistachio {@code SYS_EXCHANGE_REGISTERS} returns
     * "is_local ? dst->get_global_id () : dst->get_local_id ()", which l4test's {@code exreg_g2l}
     * checks through {@code L4_GlobalIdOf} / {@code L4_LocalIdOf}). A local id exists in the X.2
     * ABI's naming only where the target shares the caller's space (as {@link #from()}): a global
     * {@code dest} of another space, or any in the thesis ABI, comes back global.
     */
    public static ExchangeRegisters.Result exchangeRegisters(ThreadId dest, int control, long sp, long ip,
                                                             long flags, long userHandle, ThreadId pager) {
        return exchangeRegisters(dest, control, sp, ip, flags, userHandle, pager, null);
    }

    /**
     * ExchangeRegisters with an entry program: with {@link ExchangeRegisters#SET_IP} it is the
     * continuation analogue of the thread's new instruction pointer. An inactive thread runs it
     * once resumed ({@link ExchangeRegisters#RESUME}); a thread that runs its program already
     * continues at it instead of where it entered the kernel last, when it next returns to user
     * mode (its continuation is dropped; an IPC it is in goes on unless R or S cancels it, as in
     * Pistachio's {@code perform_exregs}). The caller cannot give itself one (result nil,
     * {@link #errorCode()} 5, invalid parameter).
     */
    public static ExchangeRegisters.Result exchangeRegisters(ThreadId dest, int control, long sp, long ip,
                                                             long flags, long userHandle, ThreadId pager,
                                                             UserProgram entry) {
        if (dest == null) {
            throw new IllegalArgumentException("exchange-registers: destination id must not be null");
        }
        if ((control & ~ExchangeRegisters.ALL) != 0) {
            throw new IllegalArgumentException("exchange-registers: unknown control bits 0x"
                    + Integer.toHexString(control & ~ExchangeRegisters.ALL));
        }
        if (entry != null && (control & ExchangeRegisters.SET_IP) == 0) {
            throw new IllegalArgumentException("exchange-registers: an entry program needs the i bit (SET_IP)");
        }
        Tcb self = self();
        self.setSysArgument(new ExchangeRegisters.Request(LocalIds.resolve(self, dest), control, sp, ip, flags,
                userHandle, pager == null ? ThreadId.NIL : pager, entry == null ? null : () -> {
                    entry.run();
                    return null;
                }));
        KernelTraps.trap(self, Syscall.EXCHANGE_REGISTERS);
        ExchangeRegisters.Result r = (ExchangeRegisters.Result) self.sysResult();
        return r.ok() && !dest.isLocal() ? r.withThread(LocalIds.asSeenBy(self, r.thread())) : r;
    }

    /**
     * Starts the inactive thread {@code thread} with {@code program}: exchange-registers with i,
     * s and h (resume), as l4test's {@code start_thread} sets a new thread's instruction and
     * stack pointer. Returns the result (nil with {@link #errorCode()} 2 or 5 on failure).
     */
    public static ExchangeRegisters.Result startThread(ThreadId thread, UserProgram program) {
        if (program == null) {
            throw new IllegalArgumentException("startThread: program must not be null");
        }
        return exchangeRegisters(thread, ExchangeRegisters.SET_IP | ExchangeRegisters.SET_SP | ExchangeRegisters.RESUME,
                0, 0, 0, 0, ThreadId.NIL, program);
    }

    /** ExchangeRegisters that only reads the target's registers. */
    public static ExchangeRegisters.Result readRegisters(ThreadId dest) {
        return exchangeRegisters(dest, 0, 0, 0, 0, 0, ThreadId.NIL);
    }

    /**
     * Attaches the calling thread as the handler of interrupt line {@code line}: interrupts
     * arrive as IPC from {@code InterruptThreads.id(line)} (label 0xFFF0, no words); the
     * handler acknowledges each with an empty send to that id, e.g. by
     * {@code replyWait(irqId, 0)}. Returns the interrupt thread's id, or {@link ThreadId#NIL}
     * with {@link #errorCode()} 1 when another thread handles the line.
     */
    public static ThreadId attachInterrupt(int line) {
        ThreadId irq = InterruptThreads.id(line); // validates the line
        Tcb self = self();
        self.setSysArgument(new ThreadControlRequests.Attach(line));
        KernelTraps.trap(self, Syscall.THREAD_CONTROL);
        ThreadId result = (ThreadId) self.sysResult();
        return result.isNil() ? ThreadId.NIL : irq;
    }

    /**
     * Executes {@code cycles} cycles of floating-point work: the first FPU use after another
     * thread used this CPU's FPU traps and switches the FPU state (lazy FPU, thesis 2.4).
     */
    public static void fpuCompute(long cycles) {
        KernelCpu k = kernelCpu();
        Tcb self = k.current();
        k.useFpu(self);
        compute(cycles);
    }

    /** The kernel info page. */
    public static KernelInfoPage kernelInfo() {
        return kernelCpu().kernel().kernelInfoPage();
    }

    /** Reads the UTCB word at {@code offset} (see {@link Utcb}). */
    public static long utcbRead(int offset) {
        Tcb self = self();
        return switch (offset) {
            case Utcb.USER_HANDLE_OFFSET -> self.userHandle();
            case Utcb.PROCESSOR_NUMBER_OFFSET -> processorNumber();
            case Utcb.ERROR_CODE_OFFSET -> self.errorCode();
            case Utcb.XP_PARTNER_PROCESSOR_OFFSET -> xpPartnerProcessor();
            default -> throw new IllegalArgumentException("no UTCB field at offset " + offset);
        };
    }

    /** Writes the UTCB word at {@code offset}; read-only fields refuse with a clear error. */
    public static void utcbWrite(int offset, long value) {
        Utcb.checkWritable(offset);
        self().setUserHandle(value);
    }

    // ---- memory and address spaces (thesis 2.2; X.2) -------------------------------------------

    /**
     * Loads the 32-bit word at virtual address {@code va} (4-byte aligned) of the caller's space:
     * TLB, page walk, and on a missing or write-protected page a page fault, which the kernel
     * sends to the thread's pager as an IPC; the access is retried after the pager's reply.
     * {@link l4smp.kernel.space.UnresolvedPageFault} when no pager resolves it. A thread without
     * a space addresses physical memory (the flat space).
     */
    public static int load(long va) {
        Tcb self = self();
        KernelCpu.of(self).cpu().orderPoint(); // the translation reads page tables other CPUs change
        long pa = SpaceAccess.physical(self, va, false); // may trap: the CPU is looked up after it
        return KernelCpu.of(self).cpu().loadInt(pa);
    }

    /** Stores the 32-bit word at {@code va} (see {@link #load}). */
    public static void store(long va, int value) {
        Tcb self = self();
        KernelCpu.of(self).cpu().orderPoint(); // the translation reads page tables other CPUs change
        long pa = SpaceAccess.physical(self, va, true);
        KernelCpu.of(self).cpu().storeInt(pa, value);
    }

    /** {@code lock cmpxchg} on the word at {@code va}. */
    public static boolean cas(long va, int expect, int update) {
        Tcb self = self();
        KernelCpu.of(self).cpu().orderPoint(); // the translation reads page tables other CPUs change
        long pa = SpaceAccess.physical(self, va, true);
        return KernelCpu.of(self).cpu().casInt(pa, expect, update);
    }

    /** {@code xchg} on the word at {@code va}. */
    public static int xchg(long va, int value) {
        Tcb self = self();
        KernelCpu.of(self).cpu().orderPoint(); // the translation reads page tables other CPUs change
        long pa = SpaceAccess.physical(self, va, true);
        return KernelCpu.of(self).cpu().xchgInt(pa, value);
    }

    /** {@code lock xadd} on the word at {@code va}. */
    public static int fetchAdd(long va, int delta) {
        Tcb self = self();
        KernelCpu.of(self).cpu().orderPoint(); // the translation reads page tables other CPUs change
        long pa = SpaceAccess.physical(self, va, true);
        return KernelCpu.of(self).cpu().fetchAddInt(pa, delta);
    }

    /**
     * ThreadControl with a space specifier (X.2): creates a thread on the caller's processor in
     * a new address space ({@code spaceOf} = {@link ThreadId#NIL}) or in the space of thread
     * {@code spaceOf}, with {@code pager}. Returns its id, or {@link ThreadId#NIL} with
     * {@link #errorCode()} 2 (a stale id, or a thread without a space) or 8 (out of memory).
     */
    public static ThreadId threadControl(ThreadSpec spec, ThreadId spaceOf, ThreadId pager) {
        if (spec == null || spaceOf == null) {
            throw new IllegalArgumentException("thread spec and space specifier must not be null");
        }
        Tcb self = self();
        self.setSysArgument(new SpaceControlPath.Create(
                new ThreadSpec(spec.name(), kernelProcessorNumber() - 1, spec.priority(), spec.daemon(), spec.program()),
                spaceOf, pager));
        KernelTraps.trap(self, Syscall.SPACE_CONTROL);
        return (ThreadId) self.sysResult();
    }

    /**
     * Unmap (X.2): revokes the rights named in each flexpage MR0..MR{control & 0x3F} from every
     * mapping derived from the caller's, recursively, and with {@code control} bit 6 (flush) from
     * the caller's own; waits for the TLB shootdown. Each MR comes back with the reference bits
     * of the caller's pages (r = accessed, w = dirty).
     */
    public static void unmap(int control) {
        if ((control & ~0x7F) != 0) {
            throw new IllegalArgumentException("unmap control must be flush bit | count-1 (0..63), got 0x"
                    + Integer.toHexString(control));
        }
        Tcb self = self();
        self.setSysArgument(SpaceControlPath.UNMAP);
        self.setSysTag(control);
        KernelTraps.trap(self, Syscall.SPACE_CONTROL);
    }

    /** Unmaps one flexpage (with {@code own}: the caller's mappings too); returns it with its status bits. */
    public static long unmap(long fpage, boolean own) {
        Tcb self = self();
        long saved = self.mr[0];
        self.mr[0] = fpage;
        unmap(own ? SpaceControlPath.UNMAP_FLUSH : 0);
        long result = self.mr[0];
        self.mr[0] = saved;
        return result;
    }

    /**
     * Asks {@code sigma0} for the flexpage {@code fpage} ({@link l4smp.kernel.user.Sigma0#ANY_PAGE}
     * for any free frame) to be mapped at {@code va} of the caller's space (X.2 sigma0
     * protocol). Returns the flexpage received, or 0 (nil) when refused.
     */
    public static long sigma0Request(ThreadId sigma0, long fpage, long va) {
        int log2 = (int) (fpage >>> 4) & 0x3F;
        setBr(0, TypedItems.fpage(va, Math.max(12, log2), 7));
        setMr(1, fpage);
        setMr(2, 0);
        int tag = call(sigma0, MsgTag.make(Sigma0.REQUEST_LABEL, 2));
        if (MsgTag.isError(tag) || MsgTag.typed(tag) < 2) {
            return 0;
        }
        return mr(2);
    }

    // ---- scheduling ---------------------------------------------------------------------------

    /**
     * ThreadSwitch: gives the CPU to {@code to} (donating the rest of the timeslice) if it is
     * ready on this CPU; nil, or a thread on another CPU, lets the dispatcher choose (section 7).
     * {@code to} may be a local id of a thread of the caller's space (X.2 ThreadSwitch takes a
     * thread id, local or global): resolved to its global id before the trap, as for IPC
     * (Pistachio's {@code SYS_THREAD_SWITCH} donates to a dest whose global id it is).
     */
    public static void threadSwitch(ThreadId to) {
        Tcb self = self();
        self.setSysTo(to == null ? ThreadId.NIL : LocalIds.resolve(self, to));
        KernelTraps.trap(self, Syscall.THREAD_SWITCH);
    }

    /**
     * Schedule (X.2; thesis 7.2, 8.7): sets the priority ({@code priority} 0..255, -1 =
     * unchanged) and the timeslice ({@code timeslice} cycles, <= 0 = unchanged) of {@code dest},
     * and migrates it to processor {@code processorNumber} (thesis ABI: 1..k, 0 = stay; X.2 ABI:
     * 0..k-1, -1 = ~0 = stay, as Pistachio's {@code SYS_SCHEDULE} processor control). The caller's MCP
     * must cover both the target's priority and the new one. A thread that names itself is not
     * migrated (implementation decision 4: that part of the request is ignored). Returns the
     * target's old priority, or -1 with {@link #errorCode()} 1 (no privilege), 2 (unavailable
     * thread: gone, or kept busy by a cross-processor operation for longer than the kernel delays a
     * migration, about 1,000,000 cycles, thesis 8.5) or 5 (invalid parameter: a processor number
     * out of range, a priority above 255). The numbers are the boot's (8.2): a processor that did not
     * answer at boot has none, so k counts only the processors that came up and migration to a
     * masked one is refused with 5.
     */
    public static int schedule(ThreadId dest, int processorNumber, int priority, long timeslice) {
        if (dest == null) {
            throw new IllegalArgumentException("schedule: destination id must not be null");
        }
        Abi abi = abi();
        int logical = abi.logicalProcessor(processorNumber);
        // The kernel's numbering: 1..k, 0 = stay; a value out of range stays out of range (error 5).
        int kernelNumber = logical < 0 && processorNumber != abi.noMigration() ? -1 : logical + 1;
        Tcb self = self();
        self.setSysTo(dest);
        self.setSysTag(kernelNumber);
        self.setSysReceiveTimeout(priority);
        self.setSysSendTimeout(timeslice);
        self.setSysArgument(null);
        KernelTraps.trap(self, Syscall.SCHEDULE);
        return self.sysResultWord();
    }

    /** Migrates {@code dest} to processor {@code processorNumber} (the ABI's numbering), keeping its priority. */
    public static int migrate(ThreadId dest, int processorNumber) {
        return schedule(dest, processorNumber, -1, 0);
    }

    /**
     * Schedule with the X.0 parameter word the thesis gives (7.1): the processor number in bits
     * 16-19 (1..k; 0 = stay: the X.0 word counts as the thesis does in either ABI), the priority
     * in bits 0-7 when bit 8 is set (else unchanged).
     */
    public static int scheduleWord(ThreadId dest, int paramWord, long timeslice) {
        int processor = (paramWord >>> 16) & 0xF;
        int priority = (paramWord & 0x100) != 0 ? paramWord & 0xFF : -1;
        return schedule(dest, processor == 0 ? noMigration() : processorOfIndex(processor - 1), priority, timeslice);
    }

    /** ThreadSwitch to the dispatcher's choice. */
    public static void yieldCpu() {
        threadSwitch(ThreadId.NIL);
    }
}
