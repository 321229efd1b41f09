package l4smp.kernel.user;

import l4smp.kernel.UserProgram;
import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.Abi;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.ipc.TypedItems;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.space.FaultState;

/**
 * Sigma0, the root pager (L4 X.2, "Sigma0 RPC protocol"): its address space is physical memory,
 * idempotently (virtual = physical), and it owns every free user frame at boot. It runs as an
 * ordinary user thread and hands frames out by map items, each frame to the first thread that
 * asks (later requests by others get the nil flexpage):
 * <ul>
 * <li>request: label {@link #REQUEST_LABEL} (-6 &lt;&lt; 4), u = 2, MR1 = the wanted flexpage
 * ({@link #ANY_PAGE}: any free frame), MR2 = attributes (0 = default); the requester's BR0 is the
 * receive window;</li>
 * <li>page fault (a thread whose pager is sigma0): the frame of the fault address, at the same
 * address;</li>
 * <li>reply: a map item of the frame(s), or of the nil flexpage.</li>
 * </ul>
 * As Pistachio's sigma0 ({@code user/serv/sigma0/sigma0.cc}) it answers only well-formed
 * requests: a failed receive, a message that is not two untyped words and no typed ones, or an
 * unknown label gets no reply at all (sigma0 waits for the next message; the sender stays
 * blocked in its receive phase until its timeout or a cancel). A request whose requester's
 * acceptor (BR0) is the complete address space gets the frame at the address it names
 * ({@link TypedItems#COMPLETE_ADDRESS_SPACE}).
 */
public final class Sigma0 implements UserProgram {

    /** The sigma0 request label (X.2: -6 &lt;&lt; 4). */
    public static final int REQUEST_LABEL = 0xFFA0;
    /** MR1 of a request for any free 4 KB frame (X.2: base -1). */
    public static final long ANY_PAGE = 0xFFFF_F000L | 12 << 4 | 7;

    private final int userFrames;
    private final int[] owner;
    private int hint;

    public Sigma0(int userFrames) {
        this.userFrames = userFrames;
        this.owner = new int[userFrames];
    }

    @Override
    public void run() {
        int tag = L4.waitAny();
        while (true) {
            ThreadId client = L4.from();
            if (!wellFormed(tag, client, L4.abi())) {
                tag = L4.waitAny(); // malformed or failed: no reply (Pistachio sigma0_main)
                continue;
            }
            long reply = answer(tag, client);
            L4.setMr(1, TypedItems.mapItem(reply & ~0xFFFL));
            L4.setMr(2, reply);
            tag = L4.replyWait(client, MsgTag.make(0, 0, 2));
        }
    }

    /**
     * Whether {@code tag} from {@code client} is a request sigma0 answers: received without
     * error, two untyped words and no typed ones (t read in {@code abi}: in the thesis ABI a
     * crossed request carries the crossed bit in t's top bit), a page fault or sigma0 RPC label.
     */
    static boolean wellFormed(int tag, ThreadId client, Abi abi) {
        if (MsgTag.isError(tag) || client.isNil() || MsgTag.untyped(tag) != 2 || abi.typed(tag) != 0) {
            return false;
        }
        int label = MsgTag.label(tag);
        return (label & 0xFFF0) == FaultState.PAGE_FAULT_LABEL || label == REQUEST_LABEL;
    }

    /** The flexpage to map to {@code client} (0 = nil), for a {@link #wellFormed} request. */
    private long answer(int tag, ThreadId client) {
        int label = MsgTag.label(tag);
        int who = client.number();
        if ((label & 0xFFF0) == FaultState.PAGE_FAULT_LABEL) {
            long frame = (L4.mr(1) & 0xFFFF_FFFFL) >>> 12;
            return claim(frame, 1, who) ? TypedItems.fpage(frame << 12, 12, 7) : 0;
        }
        if (label == REQUEST_LABEL) {
            long fp = L4.mr(1);
            int log2 = (int) (fp >>> 4) & 0x3F;
            if ((fp & ~0xFFFL) == 0xFFFF_F000L) {
                for (int i = 0; i < userFrames; i++) {
                    int f = (hint + i) % userFrames;
                    if (f != 0 && owner[f] == 0) {
                        owner[f] = who;
                        hint = f + 1;
                        return TypedItems.fpage((long) f << 12, 12, (int) (fp & 7));
                    }
                }
                return 0;
            }
            if (log2 < 12 || log2 > 31) {
                return 0;
            }
            long base = fp & ~0xFFFL & ~((1L << log2) - 1);
            int frames = 1 << (log2 - 12);
            return claim(base >>> 12, frames, who) ? TypedItems.fpage(base, log2, (int) (fp & 7)) : 0;
        }
        return 0;
    }

    private boolean claim(long first, int frames, int who) {
        if (first <= 0 || first + frames > userFrames) {
            return false; // frame 0 stays reserved (the nil page)
        }
        for (int i = 0; i < frames; i++) {
            int o = owner[(int) first + i];
            if (o != 0 && o != who) {
                return false;
            }
        }
        for (int i = 0; i < frames; i++) {
            owner[(int) first + i] = who;
        }
        return true;
    }
}
