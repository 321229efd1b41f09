package l4smp.kernel;

import jdk.internal.vm.Continuation;
import l4smp.kernel.thread.Tcb;

/** The trap into the kernel: the user continuation yields to its CPU's dispatcher. */
public final class KernelTraps {

    private KernelTraps() {
    }

    /** Enters the kernel with {@code trap}. Runs inside the user continuation of {@code self}. */
    public static void trap(Tcb self, int trap) {
        self.setTrap(trap);
        Continuation.yield(Tcb.USER_SCOPE);
    }
}
