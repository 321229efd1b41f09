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

    private static KernelCpu kernelCpu() {
        Cpu cpu = Cpu.current();
        if (cpu == null || !(cpu.dispatcher() instanceof KernelCpu k)) {
            throw new IllegalStateException("L4 called outside an L4 thread");
        }
        return k;
    }

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
     * The calling thread's processor number as the UTCB publishes it (section 7.2): 1..k, where
     * k is the highest processor number. Read-only.
     */
    public static int processorNumber() {
        return kernelCpu().processorNumber(); // the boot's numbering (8.2)
    }

    /** The simulated cycle counter of the calling thread's CPU (the time-stamp counter). */
    public static long clock() {
        KernelCpu k = kernelCpu();
        k = k.preemptionPoint(k.current());
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
        KernelCpu k = kernelCpu();
        Tcb self = k.current();
        k = k.preemptionPoint(self);
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

    /** Message register {@code i} (1..63); MR0 is the tag of the last IPC. */
    public static long mr(int i) {
        checkMr(i, 0);
        KernelCpu k = kernelCpu();
        Tcb self = k.current();
        k.preemptionPoint(self);
        return self.mr[i];
    }

    /** Sets message register {@code i} (1..63). */
    public static void setMr(int i, long value) {
        checkMr(i, 1);
        KernelCpu k = kernelCpu();
        Tcb self = k.current();
        k.preemptionPoint(self);
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

    /** The sender of the last received message. */
    public static ThreadId from() {
        return self().resultFrom();
    }

    /** The UTCB error-code word of the last IPC ({@code code << 1 | phase}; 0 = none). */
    public static int errorCode() {
        return self().errorCode();
    }

    /**
     * The partner's processor number (1..k) after a send that asked to abort in the
     * cross-processor case ({@link MsgTag#XCPU_ABORT_FLAG}) failed with error 7 (thesis 7.2,
     * design decision 4); the UTCB word at {@link Utcb#XP_PARTNER_PROCESSOR_OFFSET}.
     */
    public static int xpPartnerProcessor() {
        return self().xpPartnerProcessor();
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
        self.setSysTo(to);
        self.setSysFrom(from);
        self.setSysTag(tag);
        self.setSysSendTimeout(sendTimeout);
        self.setSysReceiveTimeout(receiveTimeout);
        self.mr[0] = tag;
        KernelTraps.trap(self, Syscall.IPC);
        return self.resultTag();
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
        ThreadSpec spec = new ThreadSpec(name, processorNumber() - 1, priority, daemon, program);
        Tcb self = self();
        self.setSysArgument(spec);
        KernelTraps.trap(self, Syscall.THREAD_CONTROL);
        return (ThreadId) self.sysResult();
    }

    /**
     * ThreadControl (delete): ends {@code thread} (which must be on the caller's processor);
     * its partners' IPCs fail with "non-existing partner". Returns false with
     * {@link #errorCode()} 2 (unavailable thread) when it does not exist or is elsewhere.
     */
    public static boolean deleteThread(ThreadId thread) {
        if (thread == null) {
            throw new IllegalArgumentException("thread id must not be null");
        }
        Tcb self = self();
        self.setSysArgument(null);
        self.setSysTo(thread);
        KernelTraps.trap(self, Syscall.THREAD_CONTROL);
        return !((ThreadId) self.sysResult()).isNil();
    }

    /** ExchangeRegisters (see {@link ExchangeRegisters} for the control bits). */
    public static ExchangeRegisters.Result exchangeRegisters(ThreadId dest, int control, long sp, long ip,
                                                             long flags, long userHandle, ThreadId pager) {
        if (dest == null) {
            throw new IllegalArgumentException("exchange-registers: destination id must not be null");
        }
        if ((control & ~ExchangeRegisters.ALL) != 0) {
            throw new IllegalArgumentException("exchange-registers: unknown control bits 0x"
                    + Integer.toHexString(control & ~ExchangeRegisters.ALL));
        }
        Tcb self = self();
        self.setSysArgument(new ExchangeRegisters.Request(dest, control, sp, ip, flags, userHandle,
                pager == null ? ThreadId.NIL : pager));
        KernelTraps.trap(self, Syscall.EXCHANGE_REGISTERS);
        return (ExchangeRegisters.Result) self.sysResult();
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
            case Utcb.XP_PARTNER_PROCESSOR_OFFSET -> self.xpPartnerProcessor();
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
                new ThreadSpec(spec.name(), processorNumber() - 1, spec.priority(), spec.daemon(), spec.program()),
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
     */
    public static void threadSwitch(ThreadId to) {
        Tcb self = self();
        self.setSysTo(to == null ? ThreadId.NIL : to);
        KernelTraps.trap(self, Syscall.THREAD_SWITCH);
    }

    /**
     * Schedule (X.2; thesis 7.2, 8.7): sets the priority ({@code priority} 0..255, -1 =
     * unchanged) and the timeslice ({@code timeslice} cycles, <= 0 = unchanged) of {@code dest},
     * and migrates it to processor {@code processorNumber} (1..k; 0 = stay). The caller's MCP
     * must cover both the target's priority and the new one. A thread that names itself is not
     * migrated (implementation decision 4: that part of the request is ignored). Returns the
     * target's old priority, or -1 with {@link #errorCode()} 1 (no privilege), 2 (unavailable
     * thread: gone, or kept busy by a cross-processor operation for longer than the kernel delays a
     * migration, about 1,000,000 cycles, thesis 8.5) or 5 (invalid parameter: a processor number
     * above k, a priority above 255). The numbers are the boot's (8.2): a processor that did not
     * answer at boot has none, so k counts only the processors that came up and migration to a
     * masked one is refused with 5.
     */
    public static int schedule(ThreadId dest, int processorNumber, int priority, long timeslice) {
        if (dest == null) {
            throw new IllegalArgumentException("schedule: destination id must not be null");
        }
        Tcb self = self();
        self.setSysTo(dest);
        self.setSysTag(processorNumber);
        self.setSysReceiveTimeout(priority);
        self.setSysSendTimeout(timeslice);
        self.setSysArgument(null);
        KernelTraps.trap(self, Syscall.SCHEDULE);
        return self.sysResultWord();
    }

    /** Migrates {@code dest} to processor {@code processorNumber} (1..k), keeping its priority. */
    public static int migrate(ThreadId dest, int processorNumber) {
        return schedule(dest, processorNumber, -1, 0);
    }

    /**
     * Schedule with the X.0 parameter word the thesis gives (7.1): the processor number in bits
     * 16-19 (1..k; 0 = stay), the priority in bits 0-7 when bit 8 is set (else unchanged).
     */
    public static int scheduleWord(ThreadId dest, int paramWord, long timeslice) {
        int processor = (paramWord >>> 16) & 0xF;
        int priority = (paramWord & 0x100) != 0 ? paramWord & 0xFF : -1;
        return schedule(dest, processor, priority, timeslice);
    }

    /** ThreadSwitch to the dispatcher's choice. */
    public static void yieldCpu() {
        threadSwitch(ThreadId.NIL);
    }
}
