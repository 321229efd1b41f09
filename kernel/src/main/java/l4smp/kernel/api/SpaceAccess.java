package l4smp.kernel.api;

import l4smp.emulator.cache.AccessKind;
import l4smp.emulator.memory.Mmu;
import l4smp.kernel.KernelCpu;
import l4smp.kernel.KernelTraps;
import l4smp.kernel.Syscall;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.space.AddressSpace;
import l4smp.kernel.space.FaultAccess;
import l4smp.kernel.space.FaultState;
import l4smp.kernel.space.UnresolvedPageFault;
import l4smp.kernel.thread.Tcb;

/**
 * User memory accesses of the {@link L4} facade through the MMU: translation, and the page-fault
 * trap and retry (the hardware re-executes the faulting instruction after the pager's reply).
 * Runs inside the user continuation.
 */
final class SpaceAccess {

    private SpaceAccess() {
    }

    /** The physical address of {@code va} for an access of {@code self}, faulting as needed. */
    static long physical(Tcb self, long va, boolean write) {
        KernelCpu k = KernelCpu.of(self).preemptionPoint(self);
        if ((va & 3) != 0) {
            throw new IllegalArgumentException("unaligned word access at 0x" + Long.toHexString(va));
        }
        AddressSpace s = self.space();
        if (s == null) {
            long limit = k.cpu().machine().kernelRegion().base();
            if (va < 0 || va + 4 > limit) {
                throw new IllegalArgumentException("user memory is 0..0x" + Long.toHexString(limit) + "; access at 0x"
                        + Long.toHexString(va) + " is outside it");
            }
            return va;
        }
        return translate(self, va, write);
    }

    /**
     * Translates {@code va}, trapping on a fault until the pager resolved it. The caller looks
     * its CPU up again afterwards ({@link KernelCpu#of}): a trap may end on another CPU.
     */
    private static long translate(Tcb self, long va, boolean write) {
        if (va < 0 || va >= AddressSpace.USER_LIMIT) {
            throw new UnresolvedPageFault(va, "the kernel area (protection fault)");
        }
        KernelCpu k = KernelCpu.of(self);
        var spaces = k.kernel().spaces();
        while (true) {
            // The running thread's space is loaded (KernelCpu.run): translate through its tables.
            long pa = spaces.translate(k.cpu(), self.space().pageDirectory, (int) va, write);
            if (!Mmu.isFault(pa)) {
                return pa;
            }
            FaultState f = self.fault();
            if (f == null) {
                f = new FaultState();
                self.setFault(f);
            }
            FaultAccess.record(f, (int) va, write);
            KernelTraps.trap(self, Syscall.PAGE_FAULT);
            if (f.failed()) {
                String why = IpcError.describe(f.failedError());
                FaultAccess.clearFailed(f);
                throw new UnresolvedPageFault(va, "the page-fault IPC failed: " + why);
            }
            k = KernelCpu.of(self).preemptionPoint(self); // after the trap: maybe another CPU
        }
    }

    static void writeBytes(Tcb self, long address, byte[] bytes) {
        var memory = KernelCpu.of(self).cpu().machine().physicalMemory();
        int done = 0;
        while (done < bytes.length) {
            long va = address + done;
            int chunk = (int) Math.min(bytes.length - done, 4096 - (va & 0xFFF));
            long pa = translate(self, va & ~3L, true) + (va & 3);
            KernelCpu k = KernelCpu.of(self);
            memory.writeBytesPlain(pa, bytes, done, chunk);
            int line = k.cpu().cost().lineBytes();
            for (long a = pa - pa % line; a < pa + chunk; a += line) {
                k.cpu().touch(a, AccessKind.WRITE);
            }
            done += chunk;
        }
        KernelCpu.of(self).preemptionPoint(self);
    }

    static byte[] readBytes(Tcb self, long address, int length) {
        var memory = KernelCpu.of(self).cpu().machine().physicalMemory();
        byte[] out = new byte[length];
        int done = 0;
        while (done < length) {
            long va = address + done;
            int chunk = (int) Math.min(length - done, 4096 - (va & 0xFFF));
            long pa = translate(self, va & ~3L, false) + (va & 3);
            KernelCpu k = KernelCpu.of(self);
            int line = k.cpu().cost().lineBytes();
            for (long a = pa - pa % line; a < pa + chunk; a += line) {
                k.cpu().touch(a, AccessKind.READ);
            }
            memory.readBytesPlain(pa, out, done, chunk);
            done += chunk;
        }
        KernelCpu.of(self).preemptionPoint(self);
        return out;
    }
}
