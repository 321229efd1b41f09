package l4smp.kernel.space;

import l4smp.emulator.Machine;
import l4smp.emulator.cache.AccessKind;
import l4smp.emulator.cpu.Cpu;
import l4smp.emulator.memory.Mmu;
import l4smp.emulator.memory.PageFault;
import l4smp.emulator.memory.PageTables;
import l4smp.emulator.memory.PhysicalMemory;
import l4smp.kernel.Kernel;
import l4smp.kernel.KernelCpuPort;
import l4smp.kernel.thread.Tcb;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * The mapping paths of the spaces (X.2 map, grant and unmap; thesis 9.3): the walk of a user
 * access through the loaded page tables, a map or grant item installed from the sender's space
 * into the receiver's window, and an unmap with its TLB shootdown. The mapping database is
 * global (its lock); the calls run on the CPU that makes them.
 */
final class SpaceMappings {

    private final Spaces spaces;

    SpaceMappings(Spaces spaces) {
        this.spaces = spaces;
    }

    /**
     * Maps or grants the flexpage {@code fpage} (in {@code src}, with send base {@code sendBase})
     * into {@code dst} within the receive window {@code window} (X.2 placement: the larger of
     * the two decides through the send base). Returns the pages mapped. Holds the database lock
     * and shoots down what replaced mappings revoked.
     */
    public int mapFpage(Cpu cpu, AddressSpace src, long sendBase, long fpage, AddressSpace dst, long window,
                        boolean grant) {
        int fs = Spaces.fpageLog2(fpage);
        int ws = Spaces.fpageLog2(window);
        long fbase = fpage & ~0xFFFL & Spaces.mask(fs);
        long wbase = window & ~0xFFFL & Spaces.mask(ws);
        long srcStart;
        long dstStart;
        int size;
        if (fs <= ws) {
            size = fs;
            srcStart = fbase;
            dstStart = wbase + ((sendBase & ~0xFFFL) & (Spaces.lenOf(ws) - 1) & ~(Spaces.lenOf(fs) - 1));
        } else {
            size = ws;
            srcStart = fbase + ((sendBase & ~0xFFFL) & (Spaces.lenOf(fs) - 1) & ~(Spaces.lenOf(ws) - 1));
            dstStart = wbase;
        }
        long len = Spaces.lenOf(size);
        if (dstStart + len > AddressSpace.USER_LIMIT || srcStart + len > 0x1_0000_0000L) {
            return 0; // the window reaches into the kernel area: nothing is mapped there
        }
        int rights = (int) (fpage & MappingDatabase.RWX);
        Spaces.CpuSide side = spaces.sides[cpu.index()];
        int mapped = 0;
        spaces.mdb.lock(side);
        try {
            for (long off = 0; off < len; off += 4096) {
                if (spaces.mdb.map(src, (int) (srcStart + off), dst, (int) (dstStart + off), rights, grant, side)
                        == MappingDatabase.MAPPED) {
                    mapped++;
                }
            }
            if (spaces.plantShootdownLint) {
                completeShootdown(cpu); // planted race: the shootdown under the lock
            }
        } finally {
            spaces.mdb.unlock();
        }
        shootdownUnlocked(cpu);
        cpu.counters().add(spaces.cMaps, mapped);
        return mapped;
    }

    /**
     * Unmaps the flexpage {@code fpage} of {@code space} (rights bits: the rights to revoke),
     * recursively; with {@code own}, the caller's own mappings too (X.2 flush). Returns the
     * fpage with the reference bits of the caller's pages ORed in (X.2 status). Holds the
     * database lock and waits for the shootdown.
     */
    public long unmap(Cpu cpu, AddressSpace space, long fpage, boolean own) {
        int fs = Spaces.fpageLog2(fpage);
        long base = fpage & ~0xFFFL & Spaces.mask(fs);
        long len = Spaces.lenOf(fs);
        int rights = (int) (fpage & MappingDatabase.RWX);
        Spaces.CpuSide side = spaces.sides[cpu.index()];
        int status = 0;
        cpu.counters().increment(spaces.cUnmaps);
        spaces.mdb.lock(side);
        try {
            for (long off = 0; off < len && base + off < AddressSpace.USER_LIMIT; off += 4096) {
                int s = spaces.mdb.unmap(space, (int) (base + off), rights, own, side);
                if (s > 0) {
                    status |= s;
                }
                if (space.nodes == null && space != spaces.sigma0Space) {
                    break; // nothing mapped at all
                }
            }
            if (spaces.plantShootdownLint) {
                completeShootdown(cpu); // planted race: the shootdown under the lock
            }
        } finally {
            spaces.mdb.unlock();
        }
        shootdownUnlocked(cpu);
        return (fpage & ~0xFL) | status;
    }

    /*
     * No lock across a shootdown. The kernel's spinlocks (the mapping-database lock, the TCB locks
     * of 8.3.3, the mailbox locks) are waited for with interrupts disabled: a spinner services
     * TLB shootdown requests from their pending words only where it spins for the
     * mapping-database lock or for acknowledgements, and takes no IPI, so its LINT slots stay
     * occupied. A holder that sent IPIs could therefore wait for ever for a free LINT slot of a
     * spinner (thesis 3.3.1: two slots), or for the acknowledgement of a CPU that spins for the
     * holder's TCB lock, while the spinner waits for the holder. So the rule of every kernel
     * spinlock holds for shootdowns: a holder never waits for anything -- no IPI, no
     * acknowledgement. map and unmap revoke the page-table entries and record the pages under the
     * mapping-database lock, release it, and only then send the shootdown IPIs and wait for the
     * acknowledgements (servicing their own pending requests meanwhile, so two CPUs shooting each
     * other down never deadlock). A map that runs under a TCB lock (the receive path of a map
     * item sent across processors, whose proxy copies under the receiver's lock, XpMailboxCheck)
     * goes further: it invalidates its own CPU's TLB at once, but leaves the IPIs and the wait to
     * the release of the last such lock (ShootdownHolds.hold / release), and the
     * proxy's reply to the sender waits for that shootdown too (XpProxy). Either way the
     * operation is reported complete -- to the sender, or by the return of the call -- only
     * after every TLB that may cache a revoked page has dropped it; the pages are in the
     * initiator's own record, which no other CPU touches meanwhile. A CPU that maps the same page
     * again before the acknowledgements arrive only causes an extra invalidation.
     */
    private void shootdownUnlocked(Cpu cpu) {
        if (spaces.shootdown.held(cpu.index())) {
            spaces.shootdown.applyOwn(cpu.index()); // this CPU's TLB now; the others at the release
            return;
        }
        completeShootdown(cpu);
    }

    void completeShootdown(Cpu cpu) {
        int i = cpu.index();
        if (!spaces.shootdown.hasPending(i)) {
            return;
        }
        long sentBefore = spaces.shootdown.ipisSent(i);
        long savedBefore = spaces.shootdown.ipisSaved(i);
        cpu.orderPoint(); // the shootdown's request and acknowledgement words are host state other CPUs change
        spaces.shootdown.complete(i, spaces.policy, spaces.sides[i]);
        cpu.counters().increment(spaces.cShootdowns);
        cpu.counters().add(spaces.cSent, spaces.shootdown.ipisSent(i) - sentBefore);
        cpu.counters().add(spaces.cSaved, spaces.shootdown.ipisSaved(i) - savedBefore);
    }

    /** The shootdown IPI arrived on {@code k}'s CPU (KernelCpu.onInterrupt hook). */
    public void onShootdownIpi(KernelCpuPort k) {
        int i = k.index();
        long before = spaces.shootdown.entriesFlushed(i);
        k.cpu().orderPoint();
        spaces.shootdown.service(i);
        k.cpu().counters().add(spaces.cFlushed, spaces.shootdown.entriesFlushed(i) - before);
    }
}
