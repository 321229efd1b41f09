package l4smp.emulator;

import l4smp.emulator.cost.CostModel;

import java.time.Duration;
import java.util.Objects;

/**
 * The options a {@link Machine} is built from, validated on construction: a bad value fails
 * with a message that names the option.
 *
 * @param cpus             number of simulated CPUs, 1 to {@value #MAX_CPUS}
 * @param costModel        the cycle costs (a preset)
 * @param pinning          pin CPU i to host core i mod H (parallel mode); a refusal is a warning
 * @param slackCycles      how far a CPU may run ahead of the slowest running one, in cycles
 *                         (0 = lock-step; {@link #UNBOUNDED_SLACK} = free-running)
 * @param mode             parallel or deterministic
 * @param seed             the seed of the deterministic stepper (ignored in parallel mode)
 * @param strategy         the deterministic stepper's choice of the next CPU
 * @param captureTrace     keep the events of the trace, not only its hash
 * @param maxTraceEvents   the most events captured
 * @param stuckTimeout     host time after which a CPU that makes no progress is reported stuck
 *                         (parallel mode), and the run is stopped
 * @param maxSpinIterations iterations of one spin-wait after which it is reported stuck
 *                         (deterministic mode, where host time means nothing; counted as rounds
 *                         through the stepper, each of which may pass many checks in simulated time)
 * @param memoryBytes      simulated physical memory (frames are allocated when first touched)
 * @param accounting       charge memory accesses through the MESI/TLB accounting layer (up to
 *                         {@value l4smp.emulator.cache.ConcurrentMesiDirectory#MAX_CPUS} CPUs, as
 *                         many as the machine has); off, accesses cost nothing and only the data moves
 * @param failedCpus       fault injection (thesis 8.2): a mask of the physical CPUs (bit i = CPU
 *                         i) that never answer the startup IPI. Such a CPU never runs: its duty
 *                         cycle does not start, it counts as stopped, and IPIs and device
 *                         interrupts sent to it are lost (the sender is charged, nothing arrives).
 *                         CPU 0, the bootstrap processor, cannot fail: it runs the boot.
 * @param pctDepth         the bug depth d the {@link ScheduleStrategy#PCT PCT} strategy targets:
 *                         d - 1 priority change points per run (1..{@value #MAX_PCT_DEPTH};
 *                         ignored by the other strategies)
 * @param pctSteps         the PCT strategy's estimate k of the steps of a run: the change points
 *                         are drawn uniformly from steps 1..k (ignored by the other strategies)
 * @param timing           parallel mode's ordering of interactions in simulated time
 *                         ({@link TimingMode#EXACT} by default; ignored in deterministic mode)
 */
public record MachineConfig(int cpus, CostModel costModel, boolean pinning, long slackCycles,
                            ExecutionMode mode, long seed, ScheduleStrategy strategy,
                            boolean captureTrace, int maxTraceEvents, Duration stuckTimeout,
                            long maxSpinIterations, long memoryBytes, boolean accounting,
                            long failedCpus, int pctDepth, long pctSteps, TimingMode timing) {

    /** The configuration with exact timing. */
    public MachineConfig(int cpus, CostModel costModel, boolean pinning, long slackCycles,
                         ExecutionMode mode, long seed, ScheduleStrategy strategy,
                         boolean captureTrace, int maxTraceEvents, Duration stuckTimeout,
                         long maxSpinIterations, long memoryBytes, boolean accounting, long failedCpus,
                         int pctDepth, long pctSteps) {
        this(cpus, costModel, pinning, slackCycles, mode, seed, strategy, captureTrace, maxTraceEvents,
                stuckTimeout, maxSpinIterations, memoryBytes, accounting, failedCpus, pctDepth, pctSteps,
                TimingMode.EXACT);
    }

    /** The configuration with the default PCT parameters. */
    public MachineConfig(int cpus, CostModel costModel, boolean pinning, long slackCycles,
                         ExecutionMode mode, long seed, ScheduleStrategy strategy,
                         boolean captureTrace, int maxTraceEvents, Duration stuckTimeout,
                         long maxSpinIterations, long memoryBytes, boolean accounting, long failedCpus) {
        this(cpus, costModel, pinning, slackCycles, mode, seed, strategy, captureTrace, maxTraceEvents,
                stuckTimeout, maxSpinIterations, memoryBytes, accounting, failedCpus, DEFAULT_PCT_DEPTH,
                DEFAULT_PCT_STEPS);
    }

    /** The configuration without failed CPUs (every CPU answers its startup IPI). */
    public MachineConfig(int cpus, CostModel costModel, boolean pinning, long slackCycles,
                         ExecutionMode mode, long seed, ScheduleStrategy strategy,
                         boolean captureTrace, int maxTraceEvents, Duration stuckTimeout,
                         long maxSpinIterations, long memoryBytes, boolean accounting) {
        this(cpus, costModel, pinning, slackCycles, mode, seed, strategy, captureTrace, maxTraceEvents,
                stuckTimeout, maxSpinIterations, memoryBytes, accounting, 0L);
    }

    public static final int MAX_CPUS = 64;
    public static final long UNBOUNDED_SLACK = Long.MAX_VALUE;
    /**
     * The default slack: 10,000 cycles (22 us on the PIII 450), the order of the quanta of lax
     * synchronisation in Graphite and ZSim. Cross-CPU timing (an IPI, a device interrupt, a
     * timer on an idle CPU) is then off by at most this much in parallel mode.
     */
    public static final long DEFAULT_SLACK = 10_000;
    /** The default bug depth of the PCT strategy: 3 (two priority change points). */
    public static final int DEFAULT_PCT_DEPTH = 3;
    /** The largest PCT depth accepted. */
    public static final int MAX_PCT_DEPTH = 64;
    /** The default PCT step estimate (the steps of a small scenario run: a few ten thousand). */
    public static final long DEFAULT_PCT_STEPS = 50_000;

    public MachineConfig {
        Objects.requireNonNull(costModel, "costModel");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(strategy, "strategy");
        Objects.requireNonNull(stuckTimeout, "stuckTimeout");
        Objects.requireNonNull(timing, "timing");
        if (cpus < 1 || cpus > MAX_CPUS) {
            throw new IllegalArgumentException("cpus must be 1.." + MAX_CPUS + ", got " + cpus);
        }
        if (slackCycles < 0) {
            throw new IllegalArgumentException("slack must be >= 0 cycles, got " + slackCycles);
        }
        if (maxTraceEvents < 0) {
            throw new IllegalArgumentException("maxTraceEvents must be >= 0, got " + maxTraceEvents);
        }
        if (stuckTimeout.isNegative() || stuckTimeout.isZero()) {
            throw new IllegalArgumentException("stuckTimeout must be positive, got " + stuckTimeout);
        }
        if (memoryBytes < 4 * 4096 || memoryBytes % 4096 != 0) {
            throw new IllegalArgumentException("memory must be a multiple of 4 KiB and at least 16 KiB, got "
                    + memoryBytes + " bytes");
        }
        if (maxSpinIterations < 1) {
            throw new IllegalArgumentException("maxSpinIterations must be >= 1, got " + maxSpinIterations);
        }
        if ((failedCpus & 1L) != 0) {
            throw new IllegalArgumentException("failed CPUs: CPU 0 is the bootstrap processor and runs the boot; "
                    + "it cannot fail (fail an application processor, 1.." + (cpus - 1) + ")");
        }
        if (pctDepth < 1 || pctDepth > MAX_PCT_DEPTH) {
            throw new IllegalArgumentException("PCT depth must be 1.." + MAX_PCT_DEPTH + ", got " + pctDepth);
        }
        if (pctSteps < 1) {
            throw new IllegalArgumentException("PCT steps must be >= 1, got " + pctSteps);
        }
        long valid = cpus == 64 ? -1L : (1L << cpus) - 1;
        if ((failedCpus & ~valid) != 0) {
            throw new IllegalArgumentException("failed CPUs: CPU " + Long.numberOfTrailingZeros(failedCpus & ~valid)
                    + " does not exist (the machine has CPUs 0.." + (cpus - 1) + ")");
        }
    }

    /** Whether interactions run in simulated-time order: deterministic mode, or parallel with exact timing. */
    public boolean exactTiming() {
        return mode == ExecutionMode.DETERMINISTIC || timing == TimingMode.EXACT;
    }

    /** Whether physical CPU {@code cpu} is set to fail (it never answers the startup IPI). */
    public boolean failed(int cpu) {
        return (failedCpus >>> cpu & 1L) != 0;
    }

    /** A builder with the defaults: 2 CPUs, PIII_450, pinning on, slack {@value #DEFAULT_SLACK} cycles, parallel. */
    public static Builder builder() {
        return new Builder();
    }

    public boolean deterministic() {
        return mode == ExecutionMode.DETERMINISTIC;
    }

    /** Fluent construction with defaults; {@link #build()} validates. */
    public static final class Builder {
        private int cpus = 2;
        private CostModel costModel = CostModel.PIII_450;
        private boolean pinning = true;
        private long slackCycles = DEFAULT_SLACK;
        private TimingMode timing = TimingMode.EXACT;
        private ExecutionMode mode = ExecutionMode.PARALLEL;
        private long seed;
        private ScheduleStrategy strategy = ScheduleStrategy.LOWEST_CLOCK;
        private boolean captureTrace;
        private int maxTraceEvents = 1_000_000;
        private Duration stuckTimeout = Duration.ofSeconds(20);
        private long maxSpinIterations = 50_000_000L;
        private long memoryBytes = 64L << 20;
        private Boolean accounting;
        private long failedCpus;
        private int pctDepth = DEFAULT_PCT_DEPTH;
        private long pctSteps = DEFAULT_PCT_STEPS;

        public Builder cpus(int cpus) { this.cpus = cpus; return this; }
        public Builder costModel(CostModel costModel) { this.costModel = costModel; return this; }
        public Builder pinning(boolean pinning) { this.pinning = pinning; return this; }
        public Builder slackCycles(long slackCycles) { this.slackCycles = slackCycles; return this; }
        /** Parallel mode's timing ({@link TimingMode#EXACT} by default). */
        public Builder timing(TimingMode timing) { this.timing = Objects.requireNonNull(timing, "timing"); return this; }
        public Builder mode(ExecutionMode mode) { this.mode = mode; return this; }
        /** Deterministic mode with this seed. */
        public Builder deterministic(long seed) { this.mode = ExecutionMode.DETERMINISTIC; this.seed = seed; return this; }
        public Builder strategy(ScheduleStrategy strategy) { this.strategy = strategy; return this; }
        /** The bug depth d of the PCT strategy (d - 1 change points). */
        public Builder pctDepth(int depth) { this.pctDepth = depth; return this; }
        /** The PCT strategy's estimate of a run's steps. */
        public Builder pctSteps(long steps) { this.pctSteps = steps; return this; }
        public Builder captureTrace(boolean captureTrace) { this.captureTrace = captureTrace; return this; }
        public Builder maxTraceEvents(int maxTraceEvents) { this.maxTraceEvents = maxTraceEvents; return this; }
        public Builder stuckTimeout(Duration stuckTimeout) { this.stuckTimeout = stuckTimeout; return this; }
        public Builder maxSpinIterations(long maxSpinIterations) { this.maxSpinIterations = maxSpinIterations; return this; }
        public Builder memoryBytes(long memoryBytes) { this.memoryBytes = memoryBytes; return this; }
        /** Accounting on or off; on by default (every CPU count up to {@value #MAX_CPUS}). */
        public Builder accounting(boolean accounting) { this.accounting = accounting; return this; }

        /** Fault injection: the physical CPUs in {@code mask} (bit i = CPU i) never answer the startup IPI. */
        public Builder failedCpus(long mask) { this.failedCpus = mask; return this; }
        /** Fault injection: physical CPU {@code cpu} never answers the startup IPI (validated at build). */
        public Builder failCpu(int cpu) {
            if (cpu < 0 || cpu >= 64) {
                throw new IllegalArgumentException("failed CPU must be 1.." + (MAX_CPUS - 1) + ", got " + cpu);
            }
            this.failedCpus |= 1L << cpu;
            return this;
        }

        public MachineConfig build() {
            boolean acct = accounting == null || accounting;
            return new MachineConfig(cpus, costModel, pinning, slackCycles, mode, seed, strategy,
                    captureTrace, maxTraceEvents, stuckTimeout, maxSpinIterations, memoryBytes, acct, failedCpus,
                    pctDepth, pctSteps, timing);
        }
    }
}
