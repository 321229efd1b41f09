package l4smp.kernel.space;

import l4smp.emulator.Machine;
import l4smp.emulator.cache.AccessKind;
import l4smp.emulator.cpu.Cpu;
import l4smp.emulator.cpu.SpinCondition;
import l4smp.emulator.memory.Mmu;
import l4smp.emulator.memory.PageFault;
import l4smp.emulator.memory.PageTables;
import l4smp.emulator.memory.PhysicalMemory;
import l4smp.kernel.Kernel;
import l4smp.kernel.Plant;
import l4smp.kernel.KernelCpuPort;
import l4smp.kernel.ThreadSpec;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.user.Sigma0;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * The address-space layer of one kernel: the page-table frame pool, the kernel area, sigma0's
 * space, the mapping database, the TLB shootdown, and per CPU the space whose page tables are
 * loaded (thesis 2.2, 8.8, 9.3).
 *
 * <p><b>Switching.</b> A CPU loads a thread's page directory when it runs a thread of another
 * space (flushing its untagged TLB, {@code mov cr3}); threads of the flat space leave the last
 * space loaded (the kernel's lazy switch), so that space's entries may stay cached and shootdowns
 * still count it. The loaded space is published (volatile) for target selection (9.3 option 1).
 *
 * <p><b>Memory.</b> Sigma0 owns the user frames {@code [0, poolFirst)}; page directories and
 * page tables come from a pool of frames just below the kernel region (1/8 of memory).
 *
 * <p>Thread contract: setup methods before the machine runs; the rest on the CPU named.
 */
public final class Spaces {

    final SpaceMappings spaceMappings = new SpaceMappings(this);
    private final ShootdownHolds shootdownHolds = new ShootdownHolds(this);

    public static final String C_FAULTS = "space.page_faults";
    public static final String C_MAPS = "space.pages_mapped";
    public static final String C_UNMAPS = "space.unmap_calls";
    public static final String C_SWITCHES = "space.switches";
    public static final String C_SHOOTDOWNS = "tlb.shootdowns";
    public static final String C_SD_SENT = "tlb.shootdown_ipis_sent";
    public static final String C_SD_SAVED = "tlb.shootdown_ipis_saved";
    public static final String C_SD_FLUSHED = "tlb.shootdown_entries_flushed";
    public static final String C_XFER_FAULTS = "ipc.xfer_page_faults";

    static final int PAD = 16;

    final Kernel kernel;
    final Machine machine;
    final PhysicalMemory memory;
    final Mmu mmu;
    final FramePool pool;
    final MappingDatabase mdb;
    final TlbShootdown shootdown;
    final TlbShootdown.Policy policy;
    /** Diagnostics: the planted race {@link Plant#SHOOTDOWN_LINT} (shootdown under the lock). */
    final boolean plantShootdownLint;
    final AddressSpace sigma0Space;
    final int[] kernelPdes;
    final AtomicInteger nextId = new AtomicInteger(1);
    /** Per CPU, padded: the loaded space's id (-1 none) and the comm window's space id (-1 none). */
    final AtomicIntegerArray published;
    /** Per CPU (owner only): the loaded space and the comm window's. */
    final AddressSpace[] loaded;
    final AddressSpace[] comm;
    final int[] commFirstVa;
    final CpuSide[] sides;
    final SpaceIpc ipc;
    volatile ThreadId sigma0Thread = ThreadId.NIL;
    final int cFaults, cMaps, cUnmaps, cSwitches, cShootdowns, cSent, cSaved, cFlushed, cXferFaults;

    /** Per-CPU helpers: the sink that feeds the shootdown and charges PTE writes, the waiter. */
    final class CpuSide implements MappingDatabase.Sink, MappingDatabase.Waiter {
        final int index;
        final Cpu cpu;

        CpuSide(Cpu cpu) {
            this.cpu = cpu;
            this.index = cpu.index();
        }

        @Override
        public void pageRevoked(AddressSpace space, int va) {
            shootdown.add(index, space.id, va);
        }

        @Override
        public void pteWritten(long pteAddress) {
            cpu.touch(pteAddress, AccessKind.WRITE);
        }

        @Override
        public void await(SpinCondition condition, String reason) {
            // Interrupts enabled for shootdowns: service our pending requests while waiting.
            cpu.spinWaitUntil(() -> {
                cpu.orderPoint(); // the request and acknowledgement words are host state (no interleaving point)
                shootdown.service(index);
                return condition.isSatisfied();
            }, reason);
        }
    }

    Spaces(Kernel kernel, TlbShootdown.Policy policy) {
        this.kernel = kernel;
        this.machine = kernel.machine();
        this.memory = machine.physicalMemory();
        this.mmu = machine.mmu();
        this.policy = policy;
        this.plantShootdownLint = kernel.config().plant() == Plant.SHOOTDOWN_LINT;
        int kernelFirst = (int) (machine.kernelRegion().base() >>> 12);
        int poolFrames = Math.max(64, kernelFirst / 8);
        int poolFirst = kernelFirst - poolFrames;
        this.pool = new FramePool(memory, poolFirst, kernelFirst);
        // The kernel area (8.8): the kernel region, supervisor-only, through shared page tables.
        long regionBytes = machine.kernelRegion().limit() - machine.kernelRegion().base();
        int tables = (int) ((regionBytes + (4 << 20) - 1) >>> 22);
        this.kernelPdes = new int[tables];
        for (int i = 0; i < tables; i++) {
            int pt = pool.allocate();
            for (int j = 0; j < 1024; j++) {
                long pa = machine.kernelRegion().base() + ((long) i << 22) + ((long) j << 12);
                if (pa < machine.kernelRegion().limit()) {
                    memory.setIntVolatile(((long) pt << 12) + 4L * j, (int) pa | PageTables.PRESENT | PageTables.WRITABLE);
                }
            }
            kernelPdes[i] = pt << 12 | PageTables.PRESENT | PageTables.WRITABLE;
        }
        this.sigma0Space = new AddressSpace(0, "sigma0", newPageDirectory());
        this.mdb = new MappingDatabase(memory, pool, sigma0Space, poolFirst);
        int n = machine.cpuCount();
        long mask = 0;
        for (int i = 0; i < n; i++) {
            if (kernel.kernelCpu(i) != null && kernel.processorNumber(i) > 0) { // not masked out by the boot (8.2)
                mask |= 1L << i;
            }
        }
        this.published = new AtomicIntegerArray((n + 1) * PAD);
        for (int i = 0; i < n; i++) {
            published.set(slot(i), -1);
            published.set(slot(i) + 1, -1);
        }
        this.loaded = new AddressSpace[n];
        this.comm = new AddressSpace[n];
        this.commFirstVa = new int[n];
        this.sides = new CpuSide[n];
        for (int i = 0; i < n; i++) {
            sides[i] = new CpuSide(machine.cpu(i));
        }
        this.shootdown = new TlbShootdown(n, mask, new TlbShootdown.Cpus() {
            @Override
            public int currentSpaceVolatile(int cpu) {
                return published.get(slot(cpu));
            }

            @Override
            public int commSpaceVolatile(int cpu) {
                return published.get(slot(cpu) + 1);
            }

            @Override
            public int invalidate(int cpu, int space, int va) {
                return invalidateLocal(cpu, space, va);
            }

            @Override
            public int flushAll(int cpu) {
                if (mmu == null) {
                    return 0;
                }
                int had = mmu.tlb(cpu).sizePlain();
                mmu.flushTlb(cpu);
                return had;
            }

            @Override
            public void sendIpi(int from, long m) {
                machine.cpu(from).sendIpi(m, TlbShootdown.VECTOR);
            }
        });
        var names = machine.counterNames();
        cFaults = names.register(C_FAULTS);
        cMaps = names.register(C_MAPS);
        cUnmaps = names.register(C_UNMAPS);
        cSwitches = names.register(C_SWITCHES);
        cShootdowns = names.register(C_SHOOTDOWNS);
        cSent = names.register(C_SD_SENT);
        cSaved = names.register(C_SD_SAVED);
        cFlushed = names.register(C_SD_FLUSHED);
        cXferFaults = names.register(C_XFER_FAULTS);
        this.ipc = new SpaceIpc(this);
    }

    static int slot(int cpu) {
        return (cpu + 1) * PAD;
    }

    /** The address-space layer of {@code kernel}, with the shootdown policy of its configuration. Setup. */
    public static Spaces create(Kernel kernel) {
        if (kernel.machine().runningOpaque()) {
            throw new IllegalStateException("address spaces are set up before the machine runs");
        }
        return new Spaces(kernel, kernel.config().shootdownPolicy());
    }

    // ---- setup ------------------------------------------------------------------------------

    /** A new, empty address space (setup, or a thread-control call). Thread-safe. */
    public AddressSpace createSpace(String name) {
        AddressSpace s = new AddressSpace(nextId.getAndIncrement(), name, newPageDirectory());
        MappingDatabase.Waiter w = machine.runningOpaque() && Cpu.current() != null
                ? sides[Cpu.current().index()] : MappingDatabase.SPIN;
        mdb.lock(w);
        try {
            mdb.register(s);
        } finally {
            mdb.unlock();
        }
        return s;
    }

    /** A page directory with the kernel area's entries (8.8). */
    long newPageDirectory() {
        long pd = (long) pool.allocate() << 12;
        int first = (int) (AddressSpace.KERNEL_AREA >>> 22);
        for (int i = 0; i < kernelPdes.length && first + i < 1024; i++) {
            memory.setIntVolatile(pd + 4L * (first + i), kernelPdes[i]);
        }
        return pd;
    }

    /** Puts the thread {@code id} (created, not yet run) into {@code space} with {@code pager}. Setup. */
    public void assign(ThreadId id, AddressSpace space, ThreadId pager) {
        Tcb t = kernel.lookup(id);
        if (t == null) {
            throw new IllegalArgumentException("no thread " + id);
        }
        t.setSpace(space);
        t.setPager(pager == null ? ThreadId.NIL : pager);
        space.threads++;
    }

    /** Creates a thread in {@code space} with {@code pager} (setup). */
    public ThreadId createThread(ThreadSpec spec, AddressSpace space,
                                                     ThreadId pager) {
        ThreadId id = kernel.createThread(spec);
        assign(id, space, pager);
        return id;
    }

    /** Starts sigma0 (a daemon in sigma0's space) on {@code cpu}; returns its id. Setup, once. */
    public ThreadId startSigma0(int cpu) {
        if (!sigma0Thread.isNil()) {
            throw new IllegalStateException("sigma0 runs already");
        }
        ThreadId id = kernel.createThread(
                new ThreadSpec("sigma0", cpu, 250, true, new Sigma0(mdb.userFrames())));
        assign(id, sigma0Space, ThreadId.NIL);
        sigma0Thread = id;
        return id;
    }

    public ThreadId sigma0() {
        return sigma0Thread;
    }

    // ---- accessors -----------------------------------------------------------------------------

    public MappingDatabase mappingDatabase() {
        return mdb;
    }

    public TlbShootdown shootdown() {
        return shootdown;
    }

    public TlbShootdown.Policy policy() {
        return policy;
    }

    public FramePool framePool() {
        return pool;
    }

    public AddressSpace sigma0Space() {
        return sigma0Space;
    }

    /** The long-IPC path across spaces (IpcPath hooks). */
    public SpaceIpc ipc() {
        return ipc;
    }

    public Kernel kernel() {
        return kernel;
    }

    CpuSide side(int cpu) {
        return sides[cpu];
    }

    // ---- switching (owner CPU) ---------------------------------------------------------------

    /**
     * Before {@code t} runs on {@code k}'s CPU: loads its space (flushing the TLB) and, when a
     * page fault of a long IPC was resolved for it, redoes the interrupted IPC instead of
     * resuming its program, or starts the fault IPC of a long IPC left pending for it. Returns true when the thread is not to be resumed now.
     */
    public boolean beforeRun(KernelCpuPort k, Tcb t) {
        if (t.space() != null) {
            load(k.index(), t.space());
        }
        FaultState f = t.fault();
        if (f != null && f.pendingKind != FaultState.NONE) {
            return ipc.startPending(k, t); // a receiver's fault IPC, deferred (SpaceIpc, "Faults")
        }
        if (f != null && f.kind != FaultState.NONE) {
            return ipc.afterFault(k, t);
        }
        return false;
    }

    /** Makes {@code s} the loaded space of {@code cpu} (owner). */
    void load(int cpu, AddressSpace s) {
        if (loaded[cpu] == s) {
            return;
        }
        // Publish before translating in it (9.3 option 1: the initiator reads it after clearing PTEs).
        published.set(slot(cpu), s.id);
        loaded[cpu] = s;
        Cpu c = machine.cpu(cpu);
        c.counters().increment(cSwitches);
        if (mmu != null) {
            mmu.flushTlb(cpu);
        }
    }

    /** The space loaded on {@code cpu} (owner), or null. */
    public AddressSpace loaded(int cpu) {
        return loaded[cpu];
    }

    void setComm(int cpu, AddressSpace s, int firstVa) {
        comm[cpu] = s;
        commFirstVa[cpu] = firstVa;
        published.set(slot(cpu) + 1, s == null ? -1 : s.id);
    }

    int invalidateLocal(int cpu, int space, int va) {
        if (mmu == null) {
            return 0;
        }
        int dropped = 0;
        AddressSpace cur = loaded[cpu];
        if (cur != null && cur.id == space && mmu.tlb(cpu).cachesPagePlain(va)) {
            mmu.invalidatePage(cpu, va);
            dropped++;
        }
        AddressSpace cs = comm[cpu];
        if (cs != null && cs.id == space) {
            long off = Integer.toUnsignedLong(va) - Integer.toUnsignedLong(commFirstVa[cpu]);
            if (off >= 0 && off < AddressSpace.COMM_WINDOW) {
                int alias = (int) (AddressSpace.commWindow(cpu) + off);
                if (mmu.tlb(cpu).cachesPagePlain(alias)) {
                    mmu.invalidatePage(cpu, alias);
                    dropped++;
                }
            }
        }
        return dropped;
    }

    // ---- translation (owner CPU) -------------------------------------------------------------

    /**
     * Translates {@code va} of the space loaded on {@code cpu} (through its page directory
     * {@code pd}), charging TLB misses and walks to the CPU; returns the physical address or a
     * negative fault value ({@link Mmu#isFault}).
     */
    public long translate(Cpu cpu, long pd, int va, boolean write) {
        if (mmu != null) {
            long r = mmu.translate(cpu.index(), pd, va, write, true);
            long c = mmu.takeCycles(cpu.index());
            if (c != 0) {
                cpu.advance(c);
            }
            return r;
        }
        // No accounting layer: walk the tables without a TLB.
        int pde = memory.intAcquire(PageTables.pdeAddress(pd, va));
        int err = (write ? PageFault.WRITE : 0) | PageFault.USER;
        if ((pde & PageTables.PRESENT) == 0) {
            return -1L - err;
        }
        int pte = memory.intAcquire(PageTables.pteAddress(pde, va));
        if ((pte & PageTables.PRESENT) == 0) {
            return -1L - err;
        }
        int rights = pde & pte;
        if ((rights & PageTables.USER) == 0 || (write && (rights & PageTables.WRITABLE) == 0)) {
            return -1L - (err | PageFault.PROTECTION);
        }
        return Integer.toUnsignedLong(pte & PageTables.FRAME_MASK) | (va & 0xFFF);
    }

    // ---- map and unmap (owner CPU of the caller) ---------------------------------------------

    static int fpageLog2(long fpage) {
        return (int) (fpage >>> 4) & 0x3F;
    }

    static long lenOf(int log2) {
        return 1L << log2;
    }

    static long mask(int log2) {
        return ~(lenOf(log2) - 1);
    }

    // ---- checks (machine stopped) --------------------------------------------------------------

    /** The page directory loaded per CPU, or -1 (for {@code Mmu.checkTlbs}). Machine stopped. */
    public long[] pageDirectoryPerCpu() {
        long[] pd = new long[loaded.length];
        for (int i = 0; i < pd.length; i++) {
            pd[i] = loaded[i] == null ? -1 : loaded[i].pageDirectory;
        }
        return pd;
    }

    /**
     * Every invariant: the mapping database against itself and the page tables, and every TLB
     * against the page tables of its CPU's loaded space. Empty when consistent. Machine stopped.
     */
    public List<String> check() {
        List<String> out = new ArrayList<>(mdb.check());
        if (mmu != null) {
            out.addAll(mmu.checkTlbs(pageDirectoryPerCpu()));
        }
        for (int i = 0; i < comm.length; i++) {
            if (comm[i] != null) {
                out.add("cpu" + i + ": comm window still holds " + comm[i]);
            }
        }
        return out;
    }

    /** Spaces created so far (sigma0's included). */
    public int spaceCount() {
        return nextId.get();
    }

    /**
     * Maps or grants the flexpage {@code fpage} (in {@code src}, with send base {@code sendBase})
     * into {@code dst} within the receive window {@code window} (X.2 placement: the larger of
     * the two decides through the send base). Returns the pages mapped. Holds the database lock
     * and shoots down what replaced mappings revoked.
     */
    public int mapFpage(Cpu cpu, AddressSpace src, long sendBase, long fpage, AddressSpace dst, long window, boolean grant) {
        return spaceMappings.mapFpage(cpu, src, sendBase, fpage, dst, window, grant);
    }

    /**
     * Unmaps the flexpage {@code fpage} of {@code space} (rights bits: the rights to revoke),
     * recursively; with {@code own}, the caller's own mappings too (X.2 flush). Returns the
     * fpage with the reference bits of the caller's pages ORed in (X.2 status). Holds the
     * database lock and waits for the shootdown.
     */
    public long unmap(Cpu cpu, AddressSpace space, long fpage, boolean own) {
        return spaceMappings.unmap(cpu, space, fpage, own);
    }

    /** The shootdown IPI arrived on {@code k}'s CPU (KernelCpu.onInterrupt hook). */
    public void onShootdownIpi(KernelCpuPort k) {
        spaceMappings.onShootdownIpi(k);
    }

    /**
     * The holds of TLB shootdowns under the kernel's spinlocks (see "No lock across a
     * shootdown" in SpaceMappings).
     */
    public ShootdownHolds shootdownHolds() {
        return shootdownHolds;
    }
}
