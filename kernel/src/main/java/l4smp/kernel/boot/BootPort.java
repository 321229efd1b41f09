package l4smp.kernel.boot;

import l4smp.kernel.KernelCpu;
import l4smp.kernel.thread.Tcb;

/**
 * What the SMP boot (thesis 8.2, {@link SmpBoot}) may do to the kernel beyond its public view:
 * admit a setup thread to the CPU that booted, mark a CPU's boot done, and end a setup thread
 * whose processor did not come up. The kernel hands an implementation to the boot at
 * construction; no other code holds one.
 *
 * <p>Thread contract: {@link #admit} and {@link #bootDone} on the CPU {@code kcpu} itself (an AP
 * after its release, the BSP after the publication); {@link #setupThreadFailed} on the BSP.
 */
public interface BootPort {

    /** Admits setup thread {@code t} to {@code kcpu}'s ready list (owner CPU only). */
    void admit(KernelCpu kcpu, Tcb t);

    /** The end of the SMP boot on {@code kcpu}: it runs threads as processor {@code number}. */
    void bootDone(KernelCpu kcpu, int number);

    /** Setup thread {@code t} has no processor (its index is at or above k): it ends, on the BSP. */
    void setupThreadFailed(KernelCpu bsp, Tcb t);
}
