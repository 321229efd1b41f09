package l4smp.kernel.space;

import l4smp.emulator.cpu.Cpu;
import l4smp.kernel.Kernel;
import l4smp.kernel.KernelCpuPort;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.StringTransfer;
import l4smp.kernel.ipc.Transfer;
import l4smp.kernel.ipc.TypedItems;
import l4smp.kernel.thread.Tcb;

/**
 * The pieces of one walk between address spaces on one CPU: each copied through the comm
 * window ({@link SpaceCopy}), map and grant items carried out in the mapping database.
 * One per CPU, set up for each walk (owner CPU only).
 */
final class SpaceSegments implements StringTransfer.Segments {
    private final SpaceCopy spaceCopy;
    private final Spaces spaces;
    /** The index of {@link Kernel#C_MAP_ITEMS} among the machine's counters. */
    private final int cMapItems;
    private KernelCpuPort k;
    private Tcb from;
    private Tcb to;
    private long deadline;
    private boolean receiverFaultedLast;
    /** The bytes of the current piece copied before it stopped (a fault or the timeout). */
    int partial;

    SpaceSegments(SpaceCopy spaceCopy, Spaces spaces) {
        this.spaceCopy = spaceCopy;
        this.spaces = spaces;
        this.cMapItems = spaces.kernel().machine().counterNames().indexOf(Kernel.C_MAP_ITEMS);
    }

    void start(KernelCpuPort k, Tcb from, Tcb to, long deadline, boolean receiverFaultedLast) {
        this.k = k;
        this.from = from;
        this.to = to;
        this.deadline = deadline;
        this.receiverFaultedLast = receiverFaultedLast;
        this.partial = 0;
    }

    void finish() {
        k = null;
        from = null;
        to = null;
    }

    @Override
    public Transfer copy(long source, long target, int length, int offset) {
        partial = 0;
        return spaceCopy.copy(k, from, to, source, target, length, offset, deadline, receiverFaultedLast, this);
    }

    @Override
    public Transfer mapItem(long w0, long w1) {
        if (w1 == 0) {
            return Transfer.DONE; // the nil flexpage (sigma0's refusal)
        }
        long window = TypedItems.receiveWindow(to.br[0]);
        if (!TypedItems.validFpage(w1) || !TypedItems.validFpage(window) || to.space() == null) {
            return Transfer.failedBoth(IpcError.MESSAGE_OVERFLOW); // malformed page, or no receive window
        }
        Cpu cpu = k.cpu();
        cpu.counters().increment(cMapItems);
        if (from.space() != null) {
            // Rights only narrow, and only what the sender has is mapped (X.2: the rest is
            // silently skipped). The database is global (its lock): the receiver's CPU maps
            // from the sender's space as the sender's would, and shoots down what a
            // replaced mapping leaves in any CPU's TLB.
            spaces.mapFpage(cpu, from.space(), w0 & ~0x3FFL, w1, to.space(), window,
                    TypedItems.type(w0) == TypedItems.GRANT);
        }
        return Transfer.DONE;
    }
}
