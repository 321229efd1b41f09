package l4smp.kernel.ipc;

/**
 * The IPC error codes of L4 X.2, as the kernel writes them into the UTCB's error-code word:
 * {@code offset << 4 | code << 1 | phase}, phase 0 = send, 1 = receive. The offset (X.2
 * ErrorCode) is the number of message bytes transferred before an error that struck after the
 * transfer had begun: message overflow (what fit was copied), the transfer timeouts and abort
 * during a long IPC (Pistachio {@code ERR_IPC_MSG_OVERFLOW(off)} ... {@code ERR_IPC_ABORTED(off)},
 * api/v4/ipc.h); 0 for every other error.
 */
public final class IpcError {

    public static final int NONE = 0;
    /** The send or receive timeout expired before the partner was ready. */
    public static final int TIMEOUT = 1;
    /** The partner does not exist (invalid or stale thread id, or it died). */
    public static final int NO_PARTNER = 2;
    /** Another thread canceled the IPC (exchange-registers). */
    public static final int CANCELED = 3;
    /** The message did not fit the receiver's buffers, or the message was malformed. */
    public static final int MESSAGE_OVERFLOW = 4;
    /**
     * The transfer timeout expired during a page fault in the invoker's address space (X.2:
     * "in the invoker's address space"; the invoker is the thread that reads the code): the
     * side whose space faulted gets 5, its partner 6. Transfer timeouts run only from the
     * first page fault of a transfer (see {@code SpaceIpc}).
     */
    public static final int XFER_TIMEOUT_INVOKER = 5;
    /** The transfer timeout expired during a page fault in the partner's address space. */
    public static final int XFER_TIMEOUT_PARTNER = 6;
    /**
     * Aborted: by another thread (exchange-registers), or, per the thesis's design decision 4
     * (section 7.2), a cross-processor IPC the sender asked to abort; the partner's processor
     * number is returned with it.
     */
    public static final int ABORTED = 7;

    public static final int PHASE_SEND = 0;
    public static final int PHASE_RECEIVE = 1;

    private IpcError() {
    }

    /** The largest offset the error word carries (bits 4..30). */
    public static final long MAX_OFFSET = (1L << 27) - 1;

    public static int word(int code, int phase) {
        return code << 1 | phase;
    }

    /** An error word with the bytes transferred before the error ({@link #MAX_OFFSET} at most). */
    public static int word(int code, int phase, long offset) {
        return (int) Math.min(Math.max(offset, 0), MAX_OFFSET) << 4 | code << 1 | phase;
    }

    public static int code(int word) {
        return (word >>> 1) & 0x7;
    }

    /** The bytes transferred before the error (X.2 ErrorCode's offset). */
    public static int offset(int word) {
        return word >>> 4;
    }

    public static int phase(int word) {
        return word & 1;
    }

    /**
     * Whether error code {@code code} carries the transfer offset in the error word (X.2
     * ErrorCode: message overflow, the two transfer timeouts and abort, codes 4 to 7; the other
     * codes end an IPC before any transfer, their offset bits are undefined).
     */
    public static boolean carriesOffset(int code) {
        return code >= MESSAGE_OVERFLOW;
    }

    /**
     * The error word in words: the code, the phase, and for codes 4 to 7 the bytes transferred
     * before the error (e.g. "message overflow in the receive phase after 4096 bytes").
     */
    public static String describe(int word) {
        if (word == 0) {
            return "no error";
        }
        String what = switch (code(word)) {
            case TIMEOUT -> "timeout";
            case NO_PARTNER -> "non-existing partner";
            case CANCELED -> "canceled";
            case MESSAGE_OVERFLOW -> "message overflow";
            case XFER_TIMEOUT_INVOKER -> "transfer timeout in invoker's space";
            case XFER_TIMEOUT_PARTNER -> "transfer timeout in partner's space";
            case ABORTED -> "aborted";
            default -> "error " + code(word);
        };
        String phase = what + " in the " + (phase(word) == PHASE_SEND ? "send" : "receive") + " phase";
        return carriesOffset(code(word)) ? phase + " after " + offset(word) + " bytes" : phase;
    }
}
