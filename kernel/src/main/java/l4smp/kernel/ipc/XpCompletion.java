package l4smp.kernel.ipc;

/**
 * How the proxy on the receiver's CPU ended a cross-processor send (8.4.1), as the sender's CPU
 * finds it at XP RETURN: done, failed with an IPC error word, retarget (the receiver left that
 * CPU before the request was served, 8.5: the sender's CPU runs the IPC again), or redo the
 * fault (the proxy's copy faulted in the sender's space, 8.4.2: the sender resolves the fault on
 * its own CPU, then sends again).
 *
 * <p>Immutable and canonical (error words without offset bits come from a table), so the proxy
 * publishes one without allocating; {@link #word()} is the mailbox's completion word in
 * simulated memory.
 */
public final class XpCompletion {

    private static final int K_DONE = 0;
    private static final int K_ERROR = 1;
    private static final int K_RETARGET = 2;
    private static final int K_REDO_FAULT = 3;

    /** The send completed. */
    public static final XpCompletion DONE = new XpCompletion(K_DONE, 0);
    /** The receiver left the proxy's CPU: run the IPC again, to the receiver's new CPU (8.5). */
    public static final XpCompletion RETARGET = new XpCompletion(K_RETARGET, -1);
    /** The copy faulted in the sender's space: redo the fault on the sender's CPU (8.4.2). */
    public static final XpCompletion REDO_FAULT = new XpCompletion(K_REDO_FAULT, -2);

    /** Error words {@code code << 1 | phase} without offset bits. */
    private static final XpCompletion[] ERRORS = new XpCompletion[16];

    static {
        for (int w = 1; w < ERRORS.length; w++) {
            ERRORS[w] = new XpCompletion(K_ERROR, w);
        }
    }

    private final int kind;
    private final int word;

    private XpCompletion(int kind, int word) {
        this.kind = kind;
        this.word = word;
    }

    /** The send failed with IPC error word {@code word} ({@link IpcError#word}); 0 is {@link #DONE}. */
    public static XpCompletion error(int word) {
        if (word == 0) {
            return DONE;
        }
        if (word > 0 && word < ERRORS.length) {
            return ERRORS[word];
        }
        return new XpCompletion(K_ERROR, word); // slow path: an error word with offset bits
    }

    /** Whether the send completed. */
    public boolean done() {
        return kind == K_DONE;
    }

    /** Whether the IPC runs again to the receiver's new CPU. */
    public boolean retarget() {
        return kind == K_RETARGET;
    }

    /** Whether the sender redoes a fault in its space, then its send. */
    public boolean redoFault() {
        return kind == K_REDO_FAULT;
    }

    /** The IPC error word for the sender's UTCB: 0 when done, else the error. */
    public int errorWord() {
        return kind == K_ERROR ? word : 0;
    }

    /** The completion word the mailbox carries in simulated memory. */
    public int word() {
        return word;
    }

    @Override
    public String toString() {
        return switch (kind) {
            case K_DONE -> "done";
            case K_RETARGET -> "retarget";
            case K_REDO_FAULT -> "redo-fault";
            default -> "error(" + IpcError.describe(word) + ")";
        };
    }
}
