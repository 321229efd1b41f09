package l4smp.kernel.space;

import l4smp.emulator.cache.AccessKind;
import l4smp.emulator.cpu.Cpu;
import l4smp.emulator.memory.Mmu;
import l4smp.emulator.memory.PageTables;
import l4smp.emulator.memory.PhysicalMemory;
import l4smp.kernel.Kernel;
import l4smp.kernel.KernelCpuPort;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.ipc.StringTransfer;
import l4smp.kernel.ipc.Timeout;
import l4smp.kernel.ipc.Transfer;
import l4smp.kernel.ipc.TypedItems;
import l4smp.kernel.thread.KernelResume;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.thread.ThreadState;

/**
 * The copy of one string between address spaces on one CPU (thesis 8.8.2): the partner's buffer
 * mapped into this CPU's comm window, each line translated through the loaded page tables and
 * copied through the accounting layer, bounded by the transfer deadline; a translation that
 * faults stops the copy and records where (8.4.2). Owner CPU only; the copy loop allocates
 * nothing.
 */
final class SpaceCopy {

    private final SpaceIpc spaceIpc;

    SpaceCopy(SpaceIpc spaceIpc) {
        this.spaceIpc = spaceIpc;
    }

    /**
     * Copies one piece of a string, from byte {@code offset}: done, failed, or
     * {@link Transfer#FAULTED} (the faulting thread's {@link FaultState} holds the address and
     * access; {@code seg.partial} the bytes of the piece copied before the faulting one). The
     * transfer deadline is checked after every line ({@code Long.MAX_VALUE} until the transfer's
     * first fault); on expiry the codes follow the space of the last fault
     * ({@code receiverFaultedLast}, see {@link SpaceIpc#transferTyped}).
     */
    Transfer copy(KernelCpuPort k, Tcb from, Tcb to, long srcVa, long dstVa, int length, int offset, long deadline,
                  boolean receiverFaultedLast, SpaceSegments seg) {
        Cpu cpu = k.cpu();
        int c = cpu.index();
        AddressSpace src = from.space();
        AddressSpace dst = to.space();
        int n = Math.min(StringTransfer.copyLimit(srcVa, length, userEnd(src)),
                StringTransfer.copyLimit(dstVa, length, userEnd(dst)));
        if (n < length) {
            // Clipped at the end of a user area (StringTransfer): the part inside is copied (it
            // may fault or time out as any piece), then message overflow with it counted.
            Transfer r = n > offset
                    ? copy(k, from, to, srcVa, dstVa, n, offset, deadline, receiverFaultedLast, seg) : Transfer.DONE;
            if (!r.done()) {
                return r;
            }
            seg.partial = n;
            return Transfer.failedBoth(IpcError.MESSAGE_OVERFLOW);
        }
        if (length == offset) {
            return Transfer.DONE;
        }
        // Which space is loaded, which one goes through the comm window.
        AddressSpace cur = spaceIpc.spaces.loaded(c);
        if (cur == null || (cur != src && cur != dst)) {
            // Locally the invoker's side; across processors the receiver's (active receiver, 8.3.2).
            boolean receiverSide = dst != null && (src == null || from.cpuAcquire() != c);
            spaceIpc.spaces.load(c, receiverSide ? dst : src);
            cur = spaceIpc.spaces.loaded(c);
        }
        boolean srcViaComm = src != null && src != cur;
        boolean dstViaComm = dst != null && dst != cur;
        AddressSpace other = srcViaComm ? src : dstViaComm ? dst : null;
        long otherVa = srcViaComm ? srcVa : dstVa;
        long region = otherVa & ~((4L << 20) - 1);
        long window = AddressSpace.commWindow(c);
        int windowPde = (int) (window >>> 22);
        if (other != null) {
            // 8.8.2: map the partner's buffer into this CPU's comm window (two PDEs, 8 MB). The
            // window's space is published first (volatile, in setComm): an unmap that clears a
            // PTE of it then reads it and shoots this CPU down, or this CPU's walk sees the
            // cleared PTE and faults (TlbShootdown, 9.3 option 1).
            spaceIpc.spaces.setComm(c, other, (int) region);
            for (int p = 0; p < 2; p++) {
                long from4m = region + ((long) p << 22);
                int pde = from4m < AddressSpace.USER_LIMIT
                        ? spaceIpc.memory.intVolatile(other.pageDirectory + 4L * (int) (from4m >>> 22)) : 0;
                spaceIpc.memory.setIntVolatile(cur.pageDirectory + 4L * (windowPde + p), pde);
                cpu.touch(cur.pageDirectory + 4L * (windowPde + p), AccessKind.WRITE);
            }
        }
        byte[] buf = spaceIpc.buffers[c];
        SpaceIpc.PageRange range = spaceIpc.ranges[c];
        range.reset();
        int line = cpu.cost().lineBytes();
        int done = offset;
        try {
            while (done < length) {
                long s = srcVa + done;
                long d = dstVa + done;
                int chunk = Math.min(line - (int) (s % line), length - done);
                chunk = Math.min(chunk, line - (int) (d % line));
                long sPa = translateLine(cpu, cur, src, srcViaComm, s, region, window, false, range);
                if (Mmu.isFault(sPa)) {
                    seg.partial = done;
                    return fault(from, from, (int) s, false);
                }
                long dPa = translateLine(cpu, cur, dst, dstViaComm, d, region, window, true, range);
                if (Mmu.isFault(dPa)) {
                    seg.partial = done;
                    return fault(from, to, (int) d, true);
                }
                cpu.touch(sPa, AccessKind.READ);
                if (cpu.clock() > deadline) {
                    seg.partial = done;
                    return SpaceIpc.xferTimeout(receiverFaultedLast);
                }
                spaceIpc.memory.readBytesPlain(sPa, buf, 0, chunk);
                spaceIpc.memory.writeBytesPlain(dPa, buf, 0, chunk);
                cpu.touch(dPa, AccessKind.WRITE);
                done += chunk;
                if (cpu.clock() > deadline && done < length) {
                    seg.partial = done;
                    return SpaceIpc.xferTimeout(receiverFaultedLast);
                }
            }
            return Transfer.DONE;
        } finally {
            if (other != null) {
                // Unmap the comm window and forget its translations (8.8.2).
                spaceIpc.memory.setIntVolatile(cur.pageDirectory + 4L * windowPde, 0);
                spaceIpc.memory.setIntVolatile(cur.pageDirectory + 4L * (windowPde + 1), 0);
                if (spaceIpc.mmu != null && range.high >= 0) {
                    if (range.high - range.low >= 32) {
                        spaceIpc.mmu.flushTlb(c);
                    } else {
                        for (int p = range.low; p <= range.high; p++) {
                            spaceIpc.mmu.invalidatePage(c, p << 12);
                        }
                    }
                }
                spaceIpc.spaces.setComm(c, null, 0);
            }
        }
    }

    /**
     * One side's translation of the line at {@code va} of {@code space} (null: the flat space,
     * identity): through the loaded tables, at the comm-window alias when {@code viaComm} (whose
     * page joins {@code range}). Returns the physical address or a fault value.
     */
    long translateLine(Cpu cpu, AddressSpace cur, AddressSpace space, boolean viaComm, long va,
                               long region, long window, boolean write, SpaceIpc.PageRange range) {
        if (space == null) {
            return va;
        }
        long at = viaComm ? window + (va - region) : va;
        if (viaComm) {
            range.include(at);
        }
        return spaceIpc.spaces.translate(cpu, cur.pageDirectory, (int) at, write);
    }

    Transfer fault(Tcb sender, Tcb faulter, int va, boolean write) {
        FaultState s = SpaceIpc.state(sender);
        FaultState f = SpaceIpc.state(faulter);
        f.va = va;
        f.write = write;
        f.faultOnReceiver = faulter != sender;
        s.faultOnReceiver = faulter != sender;
        return Transfer.FAULTED;
    }

    /** The end of the user area of {@code s} (null: the flat space, below the kernel's region). */
    long userEnd(AddressSpace s) {
        return s == null ? spaceIpc.spaces.kernel().machine().kernelRegion().base() : AddressSpace.USER_LIMIT;
    }
}
