package l4smp.kernel;

import l4smp.kernel.space.AddressSpace;
import l4smp.kernel.space.Spaces;
import l4smp.kernel.thread.SyscallArgument;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.thread.ThreadState;

/**
 * The address-space system calls on one CPU: ThreadControl that creates a thread in a new space
 * or in the space of an existing thread (X.2; thesis 7.2: on the caller's processor), Unmap
 * (X.2), and the page-fault trap of a user access. Owner CPU only.
 */
public final class SpaceControlPath {

    /** A thread-control request with a space specifier (NIL: a new space) and a pager. */
    public record Create(ThreadSpec spec, ThreadId spaceOf, ThreadId pager) implements SyscallArgument { }

    /** The unmap request ({@code sysTag} = the X.2 control word; fpages in MR0..). */
    public enum Unmap implements SyscallArgument { REQUEST }

    /** The unmap request marker. */
    public static final Unmap UNMAP = Unmap.REQUEST;

    /** X.2 Unmap control: the flush bit (the caller's own mappings too). */
    public static final int UNMAP_FLUSH = 1 << 6;

    private SpaceControlPath() {
    }

    /** The SPACE_CONTROL trap of {@code t}. */
    static void spaceControl(Kernel kernel, KernelCpu k, Tcb t) {
        Spaces spaces = kernel.spaces();
        t.setErrorCode(0);
        if (t.sysArgument() == UNMAP) {
            t.setSysArgument(null);
            int control = t.sysTag();
            int count = (control & 0x3F) + 1;
            AddressSpace s = t.space();
            for (int i = 0; i < count; i++) {
                if (s != null) {
                    t.mr[i] = spaces.unmap(k.cpu(), s, t.mr[i], (control & UNMAP_FLUSH) != 0);
                }
            }
        } else if (t.sysArgument() instanceof Create c) {
            t.setSysArgument(null);
            AddressSpace space;
            if (c.spaceOf().isNil()) {
                space = spaces.createSpace(c.spec().name());
            } else {
                Tcb other = kernel.lookup(c.spaceOf());
                space = other == null ? null : other.space();
            }
            if (space == null) {
                t.setErrorCode(ThreadControlPath.UNAVAILABLE_THREAD); // stale id, or a thread without a space
                t.setSysResult(ThreadId.NIL);
            } else {
                Tcb created = kernel.threadLifecycle.newTcb(c.spec(), k.index());
                if (created == null) {
                    t.setErrorCode(ThreadControlPath.OUT_OF_MEMORY);
                    t.setSysResult(ThreadId.NIL);
                } else {
                    created.setSpace(space);
                    created.setPager(c.pager() == null ? ThreadId.NIL : c.pager());
                    k.admit(created);
                    t.setSysResult(created.id);
                }
            }
        }
        k.readyList().enqueueHead(t);
        k.setSwitchHint(t);
    }

    /** The PAGE_FAULT trap of {@code t}: the fault becomes an IPC to its pager. */
    static void pageFault(Kernel kernel, KernelCpu k, Tcb t) {
        kernel.spaces().ipc().userFault(k.port, t);
        if (t.state() == ThreadState.READY && !t.inReadyList()) {
            k.readyList().enqueueHead(t); // the fault could not be sent: back to the program, which fails
            k.setSwitchHint(t);
        }
    }
}
