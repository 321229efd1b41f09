package l4smp.kernel.ipc;

/**
 * The L4 X.2 message tag (message register 0) as a 32-bit word, with static accessors in the
 * manner of the X.2 convenience functions ({@code L4_Label(tag)}, ...): an {@code int} rather
 * than an object, so that an IPC allocates nothing.
 *
 * <pre>
 *   bits 31..16  label
 *   bits 15..12  flags: 15 = E (error, in a result tag), 14 = X (cross-processor, X.2),
 *                13 = r (redirected), 12 = p (propagated) -- and, in a send tag, bit 12 is the
 *                thesis's cross-processor abort request (section 7.2, design decision 4); in
 *                the X.2 ABI that request is the send tag's X bit, and the thesis ABI carries
 *                p in bit 13 ({@link Abi})
 *   bits 11..6   t: typed words
 *   bits  5..0   u: untyped words
 * </pre>
 */
public final class MsgTag {

    /** At most this many message registers (MR0 is the tag itself; X.2 has 64). */
    public static final int MESSAGE_REGISTERS = 64;
    /** The E flag: set in a result tag when the IPC failed (the error is in the UTCB). */
    public static final int ERROR_FLAG = 1 << 15;
    /** The X flag of X.2: the IPC crossed processors. */
    public static final int XCPU_FLAG = 1 << 14;
    /**
     * In a send tag: abort the IPC with error 7 if it would cross processors (thesis 7.2, the
     * cross-processor fault bit f, bit 12 of snd.w0; design decision 4).
     */
    public static final int XCPU_ABORT_FLAG = 1 << 12;
    /** X.2's p bit: the message is propagated (send tag and result tag of the X.2 ABI). */
    public static final int PROPAGATED_FLAG = 1 << 12;
    /**
     * The thesis ABI's propagation bit (send tag and result tag): X.2's r bit, which no sender
     * sets and this kernel never reports, because bit 12 is the thesis's abort request.
     */
    public static final int THESIS_PROPAGATED_FLAG = 1 << 13;
    /**
     * In a result tag of the thesis ABI: the IPC crossed processors (thesis 7.2: bit 11 of
     * rcv.w0). X.2's tag keeps t in bits 6..11, so bit 11 is also t's top bit: {@link Abi#THESIS}
     * sets it, with X, only when the received t is below 32 (then the bit is free).
     */
    public static final int XCPU_RESULT_BIT = 1 << 11;

    private MsgTag() {
    }

    /** A tag with {@code label}, {@code u} untyped and {@code t} typed words, no flags. */
    public static int make(int label, int u, int t) {
        if (label < 0 || label > 0xFFFF) {
            throw new IllegalArgumentException("label must be 0..0xFFFF, got " + label);
        }
        if (u < 0 || t < 0 || u + t > MESSAGE_REGISTERS - 1) {
            throw new IllegalArgumentException("u + t must be 0.." + (MESSAGE_REGISTERS - 1) + ", got u=" + u + " t=" + t);
        }
        return label << 16 | t << 6 | u;
    }

    /** A tag with {@code label} and {@code u} untyped words. */
    public static int make(int label, int u) {
        return make(label, u, 0);
    }

    public static int label(int tag) {
        return tag >>> 16;
    }

    public static int untyped(int tag) {
        return tag & 0x3F;
    }

    public static int typed(int tag) {
        return (tag >>> 6) & 0x3F;
    }

    public static int flags(int tag) {
        return (tag >>> 12) & 0xF;
    }

    /**
     * Whether a result tag reports that the IPC crossed processors (X.2's X flag, bit 14; in the
     * thesis ABI X comes with bit 11, for t &lt; 32 only: see {@link Abi}).
     */
    public static boolean crossedProcessors(int tag) {
        return (tag & XCPU_FLAG) != 0;
    }

    /**
     * A thesis-ABI result tag without the cross-processor report bits (to compare results across
     * placements); {@link Abi#withoutCrossedBits} for either ABI.
     */
    public static int withoutCrossedBits(int tag) {
        return Abi.THESIS.withoutCrossedBits(tag);
    }

    /** Whether a result tag reports a failed IPC. */
    public static boolean isError(int tag) {
        return (tag & ERROR_FLAG) != 0;
    }

    public static String toString(int tag) {
        return "tag{label=0x" + Integer.toHexString(label(tag)) + " u=" + untyped(tag) + " t=" + typed(tag)
                + (isError(tag) ? " E" : "") + ((tag & XCPU_FLAG) != 0 ? " X" : "") + "}";
    }
}
