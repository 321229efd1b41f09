package l4smp.bench.scenario;

import l4smp.bench.report.SingleWriterLatencyRecorder;
import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;
import l4smp.kernel.Kernel;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a scenario builds its run from: the machine, its options, the run's operation budget,
 * the kernel (booted on first use), latency recorders, and scenario-specific results.
 *
 * <p>Setup methods ({@link #kernel()}, {@link #recorder}) are called on the setup thread before
 * the machine runs. {@link #timeUp()} may be read by any thread. Results are added by user
 * threads while the machine runs (synchronised, rare) and read after it stopped.
 */
public final class ScenarioContext {

    private final Machine machine;
    private final ScenarioOptions options;
    private final long ops;
    private final List<SingleWriterLatencyRecorder> recorders = new ArrayList<>();
    private final Map<String, Object> results = Collections.synchronizedMap(new LinkedHashMap<>());
    private final l4smp.kernel.KernelConfig kernelConfig;
    private Kernel kernel;
    private volatile boolean timeUp;
    private final List<Runnable> afterRun = new ArrayList<>();
    private final List<Runnable> stoppedEarly = new ArrayList<>();
    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());

    public ScenarioContext(Machine machine, ScenarioOptions options, long ops) {
        this(machine, options, ops, l4smp.kernel.KernelConfig.DEFAULT);
    }

    /** A context whose kernel boots with {@code kernelConfig} (tick, timeslice, TCB layout). */
    public ScenarioContext(Machine machine, ScenarioOptions options, long ops, l4smp.kernel.KernelConfig kernelConfig) {
        this.machine = machine;
        this.options = options;
        this.ops = ops;
        this.kernelConfig = kernelConfig;
    }

    public Machine machine() {
        return machine;
    }

    public MachineConfig config() {
        return machine.config();
    }

    public ScenarioOptions options() {
        return options;
    }

    /**
     * The processors the scenario places its threads over: the machine's CPUs less those that
     * never answer their startup IPI ({@code --fail-cpu}). The boot numbers the processors that
     * came up 1..k and compacts the numbering (thesis 8.2), so a thread's CPU index at setup is
     * a logical index 0..{@code processors()-1}, and {@code L4.schedule} targets processor
     * numbers 1..{@code processors()}. Without failed CPUs, the machine's CPU count.
     */
    public int processors() {
        return machine.cpuCount() - Long.bitCount(machine.config().failedCpus());
    }

    /** The operations the run should perform ({@code --ops}); with {@code --seconds}, an upper bound. */
    public long ops() {
        return ops;
    }

    /** The L4 kernel on this machine, booted on the first call. Setup only. */
    public Kernel kernel() {
        if (kernel == null) {
            kernel = Kernel.boot(machine, kernelConfig);
        }
        return kernel;
    }

    /**
     * The L4 kernel on this machine, booted on the first call with the run's kernel configuration
     * changed by {@code adjust} (e.g. a scenario's own TLB shootdown policy). Setup only; throws
     * {@link IllegalStateException} if the kernel was booted already.
     */
    public Kernel kernel(java.util.function.UnaryOperator<l4smp.kernel.KernelConfig> adjust) {
        if (kernel != null) {
            throw new IllegalStateException("the kernel is booted already");
        }
        kernel = Kernel.boot(machine, adjust.apply(kernelConfig));
        return kernel;
    }

    /** The kernel if the scenario booted one, else {@code null}. */
    public Kernel kernelIfBooted() {
        return kernel;
    }

    /** A new latency recorder for one writer. Setup only. */
    public SingleWriterLatencyRecorder recorder(String name) {
        SingleWriterLatencyRecorder r = new SingleWriterLatencyRecorder(name);
        recorders.add(r);
        return r;
    }

    public List<SingleWriterLatencyRecorder> recorders() {
        return Collections.unmodifiableList(recorders);
    }

    /** Whether the run's host-time budget ({@code --seconds}) is spent. Any thread. */
    public boolean timeUp() {
        return timeUp;
    }

    /** Marks the time budget spent (the runner's timer). Any thread. */
    public void setTimeUp() {
        timeUp = true;
    }

    /** Whether a thread that has done {@code done} operations should stop. Any thread. */
    public boolean shouldStop(long done) {
        return done >= ops || timeUp;
    }

    /** The result key under which {@link #degraded} records why the run is degraded. */
    public static final String DEGRADED = l4smp.bench.report.RunReport.RESULT_DEGRADED;

    /**
     * Records that the run did not do the work it was asked for, through no fault of its own
     * (e.g. no application processor came up to run it on): the run's outcome is "degraded"
     * and {@code why} is its one-line explanation. Any thread.
     */
    public void degraded(String why) {
        results.put(DEGRADED, why);
    }

    /** Adds a scenario-specific result (shown in the report and the JSON). Any thread. */
    public void putResult(String key, Object value) {
        results.put(key, value);
    }

    public Map<String, Object> results() {
        synchronized (results) {
            return new LinkedHashMap<>(results);
        }
    }

    /**
     * Registers a check to run once the machine has stopped (for what can only be read then,
     * such as the kernel's invariants). Setup only; the runner calls {@link #runAfterRunChecks}.
     */
    public void afterRun(Runnable check) {
        afterRun.add(check);
    }

    /** Runs the checks registered by {@link #afterRun}, in order. Call once the machine stopped. */
    public void runAfterRunChecks() {
        for (Runnable check : afterRun) {
            check.run();
        }
    }

    /**
     * Registers a report to run instead of the after-run checks when the machine was stopped in
     * the middle of its work (stalled or interrupted): it may only add results (what the
     * scenario's threads were doing). Setup only; the runner calls {@link #runStoppedEarlyReports}.
     */
    public void whenStoppedEarly(Runnable report) {
        stoppedEarly.add(report);
    }

    /** Runs the reports registered by {@link #whenStoppedEarly}, in order. Call once the machine stopped. */
    public void runStoppedEarlyReports() {
        for (Runnable report : stoppedEarly) {
            report.run();
        }
    }

    /** Records a failed check of the scenario: the run fails (its report is not ok). Any thread. */
    public void fail(String why) {
        failures.add(why);
    }

    /** The failed checks recorded by {@link #fail}. */
    public List<String> failures() {
        synchronized (failures) {
            return List.copyOf(failures);
        }
    }
}
