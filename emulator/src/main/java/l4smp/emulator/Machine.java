package l4smp.emulator;

import l4smp.emulator.apic.IoApic;
import l4smp.emulator.cache.ConcurrentAttributionRegistry;
import l4smp.emulator.cache.DirectoryMode;
import l4smp.emulator.cache.KernelRegion;
import l4smp.emulator.cache.MemorySystem;
import l4smp.emulator.memory.Mmu;
import l4smp.emulator.memory.PhysicalMemory;
import l4smp.emulator.cpu.BackoffIdleStrategy;
import l4smp.emulator.cpu.ConcurrentClockWaiters;
import l4smp.emulator.cpu.ConcurrentRunState;
import l4smp.emulator.cpu.Cpu;
import l4smp.emulator.cpu.CpuPinning;
import l4smp.emulator.cpu.Dispatcher;
import l4smp.emulator.cpu.OrderPassCache;
import l4smp.emulator.stats.CounterNames;
import l4smp.emulator.stats.SingleWriterCounters;
import l4smp.emulator.trace.EventLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * A simulated SMP machine: {@code cpus} CPUs with their local APICs, a cost model, the counters
 * and the trace, executed in parallel (a host thread per CPU) or deterministically (one host
 * thread stepping every CPU's continuation with a seeded {@link ScheduleStrategy}).
 *
 * <p>Lifecycle: construct; {@link Cpu#install install} a dispatcher on every CPU and register
 * extra counters ({@link #counterNames()}); {@link #run()} starts the CPUs and returns when the
 * machine stops: by {@link #requestStop}, by a failure ({@link #fail}), or when it is quiescent
 * (every CPU idle with no interrupt and no timer pending) and the {@link QuiescenceHandler}
 * decides so. A machine runs once.
 *
 * <p>Thread contract: setup methods on one thread before {@code run}; {@link #requestStop},
 * {@link #fail}, {@link #runningOpaque()} and the {@code ...Acquire} readers from any thread.
 */
public final class Machine {

    private static final Logger LOG = LoggerFactory.getLogger(Machine.class);

    public static final String C_IPI_SENT = "ipi.sent";
    public static final String C_IPI_TAKEN = "ipi.taken";
    public static final String C_LINT_WAITS = "ipi.lint_slot_waits";
    public static final String C_SLACK_WAITS = "cpu.slack_waits";
    public static final String C_IDLE_PARKS = "cpu.idle_parks";
    public static final String C_SPIN_ITERATIONS = "cpu.spin_iterations";
    public static final String C_IDLE_CYCLES = "cpu.idle_cycles";
    /**
     * Simulated cycles a CPU spent running guest (user-mode) code, from each kernel exit to the
     * guest's next trap; a CPU's clock less its idle and user cycles is its kernel time.
     */
    public static final String C_USER_CYCLES = "cpu.user_cycles";
    /** Host waits of a CPU at an interleaving point for a CPU behind it (parallel mode, exact timing). */
    public static final String C_ORDER_WAITS = "cpu.order_waits";
    /**
     * Interactions performed out of simulated-time order: an interleaving point passed while
     * another CPU that could still act on shared state was behind (parallel mode, lax timing).
     */
    public static final String C_TIMING_CORRECTIONS = "cpu.timing_corrections";

    /** Decides what a quiescent machine means (all done, or a deadlock to report). */
    @FunctionalInterface
    public interface QuiescenceHandler {
        /**
         * Called when every CPU idles with no interrupt and no timer pending. Runs on the
         * watchdog (parallel) or the stepper (deterministic) while no CPU runs. The handler
         * stops the machine ({@link #requestStop} or {@link #fail}); if it does not, the
         * machine stops as completed.
         */
        void onQuiescent(Machine machine);
    }

    private final MachineConfig config;
    private final Cpu[] cpus;
    /** The CPUs parked until another CPU's effective clock moves (parallel mode's waits). */
    private final ConcurrentClockWaiters clockWaiters;
    private final IoApic ioApic;
    private final PhysicalMemory physicalMemory;
    private final MemorySystem memorySystem;
    private final Mmu mmu;
    private final KernelRegion kernelRegion;

    /** The most physical memory reserved for kernel data. */
    public static final long KERNEL_REGION_BYTES = 16L << 20;
    private final CounterNames counterNames = new CounterNames();
    private final List<String> warnings = Collections.synchronizedList(new ArrayList<>());
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final DeterministicRandom random;
    /** The PCT scheduler, or {@code null} for the other strategies (stepper only). */
    private final PctSchedule pct;
    /** The stepper's steps so far (resumptions of a CPU's continuation); stepper only. */
    private long steps;
    /** The most steps a deterministic run may take before it fails as stalled (setup only). */
    private long stepLimit = Long.MAX_VALUE;
    private SingleWriterCounters[] counters;
    private EventLog[] logs;
    private java.util.function.IntFunction<EventLog.Spool> traceSpools;
    private EventLog.Listener traceListener;
    private QuiescenceHandler quiescenceHandler = m -> m.requestStop("quiescent");
    private volatile boolean running;
    private volatile boolean started;
    private volatile String stopReason;
    private volatile String failure;
    private volatile Throwable failureCause;
    private long hostStartNanos;
    private long hostEndNanos;

    public Machine(MachineConfig config) {
        this.config = config;
        this.random = new DeterministicRandom(config.seed());
        this.pct = config.deterministic() && config.strategy() == ScheduleStrategy.PCT
                ? new PctSchedule(config.seed(), config.cpus(), config.pctDepth(), config.pctSteps()) : null;
        for (String name : List.of(C_IPI_SENT, C_IPI_TAKEN, C_LINT_WAITS, C_SLACK_WAITS, C_IDLE_PARKS,
                C_SPIN_ITERATIONS, C_IDLE_CYCLES, C_USER_CYCLES, C_ORDER_WAITS, C_TIMING_CORRECTIONS)) {
            counterNames.register(name);
        }
        this.physicalMemory = new PhysicalMemory(config.memoryBytes());
        if (config.accounting()) {
            // One host thread (the stepper, or the one CPU thread): the directory's transitions
            // need no atomics (DirectoryMode; runParallel checks it).
            this.memorySystem = new MemorySystem(config.costModel(), config.cpus(), physicalMemory,
                    new ConcurrentAttributionRegistry(),
                    DirectoryMode.forMachine(config.deterministic(), config.cpus()));
            this.mmu = new Mmu(memorySystem);
        } else {
            this.memorySystem = null;
            this.mmu = null;
        }
        // 16 MiB (a quarter of smaller memories); a sixteenth of memories above 256 MiB, so that a
        // machine configured with more memory holds more TCBs (about 420 bytes each, with the UTCB).
        long kernelBytes = Math.min(Math.max(KERNEL_REGION_BYTES, config.memoryBytes() / 16), config.memoryBytes() / 4);
        long kernelBase = config.memoryBytes() - kernelBytes;
        this.kernelRegion = memorySystem != null
                ? KernelRegion.of(memorySystem, kernelBase, kernelBytes)
                : new KernelRegion(new ConcurrentAttributionRegistry(), kernelBase, kernelBytes,
                config.costModel().lineBytes());
        this.clockWaiters = new ConcurrentClockWaiters(config.cpus());
        this.cpus = new Cpu[config.cpus()];
        for (int i = 0; i < cpus.length; i++) {
            cpus[i] = new Cpu(i, this);
        }
        this.ioApic = new IoApic(this);
    }

    /** The simulated physical memory (real data). */
    public PhysicalMemory physicalMemory() {
        return physicalMemory;
    }

    /** The MESI/TLB accounting layer, or {@code null} when accounting is off. */
    public MemorySystem memorySystem() {
        return memorySystem;
    }

    /** The MMUs (per-CPU TLBs and the page walker), or {@code null} when accounting is off. */
    public Mmu mmu() {
        return mmu;
    }

    /**
     * The kernel's region of physical memory (the top of it, at most 16 MiB): TCB lines, ready
     * lists, mailboxes and spinlocks are allocated here, with an attribution tag each.
     */
    public KernelRegion kernelRegion() {
        return kernelRegion;
    }

    /**
     * Every counter of CPU {@code cpu} by name: the machine's and the kernel's, then the
     * accounting layer's ({@code mem.*}). Any thread; exact after the machine stopped.
     */
    public java.util.Map<String, Long> counterSnapshot(int cpu) {
        java.util.Map<String, Long> map = new java.util.LinkedHashMap<>();
        for (int i = 0; i < counterNames.size(); i++) {
            map.put(counterNames.name(i), counters == null ? 0L : counters[cpu].valueOpaque(i));
        }
        if (memorySystem != null) {
            for (l4smp.emulator.cache.MemoryEvent e : l4smp.emulator.cache.MemoryEvent.values()) {
                map.put("mem." + e.name().toLowerCase(java.util.Locale.ROOT), memorySystem.countOpaque(cpu, e));
            }
        }
        return map;
    }

    /** The IO-APIC that routes device interrupt lines to the CPUs. */
    public IoApic ioApic() {
        return ioApic;
    }

    /** Installs a dispatcher on every CPU. Setup only. */
    public void installAll(Function<Cpu, Dispatcher> factory) {
        for (Cpu cpu : cpus) {
            cpu.install(factory.apply(cpu));
        }
    }

    /** Sets what a quiescent machine means. Setup only. */
    public void setQuiescenceHandler(QuiescenceHandler handler) {
        this.quiescenceHandler = handler;
    }

    public MachineConfig config() {
        return config;
    }

    public int cpuCount() {
        return cpus.length;
    }

    public Cpu cpu(int index) {
        return cpus[index];
    }

    /** The counter names: register more before {@link #run()}. */
    public CounterNames counterNames() {
        return counterNames;
    }

    // =========================================================================================
    // Running
    // =========================================================================================

    /**
     * Starts the CPUs and returns when the machine has stopped. In deterministic mode the
     * calling thread is the stepper. Returns the outcome.
     */
    public RunOutcome run() {
        start();
        if (config.deterministic()) {
            runDeterministic();
        } else {
            runParallel();
        }
        hostEndNanos = System.nanoTime();
        return outcome();
    }

    private void start() {
        if (started) {
            throw new IllegalStateException("a machine runs once");
        }
        started = true;
        counterNames.freeze();
        counters = new SingleWriterCounters[cpus.length];
        logs = new EventLog[config.deterministic() ? 1 : cpus.length];
        for (int i = 0; i < logs.length; i++) {
            logs[i] = new EventLog(config.captureTrace(), config.maxTraceEvents());
            if (traceSpools != null) {
                logs[i].spoolTo(traceSpools.apply(i));
            }
            if (traceListener != null) {
                logs[i].listen(traceListener);
            }
        }
        for (int i = 0; i < cpus.length; i++) {
            counters[i] = new SingleWriterCounters(counterNames);
            EventLog log = config.deterministic() ? logs[0] : logs[i];
            cpus[i].prepare(counters[i], log, BackoffIdleStrategy.defaults());
        }
        running = true;
        hostStartNanos = System.nanoTime();
    }

    private void runParallel() {
        int[] cores = config.pinning() ? CpuPinning.allowedHostCores() : new int[0];
        List<Thread> threads = new ArrayList<>(cpus.length);
        for (Cpu cpu : cpus) {
            if (cpu.failed()) {
                continue; // a failed CPU never runs (fault injection, MachineConfig#failedCpus)
            }
            Thread t = new l4smp.emulator.cpu.CpuHostThread("l4smp-cpu-" + cpu.index(), () -> {
                if (config.pinning()) {
                    String problem = CpuPinning.pinCurrentThread(cpu.index(), cores);
                    if (problem != null) {
                        warn("CPU " + cpu.index() + " is not pinned: " + problem + "; the run goes on unpinned");
                    }
                }
                cpu.runOnHostThread();
            });
            threads.add(t);
        }
        checkDirectoryMode(memorySystem == null ? null : memorySystem.directoryMode(), threads.size());
        threads.forEach(Thread::start);
        Watchdog watchdog = new Watchdog(this);
        try {
            while (!stopped.await(20, TimeUnit.MILLISECONDS)) {
                watchdog.check();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            requestStop("interrupted");
        }
        for (Thread t : threads) {
            try {
                t.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            if (t.isAlive()) {
                warn(t.getName() + " did not stop within 5 s (a user thread that never calls L4?); left behind as a daemon");
            }
        }
        if (LOG.isDebugEnabled()) {
            // What the order passes read (the join above publishes the owners' plain counts).
            for (Cpu cpu : cpus) {
                OrderPassCache pass = cpu.orderPassCache();
                LOG.debug("CPU {}: {} order passes read {} run states of other CPUs", cpu.index(),
                        pass.passesPlain(), pass.readsPlain());
            }
        }
    }

    /**
     * Refuses to start {@code cpuThreads} host threads on an accounting layer whose directory
     * is for one host thread ({@link DirectoryMode#SINGLE_WRITER}): its transitions are plain
     * stores, and two CPU threads would lose each other's updates. {@code mode} is null when
     * accounting is off.
     */
    static void checkDirectoryMode(DirectoryMode mode, int cpuThreads) {
        if (mode == DirectoryMode.SINGLE_WRITER && cpuThreads > 1) {
            throw new IllegalStateException("the accounting layer's directory is " + mode
                    + " (one host thread) but the machine would start " + cpuThreads + " CPU threads");
        }
    }

    private void runDeterministic() {
        Cpu previous = Cpu.current();
        try {
            while (running) {
                Cpu next = pickDeterministic(); // never a failed CPU: it counts as stopped
                if (next == null) {
                    quiescent();
                    break;
                }
                if (++steps > stepLimit) {
                    stepLimitReached();
                    break;
                }
                Cpu.setCurrent(next);
                next.continuation().run();
            }
        } finally {
            running = false;
            // The CPUs' continuations are not resumed after the stop: end them here, so that
            // every CPU ends STOPPED and its dispatcher's onStop runs, as in parallel mode.
            for (Cpu cpu : cpus) {
                Cpu.setCurrent(cpu);
                cpu.stopSuspended();
            }
            Cpu.setCurrent(previous);
            stopped.countDown();
        }
    }

    /**
     * The deterministic stepper's choice: among the CPUs that can run (running ones; idle ones
     * with an interrupt pending or a timer event), by the configured strategy. {@code null} when
     * none can. Stepper thread only.
     */
    private Cpu pickDeterministic() {
        long min = Long.MAX_VALUE;
        int ties = 0;
        long[] effective = scratchEffective();
        for (int i = 0; i < cpus.length; i++) {
            long eff = deterministicEffectiveClock(cpus[i]);
            effective[i] = eff;
            if (eff < min) {
                min = eff;
                ties = 1;
            } else if (eff == min && eff != Long.MAX_VALUE) {
                ties++;
            }
        }
        if (min == Long.MAX_VALUE) {
            return null;
        }
        if (config.strategy() == ScheduleStrategy.LOWEST_CLOCK) {
            int choice = ties == 1 ? 0 : random.nextInt(ties);
            for (int i = 0; i < cpus.length; i++) {
                if (effective[i] == min && choice-- == 0) {
                    return cpus[i];
                }
            }
        } else if (pct != null) {
            long limit = config.slackCycles() == MachineConfig.UNBOUNDED_SLACK
                    ? Long.MAX_VALUE - 1 : Math.min(Long.MAX_VALUE - 1, min + config.slackCycles());
            boolean[] eligible = scratchEligible();
            for (int i = 0; i < cpus.length; i++) {
                eligible[i] = effective[i] <= limit;
            }
            return cpus[pct.pick(eligible)];
        } else {
            long limit = config.slackCycles() == MachineConfig.UNBOUNDED_SLACK
                    ? Long.MAX_VALUE - 1 : Math.min(Long.MAX_VALUE - 1, min + config.slackCycles());
            int eligible = 0;
            for (int i = 0; i < cpus.length; i++) {
                if (effective[i] <= limit) {
                    eligible++;
                }
            }
            int choice = random.nextInt(eligible);
            for (int i = 0; i < cpus.length; i++) {
                if (effective[i] <= limit && choice-- == 0) {
                    return cpus[i];
                }
            }
        }
        throw new AssertionError("no CPU chosen");
    }

    private long[] scratch;
    private boolean[] scratchEligible;

    /**
     * Bounds a deterministic run to {@code limit} stepper steps: past it the run fails as a
     * stall (a livelock, or a run far longer than its like). For hunts, where a planted race
     * may leave a run spinning forever. Setup only.
     */
    public void setStepLimit(long limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("the step limit must be at least 1, got " + limit);
        }
        this.stepLimit = limit;
    }

    /** Slow path: the run took more steps than its limit. */
    private void stepLimitReached() {
        fail("stall: the run took more than " + stepLimit + " stepper steps (a livelock, or a run far longer than "
                + "expected); " + describeCpus(), null);
    }

    private boolean[] scratchEligible() {
        if (scratchEligible == null) {
            scratchEligible = new boolean[cpus.length];
        }
        return scratchEligible;
    }

    /**
     * The deterministic stepper's steps so far: resumptions of a CPU's continuation, from one
     * interleaving point to the next (the unit of {@link PctSchedule}). Stepper thread, or any
     * thread after the machine stopped.
     */
    public long deterministicSteps() {
        return steps;
    }

    private long[] scratchEffective() {
        if (scratch == null) {
            scratch = new long[cpus.length];
        }
        return scratch;
    }

    private static long deterministicEffectiveClock(Cpu cpu) {
        int st = cpu.stateAcquire();
        if (st == Cpu.RUNNING) {
            return cpu.clockAcquire();
        }
        if (st == Cpu.IDLE || st == Cpu.PARKED) {
            if (cpu.interruptPendingVolatile()) {
                // the pending IPI's arrival, or the timer event if that comes first
                return Math.min(cpu.nextEventAcquire(), Math.max(cpu.clockAcquire(),
                        Math.min(cpu.apic().earliestPendingArrivalAcquire(), Long.MAX_VALUE - 1)));
            }
            return cpu.nextEventAcquire();
        }
        return Long.MAX_VALUE;
    }

    /**
     * The lowest effective clock of the CPUs other than {@code self}: a running CPU counts with
     * its clock, an idle one with the arrival of its pending interrupt or its next timer event,
     * a stopped one not at all. {@code Long.MAX_VALUE} if none counts. One consistent pass
     * (no CPU posted an interrupt while it ran: each CPU's own post count, read before and
     * after). Any thread.
     */
    public long minEffectiveClockExcluding(Cpu self) {
        return ConcurrentRunState.minEffectiveClockConsistentAcquire(cpus, self);
    }

    /**
     * The order bound of {@code self} (parallel mode): {@link #minEffectiveClockExcluding}, with
     * each CPU of a lower index than {@code self} counted one cycle earlier, so that CPUs at the
     * same cycle act in index order, never in host order. {@code self} may interact at cycle t
     * when the bound is at least t. Reads every CPU that has not stopped (the bound of a pass
     * over all of them). Owner CPU {@code self} only (it keeps what it read in its
     * {@link OrderPassCache}).
     */
    public long orderBoundExcluding(Cpu self) {
        return orderBoundExcluding(self, Long.MAX_VALUE);
    }

    /**
     * {@link #orderBoundExcluding(Cpu)} for a wait for {@code cycle}: reads again only the CPUs
     * that {@code self} last saw below {@code cycle}
     * ({@link ConcurrentRunState#minOrderBoundCachedAcquire}, which says why the others' entries
     * are still bounds). The result is at least {@code cycle} exactly when a pass over all CPUs
     * would give at least {@code cycle}; below it, it may be lower. Owner CPU {@code self} only.
     */
    public long orderBoundExcluding(Cpu self, long cycle) {
        return ConcurrentRunState.minOrderBoundCachedAcquire(cpus, self, self.orderPassCache(), cycle);
    }

    /**
     * The order bound of a spin-wait check of {@code self} (parallel mode, exact timing):
     * {@link #orderBoundExcluding(Cpu)}, except that another spinning CPU whose last failed check
     * came after every CPU's last interaction counts with the earliest time at which it can act
     * ({@link ConcurrentRunState#minSpinOrderBoundConsistentAcquire}). Reads every CPU, without
     * {@code self}'s order-pass cache; one consistent pass (no CPU posted an interrupt while it
     * ran: each CPU's own post count, read before and after). {@code self}'s thread.
     */
    public long spinOrderBoundExcluding(Cpu self) {
        return ConcurrentRunState.minSpinOrderBoundConsistentAcquire(cpus, self, self.spinBoundScratch());
    }

    /** The CPUs parked until another CPU's effective clock moves (parallel mode). Any thread. */
    public ConcurrentClockWaiters clockWaiters() {
        return clockWaiters;
    }

    /**
     * The lowest current clock of the CPUs other than {@code self} that have not stopped (an
     * idle CPU counts with the clock it went idle at, not with its next event): whatever another
     * CPU did, it did at or before its clock. {@code Long.MAX_VALUE} if none. Any thread.
     */
    public long minClockExcluding(Cpu self) {
        long min = Long.MAX_VALUE;
        for (Cpu cpu : cpus) {
            if (cpu != self && cpu.stateAcquire() != Cpu.STOPPED) {
                long c = cpu.clockAcquire();
                if (c < min) {
                    min = c;
                }
            }
        }
        return min;
    }

    /**
     * The interactions performed out of simulated-time order, over all CPUs
     * ({@link #C_TIMING_CORRECTIONS}); 0 in deterministic mode and with exact timing. Any
     * thread; exact after the machine stopped.
     */
    public long timingCorrections() {
        long sum = 0;
        for (Cpu cpu : cpus) {
            sum += cpu.timingCorrectionsOpaque();
        }
        return sum;
    }

    /** The largest lead, in cycles, of an interaction performed out of order (0 if none). Any thread. */
    public long largestTimingCorrection() {
        long max = 0;
        for (Cpu cpu : cpus) {
            max = Math.max(max, cpu.largestTimingCorrectionOpaque());
        }
        return max;
    }

    /**
     * Unparks the host threads of idle CPUs whose next timer event is at or before {@code time}
     * (parallel mode): a CPU held back by the slack bound calls it, so that the slowest CPU, an
     * idle one waiting for its timer, fires it now. Any thread.
     */
    public void wakeIdleCpusWithEventsUpTo(long time) {
        for (Cpu cpu : cpus) {
            int st = cpu.stateAcquire();
            if ((st == Cpu.IDLE || st == Cpu.PARKED) && cpu.nextEventAcquire() <= time) {
                Thread t = cpu.hostThread();
                if (t != null) {
                    LockSupport.unpark(t);
                }
            }
        }
    }

    /** Whether every CPU idles with no interrupt and no timer pending (a snapshot). Any thread. */
    boolean looksQuiescent() {
        for (Cpu cpu : cpus) {
            int st = cpu.stateAcquire();
            if (st == Cpu.STOPPED) {
                continue;
            }
            if (st == Cpu.RUNNING || cpu.interruptPendingVolatile()
                    || cpu.nextEventAcquire() != Dispatcher.NO_EVENT || cpu.waitReasonOpaque() != null) {
                return false;
            }
        }
        return true;
    }

    void quiescent() {
        if (!running) {
            return;
        }
        try {
            quiescenceHandler.onQuiescent(this);
        } catch (RuntimeException e) {
            fail("the quiescence handler failed: " + e, e);
        }
        if (running) {
            requestStop("quiescent");
        }
    }

    /** Whether the machine runs. Any thread; a CPU's duty cycle checks it every cycle. */
    public boolean runningOpaque() {
        return running;
    }

    /** Stops the machine: every CPU ends its duty cycle. Idempotent. Any thread. */
    public void requestStop(String reason) {
        if (stopReason == null) {
            stopReason = reason;
        }
        running = false;
        for (Cpu cpu : cpus) {
            Thread t = cpu.hostThread();
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
        stopped.countDown();
    }

    /** Stops the machine as failed, with a report (logged once). Any thread. */
    public void fail(String report, Throwable cause) {
        fail("failed", report, cause);
    }

    /**
     * Stops the machine as failed with its own stop reason (e.g. "stalled": a watchdog's
     * verdict), with a report (logged once). The failure is recorded before the machine stops,
     * so whoever waits in {@link #run()} sees both. Any thread.
     */
    public void fail(String stopReason, String report, Throwable cause) {
        synchronized (this) {
            if (failure == null) {
                failure = report;
                failureCause = cause;
                LOG.error("{}", report, cause);
            }
        }
        requestStop(stopReason);
    }

    /** Called by a CPU whose duty cycle threw. */
    public void cpuFailed(Cpu cpu, Throwable t) {
        fail("CPU " + cpu.index() + " failed: " + t, t);
    }

    /** Records a warning (logged, and kept for the run's report). Any thread. */
    public void warn(String warning) {
        warnings.add(warning);
        LOG.warn("{}", warning);
    }

    /** One line per CPU with its state. Any thread (racy snapshot). */
    public String describeCpus() {
        StringBuilder sb = new StringBuilder("CPUs: ");
        for (Cpu cpu : cpus) {
            sb.append(cpu.describe()).append(' ');
        }
        return sb.toString().trim();
    }

    // =========================================================================================
    // Results
    // =========================================================================================

    /** The outcome of the run (after {@link #run()}). */
    public RunOutcome outcome() {
        return new RunOutcome(failure == null, stopReason, failure, failureCause, List.copyOf(warnings),
                (hostEndNanos == 0 ? System.nanoTime() : hostEndNanos) - hostStartNanos);
    }

    /** The per-CPU counters (after start). */
    public SingleWriterCounters counters(int cpu) {
        return counters[cpu];
    }

    /** The sum of a counter over every CPU. Any thread; exact after the machine stopped. */
    public long counterTotal(String name) {
        int index = counterNames.indexOf(name);
        long sum = 0;
        for (SingleWriterCounters c : counters) {
            sum += c.valueOpaque(index);
        }
        return sum;
    }

    /**
     * Streams the captured trace: event log {@code i} (one per CPU in parallel mode, one in
     * deterministic mode) hands its events in chunks to {@code spools.apply(i)}, called when the
     * machine starts ({@link EventLog#spoolTo}). Setup only, with trace capture on.
     */
    public void spoolTrace(java.util.function.IntFunction<EventLog.Spool> spools) {
        if (started) {
            throw new IllegalStateException("the trace's spool is set up before the machine runs");
        }
        if (!config.captureTrace()) {
            throw new IllegalStateException("the machine captures no trace to spool");
        }
        this.traceSpools = spools;
    }

    /**
     * Shows every trace event, as it is recorded, to {@code listener} (on the recording CPU's
     * thread; shared by every log, so thread-safe in parallel mode). Setup only.
     */
    public void listenToTrace(EventLog.Listener listener) {
        if (started) {
            throw new IllegalStateException("the trace's listener is set up before the machine runs");
        }
        this.traceListener = listener;
    }

    /**
     * The event logs: one shared log in deterministic mode (in execution order), one per CPU in
     * parallel mode. Read after the machine stopped.
     */
    public List<EventLog> eventLogs() {
        return List.of(logs);
    }

    /** A hash of the whole trace (every CPU's, in CPU order). Read after the machine stopped. */
    public long traceHash() {
        long h = 17;
        for (EventLog log : logs) {
            h = h * 31 + log.hash();
        }
        return h;
    }

    /** The highest simulated clock of any CPU. Any thread. */
    public long maxClockAcquire() {
        long max = 0;
        for (Cpu cpu : cpus) {
            max = Math.max(max, cpu.clockAcquire());
        }
        return max;
    }

    /** The seeded random source of the deterministic stepper (stepper thread only). */
    public DeterministicRandom random() {
        return random;
    }

    /** The outcome of a run. */
    public record RunOutcome(boolean ok, String stopReason, String failure, Throwable failureCause,
                             List<String> warnings, long hostNanos) {
    }
}
