package l4smp.kernel;

import l4smp.emulator.Machine;
import l4smp.emulator.apic.IoApic;
import l4smp.emulator.cache.AttributionTags;
import l4smp.kernel.api.KernelInfoPage;
import l4smp.kernel.boot.SmpBoot;
import l4smp.kernel.ipc.XpIpc;
import l4smp.kernel.irq.Device;
import l4smp.kernel.irq.InterruptPriorities;
import l4smp.kernel.irq.InterruptThreads;
import l4smp.kernel.space.Spaces;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.thread.ThreadState;
import l4smp.kernel.xcpu.Mailbox;
import l4smp.kernel.xcpu.XcpuFabric;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The L4 kernel on a {@link Machine}: the thread table and one {@link KernelCpu} per CPU.
 *
 * <p>{@link #boot} installs the kernel on every CPU; {@link #createThread} creates user threads
 * before the machine runs. The run ends when every non-daemon thread has ended; a machine that
 * goes quiet while non-daemon threads still wait is a deadlock, reported with every thread's
 * state.
 *
 * <p>Thread contract: setup methods on the setup thread; {@link #lookup} from any CPU (the table
 * and the TCBs' {@code myself} fields are read with acquire loads); the rest from the CPU that
 * owns the thread in question.
 */
public final class Kernel {

    final ThreadLifecycle threadLifecycle = new ThreadLifecycle(this);

    static final Logger LOG = LoggerFactory.getLogger(Kernel.class);

    public static final String C_TRAPS = "kernel.traps";
    public static final String C_SWITCHES = "kernel.thread_switches";
    public static final String C_IPC_LOCAL = "ipc.local";
    public static final String C_IPC_ERRORS = "ipc.errors";
    public static final String C_THREAD_FAILURES = "thread.failures";
    public static final String C_SPURIOUS_IRQ = "irq.unhandled";
    public static final String C_TICKS = "kernel.timer_ticks";
    public static final String C_TIMESLICE_ENDS = "sched.timeslice_ends";
    public static final String C_IRQ_DELIVERED = "irq.delivered";
    public static final String C_IRQ_QUEUED = "irq.queued_while_in_service";
    public static final String C_IRQ_FORWARDED = "irq.forwarded";
    public static final String C_FPU_SWITCHES = "fpu.switches";
    /** Map and grant items validated and passed on (the space layer maps them, {@code SpaceIpc}). */
    public static final String C_MAP_ITEMS = "ipc.map_items";
    public static final String C_FPU_SAVES_AVOIDED = "fpu.saves_avoided";
    /** IPCs that crossed processors (counted on the receiver's CPU, where the copy ran). */
    public static final String C_IPC_XCPU = "ipc.xcpu";
    /** XCPU requests found by the mailbox check at a kernel exit or timer tick (8.3.4). */
    public static final String C_XCPU_FOUND_BY_POLLING = "xcpu.found_by_polling";
    /** XCPU requests found by the XCPU IPI's handler. */
    public static final String C_XCPU_FOUND_BY_IPI = "xcpu.found_by_ipi";
    /** XCPU requests found by a receive path's check (it looks before it decides to wait). */
    public static final String C_XCPU_FOUND_BY_RECEIVE = "xcpu.found_by_receive";
    /** XCPU IPIs sent. */
    public static final String C_XCPU_IPIS = "xcpu.ipis_sent";
    /** Triggers that sent no IPI (next check close enough, receiver not waiting, one pending). */
    public static final String C_XCPU_IPIS_SAVED = "xcpu.ipis_saved";
    /** Cross-processor sends aborted on request (send tag bit 12, design decision 4). */
    public static final String C_XCPU_ABORTS = "xcpu.aborted_on_request";
    /** Sends that found every mailbox to their destination in flight and ran again later. */
    public static final String C_XCPU_MAILBOX_RETRIES = "xcpu.mailbox_full_retries";
    /** Reply mailboxes consumed (8.4.1). */
    public static final String C_XCPU_REPLIES = "xcpu.replies";

    /**
     * The probe IPI: its handler does nothing but record when it ran and when the IPI was sent
     * ({@link KernelCpu#probeLog()}): the IPI-cost experiments of thesis 3.3.1 use it.
     */
    public static final int PROBE_VECTOR = 0xF8;

    /** The XCPU IPI (8.3.4): its handler sends the EOI and runs check_n_ack. */
    public static final int XCPU_VECTOR = 0xF0;

    /**
     * "A partner is gone": a thread ended, and a thread of the destination CPU had published a
     * closed receive from it; the handler fails such receives with "non-existing partner".
     */
    public static final int PARTNER_GONE_VECTOR = 0xF2;

    /**
     * The size of the thread table: thread numbers 1..MAX_THREADS-1 (the 18 number bits of an X.2
     * thread id), less the proxy range.
     */
    public static final int MAX_THREADS = 1 << ThreadId.NUMBER_BITS;
    /**
     * The proxy threads' numbers (8.4): {@code PROXY_BASE + mailbox index}, at most
     * {@link #PROXY_RANGE} of them (64 CPUs x 64 pairs x 2 mailboxes); no user thread gets one,
     * and no thread id reaches a proxy (8.8.4): their table slots stay empty.
     */
    public static final int PROXY_BASE = 1 << 16;
    public static final int PROXY_RANGE = 64 * 128;
    /** The most user threads one kernel holds (the interrupt threads' numbers and the proxies' apart). */
    public static final int MAX_USER_THREADS = MAX_THREADS - PROXY_RANGE - InterruptThreads.FIRST_USER_THREAD;

    final Machine machine;
    final KernelConfig config;
    final KernelInfoPage kip;
    final KernelCpu[] cpus;
    final AtomicReferenceArray<Tcb> table = new AtomicReferenceArray<>(MAX_THREADS);
    final AtomicInteger nextNumber = new AtomicInteger(InterruptThreads.FIRST_USER_THREAD);
    final AtomicInteger liveNonDaemon = new AtomicInteger();
    final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    final Set<ThreadId> warned = ConcurrentHashMap.newKeySet();
    final boolean[] lowestPriorityLines = new boolean[InterruptThreads.LINES];
    /** Interrupts raised while their line had no handler, held until one attaches. */
    final HeldInterrupts heldInterrupts = new HeldInterrupts(InterruptThreads.LINES);
    final InterruptPriorities irqPriorities = new InterruptPriorities(InterruptThreads.LINES);

    final XcpuFabric fabric;
    final boolean tcbLock;

    Kernel(Machine machine, KernelConfig config) {
        // The planted lost wake-up of 8.3.3: the cross-processor paths without the TCB lock.
        this(machine, config, config.plant() != Plant.LOST_WAKEUP);
    }

    Kernel(Machine machine, KernelConfig config, boolean tcbLock) {
        this.machine = machine;
        this.config = config;
        this.tcbLock = tcbLock;
        for (String c : List.of(C_TRAPS, C_SWITCHES, C_IPC_LOCAL, C_IPC_ERRORS,
                C_THREAD_FAILURES, C_SPURIOUS_IRQ, C_TICKS, C_TIMESLICE_ENDS, C_IRQ_DELIVERED, C_IRQ_QUEUED,
                C_IRQ_FORWARDED, C_FPU_SWITCHES, C_FPU_SAVES_AVOIDED, C_MAP_ITEMS, C_IPC_XCPU,
                C_XCPU_FOUND_BY_POLLING, C_XCPU_FOUND_BY_IPI, C_XCPU_FOUND_BY_RECEIVE, C_XCPU_IPIS,
                C_XCPU_IPIS_SAVED, C_XCPU_ABORTS, C_XCPU_MAILBOX_RETRIES, C_XCPU_REPLIES)) {
            machine.counterNames().register(c);
        }
        this.cpus = new KernelCpu[machine.cpuCount()];
        for (int i = 0; i < cpus.length; i++) {
            // The kernel runs on every CPU that has no dispatcher yet (an experiment may drive
            // some CPUs with dispatchers of its own).
            if (machine.cpu(i).dispatcher() == null) {
                cpus[i] = new KernelCpu(this, machine.cpu(i), config);
                machine.cpu(i).install(cpus[i]);
            }
        }
        machine.setQuiescenceHandler(this::onQuiescent);
        for (int line = 0; line < InterruptThreads.LINES; line++) {
            Tcb irq = new Tcb(InterruptThreads.id(line), "irq" + line, 0, 255, true, () -> {
                throw new IllegalStateException("an interrupt thread never runs");
            });
            irq.setHardwareLine(line);
            irq.setState(ThreadState.WAITING);
            threadLifecycle.placeInMemory(irq);
            table.setRelease(line, irq);
        }
        this.fabric = machine.cpuCount() > 1 ? new XcpuFabric(machine.cpuCount(), machine.kernelRegion()) : null;
        if (fabric != null) {
            installXcpu();
        }
        this.kip = new KernelInfoPage(machine.cpuCount(), machine.config().costModel().clockMhz() * 1000, config.abi());
        // 8.2: the SMP boot runs when the machine starts, if the kernel runs on every CPU (an
        // experiment that drives some CPUs with dispatchers of its own gets them all at once).
        this.smp = allKernel() ? new SmpBoot(this, new BootSide(this)) : null;
        if (smp == null && machine.config().failedCpus() != 0) {
            throw new IllegalArgumentException("failed CPUs need the kernel on every CPU (the boot detects them)");
        }
        // Migration (8.7.2): per CPU a lock word and a barrier line, each on its own line.
        int line = machine.kernelRegion().lineBytes();
        long base = machine.kernelRegion().allocateLines(2 * machine.cpuCount(), AttributionTags.SPINLOCK);
        this.migrationLocks = new long[machine.cpuCount()];
        this.migrationLines = new long[machine.cpuCount()];
        for (int i = 0; i < migrationLocks.length; i++) {
            migrationLocks[i] = base + (long) (2 * i) * line;
            migrationLines[i] = base + (long) (2 * i + 1) * line;
        }
    }

    /** Migration (8.7.2): per CPU a lock word and a barrier line (MigrationSide hands them out). */
    final long[] migrationLocks;
    final long[] migrationLines;
    /** The SMP boot (8.2), or null when some CPU runs another dispatcher (all up at once). */
    final SmpBoot smp;

    boolean allKernel() {
        for (KernelCpu k : cpus) {
            if (k == null) {
                return false;
            }
        }
        return true;
    }

    /** The SMP boot (8.2: numbering, masked CPUs, boot cycles), or null (see {@link #boot}). */
    public SmpBoot smpBoot() {
        return smp;
    }

    /**
     * The processor number (1..k) of physical CPU {@code physicalCpu}; 0 for a CPU the boot
     * masked out. The identity plus one without failed CPUs. Any CPU after the boot (a plain read
     * of the numbering the boot published with its release).
     */
    public int processorNumber(int physicalCpu) {
        return smp == null ? physicalCpu + 1 : smp.logicalOfPlain(physicalCpu) + 1;
    }

    /** The physical CPU of processor number {@code number} (1..k); -1 when there is none. Any CPU after the boot. */
    public int physicalCpu(int number) {
        if (number < 1 || number > highestProcessor()) {
            return -1;
        }
        return smp == null ? number - 1 : smp.physicalOfPlain(number - 1);
    }

    /** The highest processor number (k: processors are numbered 1..k; 7.1). */
    public int highestProcessor() {
        return kip.highestProcessorNumber();
    }

    /**
     * Sets the maximum controlled priority of {@code id} (X.2 MCP; default: its priority).
     * Setup only.
     */
    public void setMaximumControlledPriority(ThreadId id, int mcp) {
        if (machine.runningOpaque()) {
            throw new IllegalStateException("the MCP is set at setup");
        }
        if (mcp < 0 || mcp > 255) {
            throw new IllegalArgumentException("MCP must be 0..255, got " + mcp);
        }
        Tcb t = lookup(id);
        if (t == null) {
            throw new IllegalArgumentException("no thread " + id);
        }
        t.setMcp(mcp);
    }

    /** Every live user thread (reports and invariant checks; read when the machine stopped). */
    public List<Tcb> liveThreads() {
        return threadLifecycle.liveThreads();
    }

    /**
     * The proxy threads (one per mailbox, on the mailbox's destination CPU, 8.4, 8.8.4: kernel
     * threads, invisible to {@link #lookup}) and the cross-processor IPC path of every CPU.
     */
    void installXcpu() {
        long latency = config.xcpuMaxLatencyCycles() >= 0 ? config.xcpuMaxLatencyCycles()
                : machine.config().costModel().ipiDeliveryCycles();
        for (Mailbox m : fabric.mailboxes()) {
            if (m == null) {
                continue;
            }
            // Proxy ids lie in the proxy range, whose table slots stay empty: no thread id reaches a proxy (8.8.4).
            Tcb p = new Tcb(ThreadId.of(PROXY_BASE + m.index, 1), "proxy" + m.source + ">" + m.dest + "#" + m.slot,
                    m.dest, XpIpc.PROXY_PRIORITY, true, () -> {
                throw new IllegalStateException("a proxy runs in the kernel only");
            });
            p.setXpMailbox(m);
            p.setState(ThreadState.WAITING);
            threadLifecycle.placeInMemory(p);
            m.setProxyPlain(p);
        }
        for (KernelCpu k : cpus) {
            if (k != null) {
                XpIpc xp = new XpIpc(this, k.port, k.ipcPath(), fabric,
                        config.tcbLayout(), latency, config.copyOnSender(), tcbLock);
                k.ipcPath().setXp(xp);
                k.attachMigrationMailboxes(xp, fabric);
            }
        }
    }

    /** The kernel's statistics (read when the machine has stopped). */
    public KernelStatistics statistics() {
        return new KernelStatistics(this);
    }

    /** The XCPU mailboxes and flag lines, or {@code null} on a one-CPU machine. */
    public XcpuFabric xcpuFabric() {
        return fabric;
    }

    /**
     * The negative control of the TCB lock (tests only): the kernel without the lock of 8.3.3,
     * which loses wake-ups when sender and receiver enter IPC at once on two CPUs.
     */
    static Kernel bootWithoutTcbLockForTests(Machine machine, KernelConfig config) {
        return new Kernel(machine, config, false);
    }

    /** The address-space layer, created on first use (setup). */
    volatile Spaces spaces;

    /** The address-space layer (spaces, mapping database, sigma0, TLB shootdown); created at first call, at setup. */
    public Spaces spaces() {
        Spaces s = spaces;
        if (s == null) {
            synchronized (this) {
                s = spaces;
                if (s == null) {
                    s = Spaces.create(this);
                    spaces = s;
                }
            }
        }
        return s;
    }

    /** The address-space layer, or null when no one set it up. Any thread. */
    public Spaces spacesOrNullAcquire() {
        // Volatile read (acquire): pairs with the volatile store in spaces(), so a layer seen
        // here is seen fully constructed.
        return spaces;
    }

    /**
     * Whether the address-space layer is set up (it never goes away again). Any thread. The
     * dispatcher's test at each thread run (see IpcPath.hasXp: inlinable where Spaces is not
     * loaded).
     */
    public boolean hasSpacesAcquire() {
        // Volatile read (acquire): as in spacesOrNullAcquire().
        return spaces != null;
    }

    /**
     * Installs the kernel on every CPU of {@code machine}. Setup only. When the machine runs,
     * CPU 0 (the bootstrap processor) boots the others as thesis 8.2 describes ({@link SmpBoot}:
     * startup IPIs, numbers by fetch-and-add, barriers; a CPU that does not answer is masked out
     * and the numbering compacted); threads created at setup start after it.
     */
    public static Kernel boot(Machine machine) {
        return new Kernel(machine, KernelConfig.DEFAULT);
    }

    /** Installs the kernel with {@code config} on every CPU of {@code machine}. Setup only. */
    public static Kernel boot(Machine machine, KernelConfig config) {
        return new Kernel(machine, config);
    }

    public KernelConfig config() {
        return config;
    }

    public Machine machine() {
        return machine;
    }

    /**
     * Adds a device that raises its IO-APIC line periodically (its timeline runs on CPU 0).
     * Setup only.
     */
    public void addDevice(Device device) {
        if (machine.runningOpaque()) {
            throw new IllegalStateException("devices are added before the machine runs");
        }
        InterruptThreads.id(device.line()); // validates the line
        if (cpus[0] == null) {
            throw new IllegalStateException("devices need the kernel on CPU 0 (it keeps the device timeline)");
        }
        cpus[0].addDevice(device);
    }

    /**
     * Routes interrupt line {@code line} to CPU {@code cpu}, or to the lowest-priority CPU with
     * {@link l4smp.emulator.apic.IoApic#LOWEST_PRIORITY}. Attaching a handler routes a line to
     * the handler's CPU unless it was set to lowest priority. Setup only.
     */
    public void routeInterrupt(int line, int cpu) {
        machine.ioApic().route(line, cpu);
        lowestPriorityLines[line] = cpu == IoApic.LOWEST_PRIORITY;
    }

    /** Whether {@code line} is routed by lowest priority (set at setup). */
    boolean routedByLowestPriority(int line) {
        return lowestPriorityLines[line];
    }

    /** The attribution tag of TCBs in the naive layout (local and global fields mixed). */
    public static final String TCB_NAIVE_TAG = "TCB (naive layout)";

    /** The kernel info page (highest processor number at 0xB8). */
    public KernelInfoPage kernelInfoPage() {
        return kip;
    }

    /**
     * The TCB of {@code id} if that thread exists: the TCB's {@code myself} matches the id
     * (thesis 8.3.2: a stale version or a free TCB does not). Any CPU.
     */
    public Tcb lookup(ThreadId id) {
        if (id == null || id.isNil() || id.isAny()) {
            return null;
        }
        int number = id.number();
        if (number >= MAX_THREADS) {
            return null;
        }
        Tcb t = table.getAcquire(number);
        if (t == null) {
            return null;
        }
        ThreadId myself = t.myselfAcquire();
        return myself != null && myself.raw() == id.raw() ? t : null;
    }

    /**
     * The global id of the thread that local id {@code local} names in address space
     * {@code space} (null: the flat space), or null when no thread of that space has it. Any CPU:
     * the space is read after the acquire of the thread's {@code myself}, which its creation
     * released after setting the space.
     */
    public ThreadId resolveLocal(ThreadId local, l4smp.kernel.space.AddressSpace space) {
        return threadLifecycle.resolveLocal(local, space);
    }

    /** The priorities of the interrupt threads, which Schedule sets (any CPU). */
    public InterruptPriorities interruptPriorities() {
        return irqPriorities;
    }

    /** The kernel on CPU {@code index}. */
    public KernelCpu kernelCpu(int index) {
        return cpus[index];
    }

    /** Whether this is the first warning about {@code t} (so each thread warns once). */
    public boolean firstWarning(Tcb t) {
        return warned.add(t.id);
    }

    /** Reports of user threads that threw. */
    public List<String> failures() {
        synchronized (failures) {
            return List.copyOf(failures);
        }
    }

    /** Non-daemon threads that have not ended. */
    public int liveNonDaemonThreads() {
        return liveNonDaemon.get();
    }

    void onQuiescent(Machine m) {
        if (liveNonDaemon.get() == 0) {
            m.requestStop("all threads finished");
            return;
        }
        m.fail("deadlock: every CPU is idle with nothing pending, but " + liveNonDaemon.get()
                + " non-daemon thread(s) have not ended; threads: " + describeThreads(), null);
    }

    /**
     * Every live user thread with its CPU, state and partner, in thread-number order. A read-only
     * query: exact once the machine stopped; while it runs, a racy snapshot (acquire loads of the
     * table and the CPU, plain reads of the rest).
     */
    public List<ThreadView> threadViews() {
        return threadLifecycle.threadViews();
    }

    /** Every live thread with its CPU, state and partner (for deadlock reports). */
    public String describeThreads() {
        StringBuilder sb = new StringBuilder();
        for (ThreadView v : threadViews()) {
            sb.append(v.name()).append(" on CPU ").append(v.cpu()).append(": ").append(v.state())
                    .append(v.waitsFor().isEmpty() ? "" : " (" + v.waitsFor() + ")")
                    .append(v.daemon() ? " [daemon]" : "").append("; ");
        }
        return sb.toString();
    }

    String describe(ThreadId id) {
        Tcb t = lookup(id);
        return t != null ? t.toString() : id + " (gone)";
    }

    /**
     * Creates a user thread on its CPU before the machine runs (at run time, threads create
     * threads with {@code L4.createThread}). Returns its id.
     */
    public ThreadId createThread(ThreadSpec spec) {
        return threadLifecycle.createThread(spec);
    }

    /**
     * ThreadControl's delete of {@code t}, run on {@code t}'s CPU ({@code kcpu}) by the
     * cross-processor request that carried it (the kernel's paths only). Owner CPU of {@code t}.
     */
    public void deleteOnOwnCpu(KernelCpuPort kcpu, Tcb t) {
        threadLifecycle.threadEnded(cpus[kcpu.index()], t);
    }
}
