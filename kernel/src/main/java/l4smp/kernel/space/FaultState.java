package l4smp.kernel.space;

import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.ThreadId;

/**
 * A thread's page-fault state: the registers a kernel-generated page-fault IPC borrows (saved
 * and restored, so a fault is transparent), what the thread does once the pager has replied,
 * and, for a sender, the progress of a long IPC interrupted by a fault (thesis 8.3.2 "page
 * faults in the communication space", 8.4.2).
 *
 * <p>Owner CPU of the thread only, with one hand-over: while a sender is locked waiting for its
 * proxy (cross-processor IPC, 8.3.5), its IPC belongs to the proxy's CPU, which may write the
 * transfer's progress here; the mailbox's release/acquire (request flag, reply flag) orders these
 * plain fields both ways, as it orders the message registers.
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
    /** MR0..MR63: the whole message-register file, so that a fault is transparent to the program. */
    final long[] savedMr = new long[MsgTag.MESSAGE_REGISTERS];
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
    /** The message register index of the string item the transfer stopped in. */
    int xferItem;
    /** The bytes transferred before the faulting one (the ErrorCode offset of a failure now). */
    long xferOffset;
    /** The absolute transfer deadline ({@code Long.MAX_VALUE}: none). */
    long xferDeadline;
    /** The transfer's timeout runs: it has faulted before (X.2, Pistachio handle_xfer_timeouts). */
    boolean xferTimed;
    /** The fault is the receiver's (through the comm window). */
    boolean faultOnReceiver;
    /** For a faulting receiver: the sender that waits for it. */
    Tcb xferFrom;
    /** The transfer was aborted by its timeout while the partner resolved a fault. */
    boolean xferAborted;
    /**
     * A sender's redone cross-processor send carries only the abort of its suspended transfer
     * (its fault could not be resolved): the receiver's CPU fails both sides (8.4.2).
     */
    boolean xpAbort;
    /**
     * With {@link #xpAbort}: the fault IPC was canceled by exchange-registers (not timed out):
     * both sides get X.2's "aborted" (7) instead of the transfer timeouts (5, 6).
     */
    boolean xpAbortCanceled;
    /**
     * For a receiver (cross-processor): the sender whose page fault, redone on the sender's CPU,
     * suspended the transfer into this thread; it waits for that sender until the transfer
     * deadline (8.4.2).
     */
    Tcb xferAwaited;
    /** With {@link #xferAwaited}: that sender's message tag and the bytes transferred so far. */
    int xferAwaitedTag;
    long xferAwaitedOffset;

    // ---- a fault IPC to start when the thread is next dispatched -------------------------------
    /** The kind of fault IPC to start at the thread's next dispatch ({@link #NONE}: none). */
    int pendingKind;
    /** Its absolute transfer deadline ({@code Long.MAX_VALUE}: none). */
    long pendingDeadline;

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
