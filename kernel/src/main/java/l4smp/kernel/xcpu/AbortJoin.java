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
 * <p>The unwind's cross-processor steps are here too, so that the kernel
 * ({@code XpExchangeRegisters}, {@code XpAbortHold}) and the jcstress tests run the one protocol:
 * <pre>
 *   target's CPU d:    claim a mailbox d->b; begin(unwind); post the unwind   {@link #postUnwind}
 *   receiver's CPU b:  check_n_ack (the send's request was flagged first, so its proxy is
 *                      hooked, polling, or has answered); abort the send if its proxy has not
 *                      answered (its reply: canceled); answer the unwind     {@link #answerUnwind}
 *   d:                 the send's reply -> replyArrived; the unwind's answer
 *                      ({@link #unwindAborted}) -> unwindAnswered; both in: the hold ends
 * </pre>
 *
 * <p>Owner CPU only (the target's CPU): plain fields. The static steps run on the calling CPU.
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

    /**
     * The target's CPU posts the unwind through mailbox {@code box}, which it claimed and filled
     * (its plain fields): publish the operation code and the target's id, end the claim, and set
     * the request flag {@code requestBit} in {@code destFlagLine}, the receiver CPU's line. The
     * IPI decision follows ({@link XpSendHandshake#ipiNeeded}, urgent).
     */
    public static void postUnwind(XcpuMemory mem, long box, int targetRaw, long destFlagLine, int requestBit) {
        mem.storeRelease(box + Mailbox.OP, Mailbox.OP_UNWIND);
        mem.storeRelease(box + Mailbox.SENDER, targetRaw);
        MailboxPool.unlock(mem, box);
        FlagLine.set(mem, destFlagLine, requestBit);
    }

    /**
     * The receiver's CPU answers the unwind in mailbox {@code box}: whether it aborted the send,
     * then the reply flag {@code replyBit} in {@code sourceFlagLine}, the target CPU's line.
     */
    public static void answerUnwind(XcpuMemory mem, long box, boolean aborted, long sourceFlagLine, int replyBit) {
        mem.storeRelease(box + Mailbox.CODE, aborted ? 1 : 0);
        mem.storeRelease(box + Mailbox.OP, Mailbox.OP_UNWIND_RETURN);
        FlagLine.set(mem, sourceFlagLine, replyBit);
    }

    /** The target's CPU reads the unwind's answer (after check_n_ack found its reply flag). */
    public static boolean unwindAborted(XcpuMemory mem, long box) {
        return mem.loadAcquire(box + Mailbox.CODE) != 0;
    }
}
