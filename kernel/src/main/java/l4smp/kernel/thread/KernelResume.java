package l4smp.kernel.thread;

/**
 * A kernel path a thread has still to finish when its CPU's dispatcher next picks it: the
 * second half of an operation that waited for another processor (8.4.1) or found no free
 * resource the first time. Owner CPU only ({@link Tcb#kernelResume}).
 */
public enum KernelResume {
    /** Nothing: the thread runs its user code. */
    NONE,
    /** XP RETURN: consume the reply mailbox of a finished cross-processor send (8.4.1). */
    XP_RETURN,
    /** Run the IPC again (no free mailbox the first time, or the receiver moved, 8.5). */
    RETRY_IPC,
    /** Run the schedule call again (its target was busy, 8.5). */
    RETRY_SCHEDULE,
    /** Run the exchange-registers call again (no free mailbox the first time). */
    RETRY_EXREGS,
    /** Consume the reply of a cross-processor exchange-registers request (8.4.3, 8.4.1). */
    EXREGS_RETURN
}
