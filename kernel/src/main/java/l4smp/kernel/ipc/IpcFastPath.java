package l4smp.kernel.ipc;

import l4smp.emulator.cache.AccessKind;
import l4smp.emulator.cache.SingleWriterAccessPlan;
import l4smp.kernel.KernelCpuPort;
import l4smp.kernel.Syscall;
import l4smp.kernel.thread.KernelResume;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.TcbLayout.Field;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.thread.ThreadState;

/**
 * The IPC fast path of one CPU's kernel: the common case of a call or a reply-and-wait -- the
 * partner waits for us on this CPU, and we block in our own receive -- done as one straight
 * sequence, as L4 kernels do (Pistachio's IPC fast path ahead of the generic {@code sys_ipc},
 * e.g. {@code glue/v4-powerpc/fastpath.S} under {@code CONFIG_IPC_FASTPATH}; seL4's
 * {@code fastpath_call} and {@code fastpath_reply_recv} in {@code src/fastpath/fastpath.c}); the
 * partner is then run by a direct switch of the dispatcher, without a pass through the ready
 * list ({@code DispatchPath.run}), as those fast paths switch to it without the scheduler.
 *
 * <h2>The conditions (checked before anything is written)</h2>
 * <pre>
 *   a send and a receive phase (to and from not nil), receive timeout never, no kernel path
 *     pending for the invoker;
 *   the message untyped only (no string, map or grant item), not propagated (no p bit);
 *   the partner a thread of this CPU (no interrupt thread, one CPU's kernel: no XP paths),
 *     waiting for us (open, or closed on us), in no ready list;
 *   the receive phase blocks: a closed receive from the partner itself (it is ready now, not
 *     polling to us), or an open receive with an empty send queue.
 * </pre>
 * Any other case takes the general path ({@link IpcPath#ipc}), which these conditions leave
 * untouched. Pistachio's fast path tests the same (to and from not nil, the target's TCB valid,
 * the target waiting forever for us or for any thread, no typed items or flags in the tag, no
 * receive timeout, an empty send queue of the invoker; then it copies the untyped words, lets the
 * invoker wait forever for {@code from} and switches to the target), as does seL4's.
 *
 * <h2>Exactly the general path's figures</h2>
 * Unlike a real kernel's fast path this one must leave every simulated figure as the general
 * path leaves it for the same case: each charge of a TCB word or message register, the clock,
 * the counters and the trace records, in the same order (8.3.2's send path, transmit path and
 * receive path as {@link IpcPath#sendPhase}, {@link TransmitPath#transmit} and
 * {@link IpcPath#receiveDecision} make them). What it saves is host work: the general checks
 * that the conditions above answer once, the calls between the phases, and the partner's
 * passage through the ready list (its charges are made; the list operations that would cancel
 * each other are not). The seeded golden runs and a differential test with the fast path off
 * ({@code -Dl4smp.ipcFastPath=false}) hold it to that.
 *
 * <p>Owner CPU only. Allocation-free.
 */
final class IpcFastPath {

    private final IpcPath ipc;
    private final KernelCpuPort kcpu;
    /** The ABI's propagation bit in a send tag (the kernel's ABI is fixed at boot). */
    private final int propagatedFlag;
    /**
     * Whether the machine charges memory accesses: without the accounting layer every charge
     * below is a no-op, and the fast path skips the calls.
     */
    private final boolean charging;

    /**
     * The charges of the send phase, planned once (KernelCpuPort.chargePlan, a: the invoker, b:
     * the partner), in the general path's order: for a message of more than
     * {@link #PLANNED_WORDS} untyped words, followed by the copy's run and the partner's PARTNER
     * word on its own.
     */
    private final SingleWriterAccessPlan sendPlan;
    /**
     * The fast path's charges as two plans, each one run of the CPU (and, the same accesses to
     * the same lines again and again, replayed from the plan's memo: MemorySystem's "Memoised
     * hit runs"): the send phase, the copy of u untyped words and the receive's completion (the
     * partner's PARTNER word), one plan per u up to PLANNED_WORDS; then the partner's handoff
     * (its STATE word, the ready list, its links) and the open or closed receive phase. In each
     * the general path's order; nothing reads the clock within a run (the IPC's trace record
     * comes between the two).
     */
    private static final int PLANNED_WORDS = 8;
    private final SingleWriterAccessPlan[] sendCopyPlans = new SingleWriterAccessPlan[PLANNED_WORDS + 1];
    private final SingleWriterAccessPlan openTailPlan;
    private final SingleWriterAccessPlan closedTailPlan;

    /** IPCs this fast path completed (owner CPU only; a test's evidence that it ran). */
    long taken;

    IpcFastPath(IpcPath ipc) {
        this.ipc = ipc;
        this.kcpu = ipc.kcpu;
        this.propagatedFlag = ipc.kernel.config().abi().propagatedFlag();
        this.charging = ipc.kcpu.cpu().machine().memorySystem() != null;
        KernelCpuPort k = ipc.kcpu;
        this.sendPlan = new SingleWriterAccessPlan(k.planTcb(1, Field.MYSELF, AccessKind.READ), k.planTcb(1, Field.CPU, AccessKind.READ),
                k.planTcb(0, Field.PARTNER, AccessKind.WRITE), k.planTcb(1, Field.STATE, AccessKind.READ));
        SingleWriterAccessPlan openReceivePlan = new SingleWriterAccessPlan(k.planTcb(0, Field.SEND_QUEUE, AccessKind.READ),
                k.planTcb(0, Field.STATE, AccessKind.WRITE));
        SingleWriterAccessPlan closedReceivePlan = new SingleWriterAccessPlan(k.planTcb(1, Field.MYSELF, AccessKind.READ), k.planTcb(1, Field.CPU, AccessKind.READ),
                k.planTcb(1, Field.STATE, AccessKind.READ), k.planTcb(1, Field.PARTNER, AccessKind.READ));
        for (int u = 0; u <= PLANNED_WORDS; u++) {
            int[] e = new int[4 + 2 * u + 1];
            for (int i = 0; i < 4; i++) {
                e[i] = sendPlan.entryAt(i);
            }
            for (int i = 1; i <= u; i++) {
                e[2 + 2 * i] = k.planMr(0, i, AccessKind.READ);
                e[3 + 2 * i] = k.planMr(1, i, AccessKind.WRITE);
            }
            e[4 + 2 * u] = k.planTcb(1, Field.PARTNER, AccessKind.WRITE);
            sendCopyPlans[u] = new SingleWriterAccessPlan(e);
        }
        this.openTailPlan = new SingleWriterAccessPlan(concat(k.planHandOff(1), openReceivePlan, -1));
        this.closedTailPlan = new SingleWriterAccessPlan(concat(k.planHandOff(1), closedReceivePlan,
                k.planTcb(0, Field.STATE, AccessKind.WRITE)));
    }

    /** {@code head}, then {@code plan}'s entries, then {@code last} unless it is -1. */
    private static int[] concat(int[] head, SingleWriterAccessPlan plan, int last) {
        int[] e = new int[head.length + plan.length() + (last == -1 ? 0 : 1)];
        System.arraycopy(head, 0, e, 0, head.length);
        for (int i = 0; i < plan.length(); i++) {
            e[head.length + i] = plan.entryAt(i);
        }
        if (last != -1) {
            e[e.length - 1] = last;
        }
        return e;
    }

    /**
     * The IPC system call of {@code t} (just trapped) if the fast path's conditions hold: then
     * it is done -- the message delivered, the partner ready and {@code t}'s
     * {@link Tcb#partner()}, for the dispatcher to run next, {@code t} waiting -- and true is
     * returned. Otherwise nothing is touched and false is returned: the general path runs the
     * call.
     */
    boolean ipc(Tcb t) {
        ThreadId to = t.sysTo();
        ThreadId from = t.sysFrom();
        int tag = t.sysTag();
        if (to.isNil() || from.isNil() || t.sysReceiveTimeout() != Timeout.NEVER
                || t.kernelResume() != KernelResume.NONE || MsgTag.typed(tag) != 0
                || (tag & propagatedFlag) != 0) {
            return false;
        }
        boolean open = from.isAny();
        if (open ? t.sendQueueHead() != null : from.raw() != to.raw()) {
            return false; // a sender to serve, or a closed receive from a third thread
        }
        Tcb dest = partnerOrLookup(t, to);
        if (dest == null || dest == t || dest.hardwareLine() >= 0 || t.hardwareLine() >= 0
                || dest.cpuAcquire() != kcpu.index() || dest.state() != ThreadState.WAITING
                || dest.inReadyList() || !accepts(dest.receiveFrom(), t)) {
            return false;
        }
        // The send phase (IpcPath.sendPhase): the target checked, the partner written.
        t.setErrorCode(0);
        t.setResultTag(0);
        t.setResultFrom(ThreadId.NIL);
        if (t.sysVirtualSender() != null) {
            t.setSysVirtualSender(null); // a reference store costs a GC barrier: none where it holds null
        }
        int u = MsgTag.untyped(tag);
        if (charging) {
            // dest's MYSELF and CPU read, t's PARTNER written (KernelCpuPort.writePartner), dest's STATE read;
            // the transmit path (TransmitPath.copyMessage): the untyped words; the receive
            // completed (TransmitPath.completeReceive): dest's PARTNER written.
            if (u <= PLANNED_WORDS) {
                kcpu.chargePlan(t, dest, sendCopyPlans[u]);
            } else {
                kcpu.chargePlan(t, dest, sendPlan);
                kcpu.chargeMrCopy(t, dest, u);
                kcpu.touchTcb(dest, Field.PARTNER, AccessKind.WRITE);
            }
        }
        if (t.partner() != dest) {
            t.setPartner(dest); // in a call and reply loop it names dest already
        }
        System.arraycopy(t.mr, 1, dest.mr, 1, u);
        // The receive completed: dest learns the sender and the tag.
        int resultTag = tag & ~(0xF << 12);
        dest.setResultTag(resultTag);
        dest.mr[0] = resultTag;
        dest.setResultFrom(t.id);
        dest.setErrorCode(0);
        dest.setReceiveFrom(ThreadId.NIL);
        if (dest.partner() != t) {
            dest.setPartner(t);
        }
        ipc.counters.increment(ipc.cIpc);
        kcpu.cpu().log().record(kcpu.index(), Syscall.EV_IPC, kcpu.cpu().clock(), dest.id.number(), t.id.number());
        kcpu.removeWakeup(dest);
        // dest made ready (KernelCpuPort.handOffCharged), then the receive phase
        // (IpcPath.receiveDecision): no sender is there, t blocks. The charges: the handoff's
        // (dest's STATE, the ready list, dest's links), then open: t's SEND_QUEUE read and
        // writeState's charge; closed: dest's MYSELF, CPU, STATE, PARTNER read and writeState's.
        if (charging) {
            kcpu.chargePlan(t, dest, open ? openTailPlan : closedTailPlan);
        }
        kcpu.handOffCharged(dest);
        if (!open) {
            dest.markAwaitedVolatile(); // IpcPath.markAwaited
        }
        t.setState(ThreadState.WAITING); // its STATE word charged above (KernelCpuPort.writeState)
        t.setReceiveFrom(from);
        // IpcPath.continueInvoker (switchTo(dest), 8.3.2) is the dispatcher's: dest is t's
        // partner, which DispatchPath runs next or names in the switch hint.
        taken++;
        return true;
    }

    /**
     * {@link l4smp.kernel.Kernel#lookup}{@code (to)}, found first through {@code t}'s last IPC
     * partner: in a call and reply-and-wait loop the thread {@code to} names is the one {@code t}
     * exchanged its last message with. The partner is {@code to}'s thread exactly when its
     * {@code myself} is {@code to}: a TCB holds one id from its creation, is in the thread table
     * under that id's number while it lives, and drops the id ({@code myself} null) when it ends,
     * before its slot can hold another thread; a partner was found in the table when it became
     * one (the fast path runs on a one-CPU kernel, which has no proxy threads, the only TCBs
     * outside the table). So the answer is the lookup's, without the walk from the kernel to the
     * table's slot and the slot's type check (five dependent loads on the IPC's critical path).
     */
    private Tcb partnerOrLookup(Tcb t, ThreadId to) {
        Tcb p = t.partner();
        if (p != null) {
            ThreadId myself = p.myselfAcquire();
            if (myself != null && myself.raw() == to.raw()) {
                return p;
            }
        }
        return ipc.kernel.lookup(to);
    }

    /** {@link XpIpc#accepts(ThreadId, Tcb)}: a receive specifier open, or closed on {@code sender}. */
    private static boolean accepts(ThreadId from, Tcb sender) {
        int raw = from.raw();
        return raw == -1 || raw == sender.id.raw();
    }
}
