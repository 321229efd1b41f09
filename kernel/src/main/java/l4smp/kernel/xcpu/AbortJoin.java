package l4smp.kernel.xcpu;

/**
 * The hold of an abort in flight on the target's CPU (thesis 8.4.3): the target's send is
 * answered by its proxy (delivered, timed out, retarget) or by the unwind (canceled), and the
 * unwind answers after it has judged the send. The two answers come back through two reply
 * flags of the target CPU's line, which check_n_ack scans in bit order, not in arrival order,
 * so they are consumed in either order. The hold ends when both are in: only then may the
 * target consume its reply and reuse its send mailbox (an unwind still on its way must never
 * judge a later send that reuses the mailbox).
 *
 * <p>Owner CPU only (the target's CPU): plain fields.
 */
public final class AbortJoin {

    private boolean unwindAnswered;
    private boolean replyArrived;

    /** Starts a hold; {@code unwindPosted} false: only the reply is awaited (no unwind needed). */
    public void begin(boolean unwindPosted) {
        unwindAnswered = !unwindPosted;
        replyArrived = false;
    }

    /** The unwind's answer arrived. Returns whether the hold ends now. */
    public boolean unwindAnswered() {
        unwindAnswered = true;
        return replyArrived;
    }

    /** The target's send reply arrived. Returns whether the hold ends now. */
    public boolean replyArrived() {
        replyArrived = true;
        return unwindAnswered;
    }

    /** Whether both answers are in. */
    public boolean complete() {
        return unwindAnswered && replyArrived;
    }
}
