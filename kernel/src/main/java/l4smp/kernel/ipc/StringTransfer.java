package l4smp.kernel.ipc;

/**
 * The walk of a message's typed items against the receiver's buffer registers (L4 X.2
 * "StringItem", "Buffer registers"; Pistachio {@code extended_transfer}, api/v4/ipcx.cc): which
 * bytes of which send string go to which bytes of which receive buffer, and what the receiver's
 * typed message registers hold. The bytes themselves are copied by a {@link Segments} (the
 * flat space's line copy, or the space layer's copy through the comm window).
 *
 * <h2>The rules</h2>
 * <pre>
 *   send string k goes into receive buffer k: BR1.. hold the buffers, each one string item with
 *     its substring addresses; a new send string always starts a new buffer (the rest of the
 *     previous one stays untouched), and the C bit of a buffer's first item says whether another
 *     buffer follows it (without it, a further string finds none);
 *   a string item is j + 1 substrings of the item's length each (j: bits 4..8); its c bit (9)
 *     continues the same string with the next item (a compound string) -- on both sides, so a
 *     string's bytes are the concatenation of all its substrings, and they fill the buffer's
 *     substrings in order (scatter, gather, both);
 *   a string longer than its buffer: what fits is copied, then message overflow (4);
 *   a string without a buffer (no more buffers, or strings not accepted: BR0's s bit clear):
 *     message overflow; likewise an item that runs past the message's typed words or past
 *     BR33, and an item of an unknown type;
 *   a piece that runs past the end of the user area, on either side, is clipped there: the
 *     bytes inside are copied, then message overflow, with them counted in the offset
 *     (Pistachio ipc_copy: "String might need to be clipped" to space_t::get_copy_limit, which
 *     stops at USER_AREA_END; extended_transfer then goes to message_overflow with
 *     ERR_IPC_MSG_OVERFLOW(total_len)); a piece that starts outside copies nothing;
 *   every error reports the bytes transferred before it: the ErrorCode's offset.
 * </pre>
 * The receiver's message registers get the sender's typed words, each as the walk reaches it
 * (Pistachio {@code copy_mr}: a cut message still shows the item that did not fit); map and
 * grant items are handed to the {@link Segments}.
 *
 * <h2>Resuming after a page fault</h2>
 * A walk stopped by a fault ({@link Transfer#FAULTED}) is redone from the start with the byte
 * position it reached and the index of the item it was in: bytes before the position are not
 * copied again, map and grant items before the item are not carried out again; the receiver's
 * words are all written again. The walk depends only on the message and buffer registers,
 * which neither side can change while its IPC is in the kernel, so the redone walk reaches the
 * same position.
 *
 * <p>Owner CPU only (one per CPU, pre-allocated): the walk allocates nothing.
 */
public final class StringTransfer {

    /** Copies the pieces of a walk, and carries out its map and grant items. */
    public interface Segments {
        /**
         * Copies {@code length} bytes from {@code source} (the sender's) to {@code target} (the
         * receiver's), starting at byte {@code from} of the piece (above 0 when a walk resumes).
         * Returns {@link Transfer#DONE}, {@link Transfer#FAULTED} (the fault recorded), or a
         * failure. A piece clipped at the end of the user area ({@link #copyLimit}) copies what
         * lies inside and fails with message overflow; the implementation counts those bytes
         * into the offset it reports.
         */
        Transfer copy(long source, long target, int length, int from);

        /** A map or grant item ({@code w0}, {@code w1}). Returns done or a failure. */
        Transfer mapItem(long w0, long w1);
    }

    /**
     * The bytes of the piece of {@code length} bytes at {@code va} that lie inside a user area
     * ending at {@code userEnd}: all of them, the part below the end (Pistachio
     * {@code space_t::get_copy_limit}: "Do not go beyond user-area boundary"), or none for a
     * piece that starts outside.
     */
    public static int copyLimit(long va, int length, long userEnd) {
        if (va < 0 || va >= userEnd) {
            return 0;
        }
        return (int) Math.min(length, userEnd - va);
    }

    /** The number of message registers (MR0..MR63). */
    private static final int MRS = MsgTag.MESSAGE_REGISTERS;

    private long bytes;
    private long segmentBase;
    private int item;

    /**
     * The bytes transferred when the last walk returned: all of them when done, those before
     * the error or the fault otherwise. A failure that the caller reports without a walk sets
     * it with {@link #setBytes}.
     */
    public long bytes() {
        return bytes;
    }

    /** Sets the bytes transferred reported with the next failure. */
    public void setBytes(long bytes) {
        this.bytes = bytes;
    }

    /** At a fault: the byte position of the first byte of the piece that faulted. */
    public long segmentBase() {
        return segmentBase;
    }

    /** At a fault: the message register index of the string item it happened in. */
    public int item() {
        return item;
    }

    /**
     * Walks the typed items MR{u+1}..MR{u+t} of {@code mr} against the buffer registers
     * {@code br}, writing the receiver's typed words into {@code out}; a walk that resumes after
     * a fault passes the item ({@code resumeItem}, 0 for none) and byte position
     * ({@code resumeBytes}) it had reached.
     */
    public Transfer walk(long[] mr, int u, int t, long[] br, long[] out, Segments segments, int resumeItem,
                         long resumeBytes) {
        int end = Math.min(u + t, MRS - 1); // the last typed word
        long total = 0;
        boolean accept = (br[0] & TypedItems.ACCEPT_STRINGS) != 0;
        int b = 1; // the current receive buffer's first item
        int i = u + 1;
        while (i < end) {
            long w0 = mr[i];
            int type = TypedItems.type(w0);
            if (type == TypedItems.MAP || type == TypedItems.GRANT) {
                out[i] = w0;
                out[i + 1] = mr[i + 1];
                if (i >= resumeItem) {
                    Transfer r = segments.mapItem(w0, mr[i + 1]);
                    if (!r.done()) {
                        return stop(total, r);
                    }
                }
                i += 2;
                continue;
            }
            if (type != TypedItems.STRING) {
                return overflow(total); // an unknown item type
            }
            out[i] = w0; // before the checks: a cut message shows the item that did not fit
            if (!accept || b >= TypedItems.BUFFER_REGISTERS) {
                return overflow(total); // no (more) receive buffers
            }
            if (i + TypedItems.substrings(w0) > end) {
                return overflow(total); // the item runs past the typed words
            }
            long d0 = br[b];
            if (TypedItems.type(d0) != TypedItems.STRING || b + TypedItems.substrings(d0) >= TypedItems.BUFFER_REGISTERS) {
                return overflow(total); // not a string buffer, or it runs past BR33
            }
            accept = TypedItems.moreBuffers(d0);
            // The send string: item si, substring sp (1-based), what is left of it sLen at sAddr.
            int si = i;
            long sw = w0;
            int sp = 1;
            long sAddr = mr[si + 1];
            int sLen = TypedItems.stringLength(sw);
            // The receive buffer: item bi, substring dp, what is left dLen at dAddr.
            int bi = b;
            long dw = d0;
            int dp = 1;
            long dAddr = br[bi + 1];
            int dLen = TypedItems.stringLength(dw);
            while (true) {
                out[si + sp] = mr[si + sp];
                int n = Math.min(sLen, dLen);
                if (n > 0) {
                    if (total + n > resumeBytes) {
                        int from = resumeBytes > total ? (int) (resumeBytes - total) : 0;
                        segmentBase = total;
                        item = i;
                        Transfer r = segments.copy(sAddr, dAddr, n, from);
                        if (!r.done()) {
                            return stop(total, r);
                        }
                    }
                    total += n;
                    sLen -= n;
                    dLen -= n;
                    sAddr += n;
                    dAddr += n;
                }
                if (sLen == 0) {
                    if (sp < TypedItems.substrings(sw)) {
                        sp++; // the next substring
                        sAddr = mr[si + sp];
                        sLen = TypedItems.stringLength(sw);
                    } else if (TypedItems.compound(sw)) {
                        si += sp + 1; // the next item of a compound string
                        sp = 1;
                        if (si + 1 > end) {
                            return overflow(total);
                        }
                        sw = mr[si];
                        out[si] = sw;
                        if (TypedItems.type(sw) != TypedItems.STRING || si + TypedItems.substrings(sw) > end) {
                            return overflow(total);
                        }
                        sAddr = mr[si + 1];
                        sLen = TypedItems.stringLength(sw);
                    } else {
                        i = si + sp + 1; // the end of the send string
                        break;
                    }
                } else if (dLen == 0) {
                    if (dp < TypedItems.substrings(dw)) {
                        dp++;
                        dAddr = br[bi + dp];
                        dLen = TypedItems.stringLength(dw);
                    } else if (TypedItems.compound(dw)) {
                        bi += dp + 1;
                        dp = 1;
                        if (bi + 1 >= TypedItems.BUFFER_REGISTERS) {
                            return overflow(total);
                        }
                        dw = br[bi];
                        if (TypedItems.type(dw) != TypedItems.STRING
                                || bi + TypedItems.substrings(dw) >= TypedItems.BUFFER_REGISTERS) {
                            return overflow(total);
                        }
                        dAddr = br[bi + 1];
                        dLen = TypedItems.stringLength(dw);
                    } else {
                        return overflow(total); // the string is longer than its buffer
                    }
                }
            }
            // The next string goes into the next buffer: skip what is left of this one.
            boolean compound;
            do {
                compound = TypedItems.compound(dw);
                bi += TypedItems.substrings(dw) + 1;
                if (bi >= TypedItems.BUFFER_REGISTERS) {
                    accept = false;
                    break;
                }
                dw = br[bi];
            } while (compound);
            b = bi;
        }
        if (i == end) {
            out[i] = mr[i]; // a lone last word, no item: carried as it is
        }
        bytes = total;
        return Transfer.DONE;
    }

    private Transfer overflow(long total) {
        bytes = total;
        return Transfer.failedBoth(IpcError.MESSAGE_OVERFLOW);
    }

    private Transfer stop(long total, Transfer r) {
        bytes = total;
        return r;
    }
}
