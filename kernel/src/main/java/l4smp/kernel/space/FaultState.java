package l4smp.kernel.space;

import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.ThreadId;

/**
 * A thread's page-fault state: the registers a kernel-generated page-fault IPC borrows (saved
 * and restored, so a fault is transparent), what the thread does once the pager has replied,
 * and, for a sender, the progress of a long IPC interrupted by a fault (thesis 8.3.2 "page
 * faults in the communication space", 8.4.2). Owner CPU of the thread only.
 */
public final class FaultState {

    /** No fault in progress. */
    public static final int NONE = 0;
    /** A user load/store faulted: resume the program, which retries the access. */
    public static final int USER = 1;
    /** The sender faulted in its own space during a long IPC: redo its whole IPC. */
    public static final int REDO_IPC = 2;
    /** The receiver faulted during a long IPC into it: redo its receive phase. */
    public static final int REDO_RECEIVE = 3;

    /** The page-fault protocol label (X.2: -2 << 4), ORed with the access rwx. */
    public static final int PAGE_FAULT_LABEL = 0xFFE0;

    int kind;
    /** The fault IPC failed (no pager, timeout): the access or the transfer cannot go on. */
    boolean failed;
    int failedError;
    /** The fault to raise next (set by the copy loop). */
    int va;
    boolean write;

    // ---- saved registers -------------------------------------------------------------------
    final long[] savedMr = new long[3];
    long savedBr0;
    ThreadId savedTo;
    ThreadId savedFrom;
    int savedTag;
    long savedSendTimeout;
    long savedReceiveTimeout;
    int savedErrorCode;
    int savedResultTag;
    ThreadId savedResultFrom;

    // ---- long-IPC progress (the sender's) ---------------------------------------------------
    /** A transfer to {@link #xferTo} is under way (resumable). */
    boolean xferActive;
    Tcb xferTo;
    int xferItem;
    int xferBuffer;
    int xferOffset;
    long xferDeadline;
    /** The fault is the receiver's (through the comm window). */
    boolean faultOnReceiver;
    /** For a faulting receiver: the sender that waits for it. */
    Tcb xferFrom;
    /** The transfer was aborted by its timeout while the partner resolved a fault. */
    boolean xferAborted;

    /** The fault kind in progress. */
    public int kind() {
        return kind;
    }

    /** Whether the last fault could not be resolved. */
    public boolean failed() {
        return failed;
    }

    /** The IPC error word of the failed fault IPC. */
    public int failedError() {
        return failedError;
    }
}
