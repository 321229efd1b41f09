package l4smp.kernel.xcpu;

import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.ThreadId;

/**
 * One XCPU mailbox (thesis 8.3.4, 8.4) of the ordered CPU pair {@code source -> dest}, with its
 * proxy thread on {@code dest} ({@code mailbox[id].proxy} of the check_n_ack pseudo-code).
 *
 * <h2>Simulated memory: one line</h2>
 * <pre>
 *   +0  lock     the mailbox spinlock (appendix A)
 *   +4  busy     0 free, 1 claimed (from "find free mailbox" until the reply is consumed)
 *   +8  op       {@link #OP_SEND} (to the proxy) or {@link #OP_RETURN} (the reply, 8.4.1)
 *   +12 sender   the sender's thread id (raw)
 *   +16 dest     the destination's thread id (raw)
 *   +20 tag      the send tag (message tag)
 *   +24 code     the completion code of the reply
 *   +28 vsender  the virtual sender's thread id (raw) of a propagating send (X.2 propagation),
 *                written only when the send propagates
 * </pre>
 * The words the protocol depends on ({@code lock}, {@code busy}) are real simulated words; the
 * parameters are written as simulated words too (so the traffic is visible) and mirrored in the
 * Java fields below, which the kernel reads.
 *
 * <h2>Thread contract</h2>
 * The parameter fields are written by the claiming CPU between {@link MailboxPool#tryClaim} and
 * the flag set (a volatile CAS) and read by the destination after its check_n_ack found the flag
 * (an acquire load): the flag publishes them. The proxy fields are the destination's only; the
 * reply fields are written by the destination before it sets the reply flag and read by the
 * source after it found the reply flag. Plain fields, published by the flag line.
 */
public final class Mailbox {

    public static final int LOCK = 0;
    public static final int BUSY = 4;
    public static final int OP = 8;
    public static final int SENDER = 12;
    public static final int DEST = 16;
    public static final int TAG = 20;
    public static final int CODE = 24;
    public static final int VSENDER = 28;

    /** A cross-processor IPC send: the proxy runs the xp send path. */
    public static final int OP_SEND = 1;
    /** The reply: the sender's xp operation is done, its completion code is in the mailbox. */
    public static final int OP_RETURN = 2;
    /**
     * A migration request (8.7.2): the destination runs part B (source) or part C (target) of
     * the migration {@link #migration}; no reply (the barriers synchronise, and the consumer
     * frees the mailbox).
     */
    public static final int OP_MIGRATE = 3;
    /**
     * An exchange-registers request (8.4.3): the destination runs it on the target thread and
     * answers through the same mailbox ({@link #OP_EXREGS_RETURN}).
     */
    public static final int OP_EXREGS = 10; // 10..13: apart from other operations' codes
    /**
     * The unwind of a cross-processor send (8.4.3): the destination aborts the send if its
     * proxy has not answered yet, and answers ({@link #OP_UNWIND_RETURN}).
     */
    public static final int OP_UNWIND = 11;
    /** The answer of an {@link #OP_EXREGS} request (the result is in {@link #exregs}). */
    public static final int OP_EXREGS_RETURN = 12;
    /** The answer of an {@link #OP_UNWIND} request ({@code code}: 1 aborted, 0 found nothing). */
    public static final int OP_UNWIND_RETURN = 13;

    public final int source;
    public final int dest;
    public final int slot;
    /** The global index ({@code (source * cpus + dest) * perPair + slot}). */
    public final int index;
    /** Flag bit of the request in {@code dest}'s flag line (0..127). */
    public final int requestBit;
    /** Flag bit of the reply in {@code source}'s flag line (128..255). */
    public final int replyBit;
    /** The mailbox line. */
    public final long address;
    /** The proxy thread on {@code dest} that serves this mailbox (immutable after boot). */
    private Tcb proxy;

    // ---- the request (source writes, dest reads; published by the flag) ----------------------
    private int op;
    private Tcb sender;
    private ThreadId destId = ThreadId.NIL;
    private int tag;
    /**
     * The virtual sender of a propagating send (X.2 propagation), or null: Pistachio's
     * {@code do_xcpu_send} carries it as {@code sender_id} ("we have to transmit the sender id").
     */
    private Tcb virtualSender;
    /** The sender's send deadline on the simulated clock ({@code Long.MAX_VALUE}: never). */
    private long deadline;
    /** Copy-on-sender experiment: the message registers were already staged by the sender. */
    private boolean preCopied;
    public final long[] staged = new long[64];
    /** {@link #OP_MIGRATE}: the migration record (the kernel's), and its sequence number. */
    private MigrationOperation migration;
    private int migrationSeq;
    /**
     * {@link #OP_EXREGS}, {@link #OP_UNWIND}: the exchange-registers operation record, shared
     * by the request and the unwinds it starts (the "same mailbox" of 8.4.3).
     */
    private ExregsOperation exregs;

    /** The kernel's record of a migration operation (8.7.2) that a mailbox carries. */
    public interface MigrationOperation {
    }

    /** The kernel's record of a cross-processor exchange-registers operation (8.4.3). */
    public interface ExregsOperation {
    }

    // ---- the proxy's state (dest only) ---------------------------------------------------------
    private int proxyState;
    /** The receiver the proxy sends to (while it polls, or transmits). */
    private Tcb receiver;

    // ---- the reply (dest writes, source reads; published by the reply flag) ------------------
    /** The completion code: 0 or an IPC error word. */
    private int completion;
    /** The receiver's processor number (1..k), for the sender's result. */
    private int receiverProcessor;

    // ---- plain accessors: published by the flag line (see the thread contract) -----------------
    public Tcb proxyPlain() { return proxy; }
    public void setProxyPlain(Tcb v) { proxy = v; }
    public int opPlain() { return op; }
    public void setOpPlain(int v) { op = v; }
    public Tcb senderPlain() { return sender; }
    public void setSenderPlain(Tcb v) { sender = v; }
    public ThreadId destIdPlain() { return destId; }
    public void setDestIdPlain(ThreadId v) { destId = v; }
    public int tagPlain() { return tag; }
    public void setTagPlain(int v) { tag = v; }
    public Tcb virtualSenderPlain() { return virtualSender; }
    public void setVirtualSenderPlain(Tcb v) { virtualSender = v; }
    public long deadlinePlain() { return deadline; }
    public void setDeadlinePlain(long v) { deadline = v; }
    public boolean preCopiedPlain() { return preCopied; }
    public void setPreCopiedPlain(boolean v) { preCopied = v; }
    public MigrationOperation migrationPlain() { return migration; }
    public void setMigrationPlain(MigrationOperation v) { migration = v; }
    public int migrationSeqPlain() { return migrationSeq; }
    public void setMigrationSeqPlain(int v) { migrationSeq = v; }
    public ExregsOperation exregsPlain() { return exregs; }
    public void setExregsPlain(ExregsOperation v) { exregs = v; }
    public int proxyStatePlain() { return proxyState; }
    public void setProxyStatePlain(int v) { proxyState = v; }
    public Tcb receiverPlain() { return receiver; }
    public void setReceiverPlain(Tcb v) { receiver = v; }
    public int completionPlain() { return completion; }
    public void setCompletionPlain(int v) { completion = v; }
    public int receiverProcessorPlain() { return receiverProcessor; }
    public void setReceiverProcessorPlain(int v) { receiverProcessor = v; }

    Mailbox(int source, int dest, int slot, int index, int requestBit, int replyBit, long address) {
        this.source = source;
        this.dest = dest;
        this.slot = slot;
        this.index = index;
        this.requestBit = requestBit;
        this.replyBit = replyBit;
        this.address = address;
    }

    @Override
    public String toString() {
        return "mailbox" + index + "(" + source + "->" + dest + "#" + slot + ")";
    }
}
