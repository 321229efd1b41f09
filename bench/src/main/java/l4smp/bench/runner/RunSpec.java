package l4smp.bench.runner;

import l4smp.emulator.MachineConfig;
import l4smp.emulator.ScheduleStrategy;
import l4smp.emulator.TimingMode;
import l4smp.emulator.cost.CostModel;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Everything one scenario run is made of: the scenario's name and options, the machine's shape,
 * the operation and time budget, the execution mode. Validated on construction; a bad value
 * fails with an {@link IllegalArgumentException} whose message names the command-line option.
 *
 * @param scenario        the scenario's name ({@code l4smp list})
 * @param cpus            simulated CPUs, or 0 for the scenario's default
 * @param ops             the operations to perform (with {@code seconds}, an upper bound)
 * @param seconds         the host-time budget, or {@code null} for none
 * @param seed            the seed of the deterministic mode, or {@code null} for the parallel mode
 * @param strategy        the deterministic stepper's strategy (ignored in parallel mode)
 * @param pin             pin simulated CPUs to host cores (parallel mode)
 * @param slackCycles     the slack in cycles ({@link MachineConfig#UNBOUNDED_SLACK} for none)
 * @param costModel       the cost-model preset
 * @param scenarioOptions the scenario's own options, name (without dashes) to text
 * @param captureTrace    keep the trace's events (for {@code --trace}), not only its hash
 * @param maxTraceEvents  the most events kept when capturing
 * @param progress        print progress lines on stderr during long runs
 * @param accounting      charge memory accesses through the MESI/TLB accounting layer
 *                        ({@code null}: the machine's default, on)
 * @param kernelConfig    the kernel's tunables (tick, timeslice, TCB layout), for kernel scenarios
 * @param failedCpus      fault injection: the physical CPUs (bit i = CPU i) that never answer the
 *                        startup IPI ({@code --fail-cpu}; {@link MachineConfig#failedCpus})
 * @param stallCycles     the stall watchdog: a run in which no operation completes (and no thread
 *                        ends) for this many simulated cycles stops with outcome "stalled"
 *                        ({@code --stall}); {@link #NO_STALL_LIMIT} for none
 * @param pctDepth        the PCT strategy's bug depth d ({@code --pct-depth}; d - 1 change points)
 * @param pctSteps        the PCT strategy's step estimate k ({@code --pct-steps})
 * @param maxSteps        deterministic mode: the most stepper steps before the run fails as a
 *                        stall ({@code --max-steps}; 0: no bound)
 * @param timing          parallel mode's timing ({@code --timing exact|lax}; ignored with a seed)
 */
public record RunSpec(String scenario, int cpus, long ops, Duration seconds, Long seed, ScheduleStrategy strategy,
                      boolean pin, long slackCycles, CostModel costModel, Map<String, String> scenarioOptions,
                      boolean captureTrace, int maxTraceEvents, boolean progress, Boolean accounting,
                      l4smp.kernel.KernelConfig kernelConfig, long failedCpus, long stallCycles, int pctDepth,
                      long pctSteps, long maxSteps, TimingMode timing) {

    /** A spec with exact timing. */
    public RunSpec(String scenario, int cpus, long ops, Duration seconds, Long seed, ScheduleStrategy strategy,
                   boolean pin, long slackCycles, CostModel costModel, Map<String, String> scenarioOptions,
                   boolean captureTrace, int maxTraceEvents, boolean progress, Boolean accounting,
                   l4smp.kernel.KernelConfig kernelConfig, long failedCpus, long stallCycles, int pctDepth,
                   long pctSteps, long maxSteps) {
        this(scenario, cpus, ops, seconds, seed, strategy, pin, slackCycles, costModel, scenarioOptions, captureTrace,
                maxTraceEvents, progress, accounting, kernelConfig, failedCpus, stallCycles, pctDepth, pctSteps,
                maxSteps, TimingMode.EXACT);
    }

    /** {@link #stallCycles} of a run without a stall watchdog. */
    public static final long NO_STALL_LIMIT = 0;

    /**
     * The stall limit when none is given: 10^10 cycles (22 s simulated on the PIII_450), longer
     * than the widest gap between two operations any built-in scenario's options allow.
     */
    public static final long DEFAULT_STALL_CYCLES = 10_000_000_000L;

    /** A spec with the default stall limit and PCT parameters. */
    public RunSpec(String scenario, int cpus, long ops, Duration seconds, Long seed, ScheduleStrategy strategy,
                   boolean pin, long slackCycles, CostModel costModel, Map<String, String> scenarioOptions,
                   boolean captureTrace, int maxTraceEvents, boolean progress, Boolean accounting,
                   l4smp.kernel.KernelConfig kernelConfig, long failedCpus) {
        this(scenario, cpus, ops, seconds, seed, strategy, pin, slackCycles, costModel, scenarioOptions, captureTrace,
                maxTraceEvents, progress, accounting, kernelConfig, failedCpus, DEFAULT_STALL_CYCLES,
                MachineConfig.DEFAULT_PCT_DEPTH, MachineConfig.DEFAULT_PCT_STEPS, 0);
    }

    /** A spec without failed CPUs. */
    public RunSpec(String scenario, int cpus, long ops, Duration seconds, Long seed, ScheduleStrategy strategy,
                   boolean pin, long slackCycles, CostModel costModel, Map<String, String> scenarioOptions,
                   boolean captureTrace, int maxTraceEvents, boolean progress, Boolean accounting,
                   l4smp.kernel.KernelConfig kernelConfig) {
        this(scenario, cpus, ops, seconds, seed, strategy, pin, slackCycles, costModel, scenarioOptions, captureTrace,
                maxTraceEvents, progress, accounting, kernelConfig, 0L);
    }

    /** The operations of a run when none are given. */
    public static final long DEFAULT_OPS = 100_000;

    public RunSpec {
        Objects.requireNonNull(scenario, "scenario");
        Objects.requireNonNull(strategy, "strategy");
        Objects.requireNonNull(costModel, "costModel");
        Objects.requireNonNull(kernelConfig, "kernelConfig");
        Objects.requireNonNull(timing, "timing");
        scenarioOptions = scenarioOptions == null ? Map.of() : Map.copyOf(scenarioOptions);
        if (cpus < 0 || cpus > MachineConfig.MAX_CPUS) {
            throw new IllegalArgumentException("option --cpus must be 1.." + MachineConfig.MAX_CPUS + ", got " + cpus);
        }
        if (ops < 1) {
            throw new IllegalArgumentException("option --ops must be at least 1, got " + ops);
        }
        if (seconds != null && (seconds.isNegative() || seconds.isZero())) {
            throw new IllegalArgumentException("option --seconds must be positive, got " + seconds.toMillis() / 1000.0);
        }
        if (slackCycles < 0) {
            throw new IllegalArgumentException("option --slack must be >= 0 cycles or 'unbounded', got " + slackCycles);
        }
        if (pctDepth < 1 || pctDepth > MachineConfig.MAX_PCT_DEPTH) {
            throw new IllegalArgumentException("option --pct-depth must be 1.." + MachineConfig.MAX_PCT_DEPTH + ", got "
                    + pctDepth);
        }
        if (pctSteps < 1) {
            throw new IllegalArgumentException("option --pct-steps must be at least 1, got " + pctSteps);
        }
        if (maxSteps < 0) {
            throw new IllegalArgumentException("option --max-steps must be at least 1, got " + maxSteps);
        }
        if (maxTraceEvents < 1) {
            throw new IllegalArgumentException("option --trace-limit must be at least 1, got " + maxTraceEvents);
        }
        if (stallCycles < 0) {
            throw new IllegalArgumentException("option --stall must be a positive number of cycles or 'off', got "
                    + stallCycles);
        }
    }

    public boolean deterministic() {
        return seed != null;
    }

    /** A builder with the defaults: the scenario's CPUs, 100000 ops, parallel, pinned, slack {@value MachineConfig#DEFAULT_SLACK} cycles, PIII_450. */
    public static Builder builder(String scenario) {
        return new Builder(scenario);
    }

    /** Fluent construction; {@link #build()} validates. */
    public static final class Builder {
        private final String scenario;
        private int cpus;
        private long ops = DEFAULT_OPS;
        private Duration seconds;
        private Long seed;
        private ScheduleStrategy strategy = ScheduleStrategy.LOWEST_CLOCK;
        private boolean pin = true;
        private long slackCycles = MachineConfig.DEFAULT_SLACK;
        private CostModel costModel = CostModel.PIII_450;
        private Map<String, String> scenarioOptions = Map.of();
        private boolean captureTrace;
        private int maxTraceEvents = 1_000_000;
        private boolean progress;
        private Boolean accounting;
        private l4smp.kernel.KernelConfig kernelConfig = l4smp.kernel.KernelConfig.DEFAULT;
        private long failedCpus;
        private long stallCycles = DEFAULT_STALL_CYCLES;
        private int pctDepth = MachineConfig.DEFAULT_PCT_DEPTH;
        private long pctSteps = MachineConfig.DEFAULT_PCT_STEPS;
        private long maxSteps;
        private TimingMode timing = TimingMode.EXACT;

        private Builder(String scenario) {
            this.scenario = scenario;
        }

        public Builder cpus(int cpus) { this.cpus = cpus; return this; }
        public Builder ops(long ops) { this.ops = ops; return this; }
        public Builder seconds(Duration seconds) { this.seconds = seconds; return this; }
        public Builder seed(Long seed) { this.seed = seed; return this; }
        public Builder strategy(ScheduleStrategy strategy) { this.strategy = strategy; return this; }
        public Builder pin(boolean pin) { this.pin = pin; return this; }
        public Builder slackCycles(long slackCycles) { this.slackCycles = slackCycles; return this; }
        public Builder costModel(CostModel costModel) { this.costModel = costModel; return this; }
        public Builder scenarioOptions(Map<String, String> options) { this.scenarioOptions = options; return this; }
        public Builder captureTrace(boolean captureTrace) { this.captureTrace = captureTrace; return this; }
        public Builder maxTraceEvents(int maxTraceEvents) { this.maxTraceEvents = maxTraceEvents; return this; }
        public Builder progress(boolean progress) { this.progress = progress; return this; }
        public Builder accounting(Boolean accounting) { this.accounting = accounting; return this; }
        public Builder kernelConfig(l4smp.kernel.KernelConfig kernelConfig) { this.kernelConfig = kernelConfig; return this; }
        public Builder pctDepth(int pctDepth) { this.pctDepth = pctDepth; return this; }
        public Builder pctSteps(long pctSteps) { this.pctSteps = pctSteps; return this; }
        public Builder maxSteps(long maxSteps) { this.maxSteps = maxSteps; return this; }
        public Builder timing(TimingMode timing) { this.timing = timing; return this; }

        /** The physical CPUs (bit i = CPU i) that never answer the startup IPI (fault injection). */
        public Builder failedCpus(long mask) { this.failedCpus = mask; return this; }

        /** The stall watchdog's limit in simulated cycles ({@link #NO_STALL_LIMIT}: none). */
        public Builder stallCycles(long cycles) { this.stallCycles = cycles; return this; }

        public RunSpec build() {
            return new RunSpec(scenario, cpus, ops, seconds, seed, strategy, pin, slackCycles, costModel,
                    scenarioOptions, captureTrace, maxTraceEvents, progress, accounting, kernelConfig, failedCpus,
                    stallCycles, pctDepth, pctSteps, maxSteps, timing);
        }
    }
}
