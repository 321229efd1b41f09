package l4smp.kernel.ipc;

/**
 * How the copy of one message ended (the transmit path, 8.3.2): done, stopped at a page fault
 * (a long IPC suspended, 8.4.2), or failed with one error code for each side (X.2: the sender's
 * and the receiver's code differ for a transfer timeout: in the invoker's or in the partner's
 * space).
 *
 * <p>Immutable and canonical: every outcome is one of a fixed set of instances, so the copy
 * paths return one without allocating, and outcomes compare by identity.
 */
public final class Transfer {

    /** The message was copied. */
    public static final Transfer DONE = new Transfer(0, 0, false);

    /** The copy stopped at a page fault; the sender's fault state says where (8.4.2). */
    public static final Transfer FAULTED = new Transfer(0, 0, true);

    private static final int CODES = 8;
    private static final Transfer[] ERRORS = new Transfer[CODES * CODES];

    static {
        for (int s = 0; s < CODES; s++) {
            for (int r = 0; r < CODES; r++) {
                ERRORS[s * CODES + r] = s == 0 && r == 0 ? DONE : new Transfer(s, r, false);
            }
        }
    }

    private final int senderCode;
    private final int receiverCode;
    private final boolean faulted;

    private Transfer(int senderCode, int receiverCode, boolean faulted) {
        this.senderCode = senderCode;
        this.receiverCode = receiverCode;
        this.faulted = faulted;
    }

    /** A failed copy: the sender's and the receiver's {@link IpcError} codes (0..7). */
    public static Transfer failed(int senderCode, int receiverCode) {
        return ERRORS[senderCode * CODES + receiverCode];
    }

    /** A failed copy with the same code for both sides. */
    public static Transfer failedBoth(int code) {
        return failed(code, code);
    }

    /** Whether the message was copied. */
    public boolean done() {
        return this == DONE;
    }

    /** Whether the copy stopped at a page fault. */
    public boolean faulted() {
        return faulted;
    }

    /** The sender's error code (0 when done). */
    public int senderCode() {
        return senderCode;
    }

    /** The receiver's error code (0 when done). */
    public int receiverCode() {
        return receiverCode;
    }

    @Override
    public String toString() {
        return faulted ? "faulted" : this == DONE ? "done" : "failed(" + senderCode + "," + receiverCode + ")";
    }
}
