package l4smp.kernel.thread;

import l4smp.emulator.cpu.Cpu;
import l4smp.emulator.cpu.GuestThread;

/**
 * The identity an L4 user thread has as the current thread while a CPU runs it in parallel mode
 * (see {@link GuestThread}): the L4 facade finds the calling thread's TCB here, and its CPU in
 * the TCB, whichever host thread the migrating continuation runs on.
 */
public final class L4ThreadIdentity extends GuestThread {

    /** The thread whose identity this is. */
    public final Tcb tcb;

    public L4ThreadIdentity(Tcb tcb) {
        super("l4-" + tcb.name);
        this.tcb = tcb;
    }

    @Override
    public Cpu runningCpu() {
        return tcb.runningOn().cpu();
    }
}
