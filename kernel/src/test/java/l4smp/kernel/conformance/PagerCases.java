package l4smp.kernel.conformance;

import l4smp.kernel.ThreadSpec;
import l4smp.kernel.UserProgram;
import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.ipc.TypedItems;
import l4smp.kernel.space.AddressSpace;
import l4smp.kernel.space.FaultState;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.user.Sigma0;

/**
 * Address spaces and a pager for the conformance cases that fault: sigma0 on CPU 0, a space per
 * party, and the serving half of l4test's pager loop ({@code setup_ipc_threads} in
 * {@code ipc.cc}: it touches the page, then replies with a map item of it). The pager's own frames
 * come from sigma0 into a pool of its space.
 */
final class PagerCases {

    /** Where a pager keeps the frames it hands out (its own space). */
    static final long POOL = 0x8000_0000L;

    final ConformanceRig rig;
    final ThreadId sigma0;
    private long next = POOL;

    PagerCases(ConformanceRig rig) {
        this.rig = rig;
        this.sigma0 = rig.kernel.spaces().startSigma0(0);
    }

    /** A thread of party {@code party} in a new address space of its own, paged by {@code pager}. */
    ThreadId spawnInSpace(String name, int party, boolean daemon, ThreadId pager, UserProgram program) {
        AddressSpace s = rig.kernel.spaces().createSpace(name);
        ThreadSpec spec = daemon ? ThreadSpec.daemon(name, rig.variant.cpuOf(party), program)
                : ThreadSpec.of(name, rig.variant.cpuOf(party), program);
        return rig.kernel.spaces().createThread(spec, s, pager);
    }

    /**
     * True when {@code tag} is a page-fault message (X.2 label -2 << 4 | rwx, two untyped words),
     * whether or not it crossed processors.
     */
    static boolean isPageFault(int tag) {
        int t = MsgTag.withoutCrossedBits(tag); // across processors the tag reports the crossing
        return !MsgTag.isError(t) && (MsgTag.label(t) & 0xFFF0) == FaultState.PAGE_FAULT_LABEL
                && MsgTag.untyped(t) == 2 && MsgTag.typed(t) == 0;
    }

    /**
     * Serves the fault in the pager's message registers (MR1 the address): a fresh frame from
     * sigma0 mapped read-write at the fault's page, and reply-and-wait. Pager thread only.
     */
    int serveAndWait(ThreadId client) {
        long page = L4.mr(1) & ~0xFFFL;
        long fp = L4.sigma0Request(sigma0, Sigma0.ANY_PAGE, next);
       
        if (fp == 0) {
            throw new AssertionError("sigma0 refused a frame");
        }
        long mine = next;
        next += 4096;
        L4.setMr(1, TypedItems.mapItem(page));
        L4.setMr(2, TypedItems.fpage(mine, 12, 7));
        return L4.replyWait(client, MsgTag.make(0, 0, 2));
    }
}
