package l4smp.kernel.user;

import l4smp.kernel.UserProgram;
import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.ipc.TypedItems;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.space.FaultState;

import java.util.HashMap;

/**
 * A user-level pager that serves page faults with fresh memory from sigma0 (a daemon): on a
 * fault it asks sigma0 for any free frame, mapped into its own space at the next page of its
 * pool, and replies with a map item of that page at the fault address (read-write). Each fault
 * costs two IPCs to sigma0 and one map. A second fault on a page it mapped already (a write to
 * a page it mapped read-only, or a page revoked meanwhile) is answered with the same frame.
 */
public final class AnonymousPager implements UserProgram {

    /** Where in its own space the pager keeps the frames it hands out. */
    public static final long POOL = 0x8000_0000L;

    private final ThreadId sigma0;
    private final HashMap<Long, Long> given = new HashMap<>();
    private long next = POOL;
    private volatile long served;

    public AnonymousPager(ThreadId sigma0) {
        this.sigma0 = sigma0;
    }

    /** Faults served so far. */
    public long served() {
        return served;
    }

    @Override
    public void run() {
        int tag = L4.waitAny();
        while (true) {
            ThreadId client = L4.from();
            int label = MsgTag.label(tag);
            if (MsgTag.isError(tag) || (label & 0xFFF0) != FaultState.PAGE_FAULT_LABEL) {
                tag = L4.waitAny();
                continue;
            }
            long page = L4.mr(1) & ~0xFFFL;
            Long mine = given.get(page);
            if (mine == null) {
                long fp = L4.sigma0Request(sigma0, Sigma0.ANY_PAGE, next);
                if (fp == 0) {
                    tag = L4.waitAny(); // out of memory: the client waits forever
                    continue;
                }
                mine = next;
                next += 4096;
                given.put(page, mine);
            }
            served++;
            L4.setMr(1, TypedItems.mapItem(page));
            L4.setMr(2, TypedItems.fpage(mine, 12, 7));
            tag = L4.replyWait(client, MsgTag.make(0, 0, 2));
        }
    }
}
