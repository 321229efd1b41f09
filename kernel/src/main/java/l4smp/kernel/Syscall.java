package l4smp.kernel;

import l4smp.emulator.trace.EventKind;

/** Trap numbers (why a user thread entered the kernel) and the kernel's trace event kinds. */
public final class Syscall {
    /** The IPC system call (all flavours: the send and receive specifiers select them). */
    public static final int IPC = 1;
    /** ThreadSwitch. */
    public static final int THREAD_SWITCH = 2;
    /** Not a system call: the thread saw a due interrupt at an L4 call and let the kernel take it. */
    public static final int PREEMPT = 3;
    /** ThreadControl: create or delete a thread. */
    public static final int THREAD_CONTROL = 5;
    /** ExchangeRegisters. */
    public static final int EXCHANGE_REGISTERS = 6;
    /** Schedule (X.2; thesis 7.2, 8.7): priority, timeslice and the processor (migration). */
    public static final int SCHEDULE = 7;
    /** ThreadControl with a space specifier, and Unmap (X.2; thesis 2.2). */
    public static final int SPACE_CONTROL = 20;
    /** Not a system call: a user access faulted; the kernel sends the page-fault IPC. */
    public static final int PAGE_FAULT = 21;
    /** Not a system call: the timer ticked, or a timeout of this CPU expired, while the thread ran. */
    public static final int TIMER = 4;

    /** Trace: a trap; a = thread number, b = trap number. */
    public static final int EV_TRAP = EventKind.KERNEL_BASE + 1;
    /** Trace: a thread switch; a = from (thread number or -1), b = to. */
    public static final int EV_SWITCH = EventKind.KERNEL_BASE + 2;
    /** Trace: an IPC completed for a receiver; a = receiver, b = sender. */
    public static final int EV_IPC = EventKind.KERNEL_BASE + 3;
    /** Trace: an IPC failed; a = thread, b = error word. */
    public static final int EV_IPC_ERROR = EventKind.KERNEL_BASE + 4;
    /** Trace: a thread ended; a = thread, b = 1 if it threw. */
    public static final int EV_THREAD_END = EventKind.KERNEL_BASE + 5;
    /** Trace: a timer tick; a = running thread, b = its remaining timeslice. */
    public static final int EV_TICK = EventKind.KERNEL_BASE + 6;
    /**
     * Trace: a cross-processor IPC completed for a receiver, recorded on the receiver's CPU where
     * the copy ran (8.4.1); a = receiver, b = {@link #xcpuSender}: the sender's thread number in
     * the low 32 bits, the CPU the sender was on when the copy ran in the high 32.
     */
    public static final int EV_IPC_XCPU = EventKind.KERNEL_BASE + 7;

    /** The b word of {@link #EV_IPC_XCPU}. */
    public static long xcpuSender(int senderNumber, int senderCpu) {
        return (long) senderCpu << 32 | (senderNumber & 0xFFFF_FFFFL);
    }

    /** The sender's thread number in the b word of {@link #EV_IPC_XCPU}. */
    public static int xcpuSenderNumber(long b) {
        return (int) b;
    }

    /** The sender's CPU in the b word of {@link #EV_IPC_XCPU}. */
    public static int xcpuSenderCpu(long b) {
        return (int) (b >>> 32);
    }

    private Syscall() {
    }

    public static String name(int trap) {
        return switch (trap) {
            case IPC -> "ipc";
            case THREAD_SWITCH -> "thread-switch";
            case PREEMPT -> "preempt";
            case TIMER -> "timer";
            case THREAD_CONTROL -> "thread-control";
            case EXCHANGE_REGISTERS -> "exchange-registers";
            case SPACE_CONTROL -> "space-control";
            case PAGE_FAULT -> "page-fault";
            default -> "trap" + trap;
        };
    }
}
