package l4smp.kernel.boot;

import l4smp.emulator.Machine;
import l4smp.emulator.cache.AccessKind;
import l4smp.emulator.cpu.Cpu;
import l4smp.emulator.cpu.MachineStoppedException;
import l4smp.emulator.stats.SingleWriterCounters;
import l4smp.kernel.Kernel;
import l4smp.kernel.KernelCpu;
import l4smp.kernel.ThreadSpec;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.xcpu.CpuXcpuMemory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The SMP boot of thesis 8.2, run on the simulated CPUs when the machine starts.
 *
 * <h2>Algorithm</h2>
 * <pre>
 *   BSP (physical CPU 0, in its onStart):
 *     write the shared tables (GDT/IDT lines the APs read); NUMBER = 1 (the BSP is processor 1)
 *     for each other physical CPU p, in order:                       (MP spec B.4: one at a time)
 *         EXPECT = p; INIT IPI; STARTUP IPI                          (ICR write + delivery each)
 *         poll NUMBER every POLL_CYCLES until it moved or apTimeout cycles passed
 *         timeout: cas(EXPECT, p, GIVEN_UP) won -> p is masked out; lost -> p claimed: wait for it
 *     wait until ARRIVED = APs up                                    (barrier 1)
 *     publish the numbering, the KIP's highest processor number k, the homes of the setup threads;
 *     RELEASE = k; RELEASE IPI to the APs                             ("released explicitly")
 *     take its threads; ADMITTED += 1; wait until ADMITTED = k        (barrier 2)
 *   AP p (idle until its STARTUP IPI, then in doWork):
 *     startup code (apInitCycles: real to protected mode, local tables); read the shared tables
 *     cas(EXPECT, p, CLAIMED) lost -> stay halted (the BSP masked it); won -> l = xadd(NUMBER, 1)
 *     ARRIVED += 1; idle until the RELEASE IPI; read RELEASE = k; take its threads;
 *     ADMITTED += 1; wait until ADMITTED = k
 *     then idle until a thread is created on it or migrated to it
 * </pre>
 * The protocol on the words is {@link StartupHandshake}; every access is charged through the
 * accounting layer (an AP's number is a locked read-modify-write of a line the BSP polls).
 *
 * <h2>Numbering (logical vs physical)</h2>
 * The thesis programs each local APIC so that its address is the processor number: after the
 * boot the number <em>is</em> the processor's identity, and a processor that did not answer is
 * "masked out by reordering the processor numbers such that the highest available processor
 * number can be decreased". Here: logical index l = processor number - 1 = the order in which
 * the processors took their numbers; since the BSP starts one AP at a time in physical order,
 * the numbering is the physical order with the failed CPUs left out (compacted). (The thesis
 * sends the startup IPI to all APs at once, and they race for their numbers; starting them one
 * at a time, as the MP specification's universal algorithm does, makes the numbering
 * independent of that race and lets the BSP's timeout name the CPU that did not answer. The
 * fetch-and-add stays, and holds for the broadcast too: jcstress
 * {@code StartupHandshakeStress.NumbersByFetchAndAdd}.) Everything the
 * kernel shows user code is logical: the KIP's highest processor number k, the UTCB processor
 * number, {@code schedule}'s processor argument (a masked processor has no number, so a number
 * above k is refused with error 5, invalid), the partner processor of an aborted XP IPC, and the
 * {@link ThreadSpec#cpu()} of threads created at setup (index 0..k-1). Inside the kernel a
 * thread's {@code cpu} stays the physical CPU ({@link Kernel#processorNumber},
 * {@link Kernel#physicalCpu} translate). Without failures the two coincide.
 *
 * <h2>Setup threads</h2>
 * Threads created before the run ({@link Kernel#createThread}) wait here, by logical index;
 * the BSP gives each its physical home before the release, and each processor admits its own
 * after it (implementation decision 3). A thread for an index at or above k fails with a report
 * naming it: the run fails, nothing hangs.
 *
 * <h2>Timeout and simulated time</h2>
 * The timeout is simulated time on the BSP. In deterministic mode and in parallel mode with a
 * bounded slack the BSP cannot run more than the slack ahead of a starting AP (its pending
 * STARTUP IPI counts with its arrival), so only a CPU that never runs times out. With
 * {@code --slack unbounded} in parallel mode a live AP that the host is slow to wake may miss a
 * short timeout: it then loses the claim race and stays halted and masked, with a warning.
 *
 * <p>Thread contract: setup methods on the setup thread; {@link #bootstrap} on the BSP;
 * {@link #apWork} and {@link #onStartupIpi} on their AP (each AP its own slot of the phase
 * arrays); the results are written by the BSP
 * before the release store and read by any CPU after it (every CPU passes the release's
 * acquire load before it runs a thread), or by anyone after the run.
 */
public final class SmpBoot {

    private static final Logger LOG = LoggerFactory.getLogger(SmpBoot.class);

    /** The INIT IPI (no vector on real hardware; a reserved number here). */
    public static final int INIT_VECTOR = 0x01;
    /** The STARTUP IPI: vector 0x08, the AP trampoline page at 0x8000 (MP spec B.4). */
    public static final int STARTUP_VECTOR = 0x08;
    /** The release of the APs after the numbering is published (8.2: "released explicitly"). */
    public static final int RELEASE_VECTOR = 0x09;
    /**
     * Default AP timeout: 1,000,000 cycles (2.2 ms at 450 MHz): an AP answers about 1,100 cycles
     * after its STARTUP IPI plus its startup code; anything slower is taken as absent.
     */
    public static final long DEFAULT_AP_TIMEOUT_CYCLES = 1_000_000;
    /**
     * Default cycles of an AP's startup code (real to protected mode, paging on, local APIC
     * programmed, its dispatcher thread and local tables): an estimate, not a thesis figure.
     */
    public static final int DEFAULT_AP_INIT_CYCLES = 5_000;
    /** The BSP's delay between two polls of NUMBER while it waits for an AP (a udelay loop). */
    public static final int POLL_CYCLES = 500;
    /** Lines of the tables the BSP initialises and every AP reads (GDT, IDT: illustrative). */
    public static final int TABLE_LINES = 4;

    public static final String C_BOOT_CYCLES = "boot.cycles";
    public static final String C_AP_CYCLES = "boot.ap_cycles";
    public static final String C_STARTUP_IPIS = "boot.startup_ipis";
    public static final String C_APS_UP = "boot.aps_up";
    public static final String C_APS_MASKED = "boot.aps_masked";

    private final Kernel kernel;
    private final BootPort port;
    private final Machine machine;
    private final int n;
    private final int stride;
    private final long words;
    private final long tables;
    private long apTimeoutCycles = DEFAULT_AP_TIMEOUT_CYCLES;
    private int apInitCycles = DEFAULT_AP_INIT_CYCLES;
    /** Threads created at setup, by logical index. */
    private final List<List<Tcb>> setupThreads = new ArrayList<>();

    // ---- written by the BSP before the release --------------------------------------------
    private final int[] physicalOf;
    private final int[] logicalOf;
    private final long[] apCycles;
    private int highest;
    private long maskedMask;
    private long bootCycles = -1;
    private volatile boolean done;

    // ---- per AP, owner only ----------------------------------------------------------------
    private static final int WAIT_FOR_INIT = 0;
    private static final int WAIT_FOR_STARTUP = 1;
    private static final int STARTED = 2;
    private static final int WAIT_FOR_RELEASE = 3;
    private static final int RELEASED = 4;
    private static final int UP = 5;
    private static final int HALTED = 6;
    /** Each AP's boot phase (its own slot only). */
    private final int[] phase;
    private final int[] apLogical;

    public SmpBoot(Kernel kernel, BootPort port) {
        this.port = port;
        this.kernel = kernel;
        this.machine = kernel.machine();
        this.n = machine.cpuCount();
        this.stride = machine.kernelRegion().lineBytes();
        this.words = machine.kernelRegion().allocateLines(StartupHandshake.LINES, "boot");
        this.tables = machine.kernelRegion().allocateLines(TABLE_LINES, "boot");
        this.physicalOf = new int[n];
        this.logicalOf = new int[n];
        this.apCycles = new long[n];
        // Until the boot says otherwise the numbering is the identity (setup code may ask).
        for (int i = 0; i < n; i++) {
            physicalOf[i] = i;
            logicalOf[i] = i;
            apCycles[i] = -1;
            setupThreads.add(new ArrayList<>());
        }
        this.highest = n;
        this.phase = new int[n];
        this.apLogical = new int[n];
        for (String c : List.of(C_BOOT_CYCLES, C_AP_CYCLES, C_STARTUP_IPIS, C_APS_UP, C_APS_MASKED)) {
            machine.counterNames().register(c);
        }
    }

    // =========================================================================================
    // Setup
    // =========================================================================================

    /** The BSP's timeout for one AP, in simulated cycles (>= 1). Setup only. */
    public void setApTimeoutCycles(long cycles) {
        checkSetup();
        if (cycles < 1) {
            throw new IllegalArgumentException("AP boot timeout must be >= 1 cycle, got " + cycles);
        }
        this.apTimeoutCycles = cycles;
    }

    /** The cycles of an AP's startup code (>= 0). Setup only. */
    public void setApInitCycles(int cycles) {
        checkSetup();
        if (cycles < 0) {
            throw new IllegalArgumentException("AP startup cost must be >= 0 cycles, got " + cycles);
        }
        this.apInitCycles = cycles;
    }

    public long apTimeoutCycles() {
        return apTimeoutCycles;
    }

    private void checkSetup() {
        if (machine.runningOpaque()) {
            throw new IllegalStateException("the boot is configured before the machine runs");
        }
    }

    /** A thread created at setup for logical index {@code logical}: admitted after the boot. */
    public void addSetupThread(Tcb t, int logical) {
        setupThreads.get(logical).add(t);
    }

    // =========================================================================================
    // The BSP
    // =========================================================================================

    /** The BSP's boot path (its onStart): returns when every processor that came up runs. */
    public void bootstrap(KernelCpu bsp) {
        Cpu cpu = bsp.cpu();
        CpuXcpuMemory mem = new CpuXcpuMemory(cpu);
        SingleWriterCounters counters = cpu.counters();
        var names = counters.names();
        long start = cpu.clock();
        for (int i = 0; i < TABLE_LINES; i++) {
            cpu.storeInt(tables + (long) i * stride, i + 1); // the tables the APs will use
        }
        StartupHandshake.init(mem, words, stride);
        int bspIndex = cpu.index();
        physicalOf[0] = bspIndex;
        logicalOf[bspIndex] = 0;
        int up = 0;
        long apTotal = 0;
        for (int p = 0; p < n; p++) {
            if (p == bspIndex) {
                continue;
            }
            long t0 = cpu.clock();
            int before = StartupHandshake.expect(mem, words, stride, p);
            cpu.sendIpi(1L << p, INIT_VECTOR);
            cpu.sendIpi(1L << p, STARTUP_VECTOR);
            counters.add(names.indexOf(C_STARTUP_IPIS), 2);
            long deadline = cpu.clock() + apTimeoutCycles;
            boolean answered = pollUntilAnswered(cpu, mem, before, deadline);
            if (!answered && !StartupHandshake.giveUp(mem, words, stride, p)) {
                // It claimed its start just at the timeout: it takes its number now.
                cpu.spinWaitUntil(() -> machine.physicalMemory().intAcquire(words) != before,
                        "the number of CPU " + p + ", which claimed its start at the boot timeout");
                answered = true;
            }
            apCycles[p] = cpu.clock() - t0;
            apTotal += apCycles[p];
            if (answered) {
                int got = StartupHandshake.number(mem, words, stride) - 1;
                if (got != before) {
                    throw new IllegalStateException("boot: CPU " + p + " took number " + got + ", expected " + before);
                }
                up++;
                physicalOf[up] = p;
                logicalOf[p] = up;
            } else {
                logicalOf[p] = -1;
                maskedMask |= 1L << p;
                machine.warn("boot: CPU " + p + " did not answer its startup IPI within " + apTimeoutCycles
                        + " cycles: masked out (processor numbers compacted)");
            }
        }
        int aps = up;
        cpu.spinWaitUntil(() -> machine.physicalMemory().intAcquire(words + (long) StartupHandshake.ARRIVED * stride) == aps,
                "boot barrier 1: " + aps + " APs initialised");
        StartupHandshake.arrived(mem, words, stride); // the charged read of the barrier line
        int k = up + 1;
        for (int l = k; l < n; l++) {
            physicalOf[l] = -1;
        }
        highest = k;
        kernel.kernelInfoPage().setHighestProcessorNumber(k);
        if (kernel.spacesOrNullAcquire() != null) {
            kernel.spacesOrNullAcquire().shootdown().excludeCpus(maskedMask);
        }
        if (maskedMask != 0 && up == 0) {
            machine.warn("boot: no application processor answered; the kernel runs on the bootstrap processor only");
        }
        placeSetupThreads(bsp, k);
        counters.add(names.indexOf(C_APS_UP), up);
        counters.add(names.indexOf(C_APS_MASKED), Long.bitCount(maskedMask));
        counters.add(names.indexOf(C_AP_CYCLES), apTotal);
        // Release: the numbering, the KIP and the threads' homes above are published by it;
        // the IPI wakes the APs, which idle since their first barrier.
        StartupHandshake.release(mem, words, stride, k);
        long live = 0;
        for (int l = 1; l < k; l++) {
            live |= 1L << physicalOf[l];
        }
        if (live != 0) {
            cpu.sendIpi(live, RELEASE_VECTOR);
        }
        admitAndAwaitAll(bsp, mem, 0, k);
        bootCycles = cpu.clock() - start;
        counters.add(names.indexOf(C_BOOT_CYCLES), bootCycles);
        done = true;
        LOG.debug("boot: {} of {} processors up in {} cycles; masked {}", k, n, bootCycles, maskedCpus());
    }

    /**
     * Polls NUMBER until it moves past {@code before} (true) or the clock passes
     * {@code deadline} (false). Between two polls the BSP delays {@link #POLL_CYCLES}; in
     * parallel mode the slack bound keeps it from outrunning an AP that is starting.
     */
    private boolean pollUntilAnswered(Cpu cpu, CpuXcpuMemory mem, int before, long deadline) {
        while (true) {
            if (StartupHandshake.number(mem, words, stride) != before) {
                return true;
            }
            if (cpu.clock() >= deadline) {
                return false;
            }
            if (!machine.runningOpaque()) {
                throw new MachineStoppedException("machine stopped during the boot");
            }
            cpu.advance(POLL_CYCLES);
        }
    }

    /**
     * Gives each setup thread its physical home; threads for an index at or above k fail with a
     * report (the run fails). BSP, before the release.
     */
    private void placeSetupThreads(KernelCpu bsp, int k) {
        for (int l = 0; l < n; l++) {
            for (Tcb t : setupThreads.get(l)) {
                if (l < k) {
                    t.setCpuRelease(physicalOf[l]);
                } else {
                    t.setFailure(new IllegalStateException("thread " + t + " was created for processor index " + l
                            + " (processor number " + (l + 1) + "), but only " + k + " processors came up (0.." + (k - 1)
                            + "); masked physical CPUs: " + maskedCpus()));
                    port.setupThreadFailed(bsp, t);
                }
            }
        }
    }

    /** Admits the setup threads of {@code logical}, then waits until all k processors did (barrier 2). */
    private void admitAndAwaitAll(KernelCpu kcpu, CpuXcpuMemory mem, int logical, int k) {
        for (Tcb t : setupThreads.get(logical)) {
            port.admit(kcpu, t);
        }
        StartupHandshake.admitted(mem, words, stride);
        long address = words + (long) StartupHandshake.ADMITTED * stride;
        kcpu.cpu().spinWaitUntil(() -> machine.physicalMemory().intAcquire(address) == k,
                "boot barrier 2: " + k + " processors with their threads");
        port.bootDone(kcpu, logical + 1);
    }

    // =========================================================================================
    // An AP
    // =========================================================================================

    /** An INIT, STARTUP or RELEASE IPI taken by a CPU that has not booted. Owner (the AP) only. */
    public void onStartupIpi(KernelCpu ap, int vector) {
        int p = ap.index();
        if (vector == INIT_VECTOR && phase[p] == WAIT_FOR_INIT) {
            phase[p] = WAIT_FOR_STARTUP;
        } else if (vector == STARTUP_VECTOR && phase[p] == WAIT_FOR_STARTUP) {
            phase[p] = STARTED;
        } else if (vector == RELEASE_VECTOR && phase[p] == WAIT_FOR_RELEASE) {
            phase[p] = RELEASED;
        }
        // Anything else before the boot has nowhere to go: the kernel does not run here yet.
    }

    /**
     * The AP's duty cycle before it booted: 0 (idle, parked) while it waits for its STARTUP IPI
     * or its release, else the next part of its boot path. Owner (the AP) only.
     */
    public int apWork(KernelCpu ap) {
        int p = ap.index();
        Cpu cpu = ap.cpu();
        switch (phase[p]) {
            case STARTED -> {
                CpuXcpuMemory mem = new CpuXcpuMemory(cpu);
                cpu.advance(apInitCycles);
                for (int i = 0; i < TABLE_LINES; i++) {
                    cpu.touch(tables + (long) i * stride, AccessKind.READ);
                }
                int logical = StartupHandshake.claimNumber(mem, words, stride, p);
                if (logical < 0) {
                    phase[p] = HALTED;
                    machine.warn("boot: CPU " + p + " answered its startup IPI after the bootstrap processor's timeout ("
                            + apTimeoutCycles + " cycles): it stays halted and masked out");
                    return 1;
                }
                apLogical[p] = logical;
                StartupHandshake.arrive(mem, words, stride);
                phase[p] = WAIT_FOR_RELEASE; // idle until the BSP's release IPI
                return 1;
            }
            case RELEASED -> {
                CpuXcpuMemory mem = new CpuXcpuMemory(cpu);
                int k = StartupHandshake.released(mem, words, stride); // acquire: the numbering is visible
                if (k == 0) {
                    throw new IllegalStateException("boot: CPU " + p + " got the release IPI before the release word");
                }
                phase[p] = UP;
                admitAndAwaitAll(ap, mem, apLogical[p], k);
                return 1;
            }
            default -> {
                return 0;
            }
        }
    }

    // =========================================================================================
    // Results (after the release, or after the run)
    // =========================================================================================

    /** Whether the boot has finished (the BSP runs threads). Any thread. */
    public boolean doneVolatile() {
        return done;
    }

    /**
     * The logical index (processor number - 1) of physical CPU {@code physical}; -1 when masked.
     * Plain read: the BSP writes the numbering before its release store, and every CPU passes
     * the release's acquire load before it runs a thread. Any CPU after the boot.
     */
    public int logicalOfPlain(int physical) {
        return logicalOf[physical];
    }

    /** The physical CPU of logical index {@code logical} (0..k-1); -1 for none. Plain read, as {@link #logicalOfPlain}. */
    public int physicalOfPlain(int logical) {
        return logical < 0 || logical >= n ? -1 : physicalOf[logical];
    }

    /** The highest processor number k (the processors that came up). */
    public int highestProcessor() {
        return highest;
    }

    /** The physical CPUs masked out (did not answer), in order. */
    public List<Integer> maskedCpus() {
        List<Integer> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if ((maskedMask >>> i & 1) != 0) {
                list.add(i);
            }
        }
        return list;
    }

    /** The physical CPUs that came up, by logical index (the BSP first). */
    public List<Integer> liveCpus() {
        List<Integer> list = new ArrayList<>();
        for (int l = 0; l < highest; l++) {
            list.add(physicalOf[l]);
        }
        return list;
    }

    /** The BSP's cycles from the start of the boot to the last barrier; -1 before the end. */
    public long bootCycles() {
        return bootCycles;
    }

    /**
     * Per physical CPU, the BSP's cycles from its INIT IPI to the AP's answer (or to giving up);
     * -1 for the BSP.
     */
    public long[] apBootCycles() {
        return Arrays.copyOf(apCycles, n);
    }
}
