package l4smp.emulator.trace;

/**
 * The kinds of events in a machine's trace. The emulator's own kinds come first; the kernel
 * records its events (traps, switches, IPC phases) with the kinds from {@link #KERNEL_BASE} on.
 */
public final class EventKind {
    /** IPI sent: a = target CPU, b = vector. */
    public static final int IPI_SEND = 1;
    /** IPI taken by the target: a = source CPU, b = vector. */
    public static final int IPI_TAKE = 2;
    /** End of interrupt: a = source CPU, b = vector. */
    public static final int IPI_EOI = 3;
    /** A sender waited for one of the target's two LINT slots: a = target CPU. */
    public static final int LINT_WAIT = 4;
    /** The CPU went idle: a = next timer event (or -1). */
    public static final int IDLE = 5;
    /** The CPU left idle. */
    public static final int WAKE = 6;
    /** The CPU's clock jumped to a timer event: a = previous clock. */
    public static final int TIMER = 7;
    /** First kind number of the kernel's events. */
    public static final int KERNEL_BASE = 100;

    private EventKind() {
    }

    /** A short name for the emulator's kinds; {@code kernel+N} for the kernel's. */
    public static String name(int kind) {
        return switch (kind) {
            case IPI_SEND -> "ipi-send";
            case IPI_TAKE -> "ipi-take";
            case IPI_EOI -> "ipi-eoi";
            case LINT_WAIT -> "lint-wait";
            case IDLE -> "idle";
            case WAKE -> "wake";
            case TIMER -> "timer";
            default -> kind >= KERNEL_BASE ? "kernel+" + (kind - KERNEL_BASE) : "kind" + kind;
        };
    }
}
