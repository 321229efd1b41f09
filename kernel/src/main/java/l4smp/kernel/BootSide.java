package l4smp.kernel;

import l4smp.kernel.boot.BootPort;
import l4smp.kernel.thread.Tcb;

/** The kernel's side of the SMP boot (8.2): what only {@link l4smp.kernel.boot.SmpBoot} may do. */
final class BootSide implements BootPort {

    private final Kernel kernel;

    BootSide(Kernel kernel) {
        this.kernel = kernel;
    }

    @Override
    public void admit(KernelCpu kcpu, Tcb t) {
        kcpu.admit(t);
    }

    @Override
    public void bootDone(KernelCpu kcpu, int number) {
        kcpu.bootDone(number);
    }

    @Override
    public void setupThreadFailed(KernelCpu bsp, Tcb t) {
        kernel.threadLifecycle.threadEnded(bsp, t);
    }
}
