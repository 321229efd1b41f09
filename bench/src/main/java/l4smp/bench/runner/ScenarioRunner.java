package l4smp.bench.runner;

import l4smp.bench.report.RunReport;
import l4smp.bench.report.SingleWriterLatencyRecorder;
import l4smp.bench.scenario.Scenario;
import l4smp.bench.scenario.ScenarioContext;
import l4smp.bench.scenario.ScenarioOptions;
import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;
import l4smp.emulator.trace.EventLog;
import l4smp.kernel.Kernel;
import org.HdrHistogram.Histogram;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs one scenario: builds the {@link MachineConfig} and the {@link Machine}, lets the scenario
 * set it up, gives a dispatcher to every CPU the scenario left without one, arms the host-time
 * budget, runs the machine and collects a {@link RunReport}. Shared by the command line, the
 * tests and the reproduction table.
 *
 * <p>Thread contract: {@link #run} runs on the calling thread (which is the deterministic
 * stepper in deterministic mode) and returns after the machine stopped; the budget timer and
 * the progress reporter run on one daemon thread of their own, which only sets the context's
 * time-up flag and reads opaque counters.
 */
public final class ScenarioRunner {

    private static final Logger LOG = LoggerFactory.getLogger(ScenarioRunner.class);

    /** Host time before the first progress line, and between two lines, in milliseconds. */
    static final long PROGRESS_DELAY_MS = 2000;
    static final long PROGRESS_PERIOD_MS = 1000;

    private final Scenarios scenarios;
    private final Consumer<String> progressSink;

    /**
     * @param scenarios    where scenario names are looked up
     * @param progressSink receives progress lines during long runs (when the spec asks for
     *                     progress); called on the runner's timer thread
     */
    public ScenarioRunner(Scenarios scenarios, Consumer<String> progressSink) {
        this.scenarios = scenarios;
        this.progressSink = progressSink;
    }

    /** A runner over the scenarios on the class path that logs progress at info level. */
    public static ScenarioRunner withDefaults() {
        return new ScenarioRunner(Scenarios.load(), line -> LOG.info("{}", line));
    }

    public Scenarios scenarios() {
        return scenarios;
    }

    /** Resolves the CPU count of {@code spec} for {@code scenario}, checking its minimum. */
    public static int resolveCpus(RunSpec spec, Scenario scenario) {
        int cpus = spec.cpus() == 0 ? scenario.defaultCpus() : spec.cpus();
        if (cpus < scenario.minCpus()) {
            throw new IllegalArgumentException("option --cpus: scenario " + scenario.name() + " needs at least "
                    + scenario.minCpus() + " CPUs, got " + cpus);
        }
        if (cpus > MachineConfig.MAX_CPUS) {
            throw new IllegalArgumentException("option --cpus must be 1.." + MachineConfig.MAX_CPUS + ", got " + cpus);
        }
        return cpus;
    }

    /**
     * Runs {@code spec}. A bad option (of the run or of the scenario) fails with an
     * {@link IllegalArgumentException} naming it, before the machine runs; a run that fails
     * returns a report whose {@link RunReport#ok()} is false.
     */
    public RunReport run(RunSpec spec) {
        Scenario scenario = scenarios.require(spec.scenario());
        int cpus = resolveCpus(spec, scenario);
        ScenarioOptions options = ScenarioOptions.parse(scenario.name(), scenario.options(), spec.scenarioOptions());
        MachineConfig.Builder cb = MachineConfig.builder()
                .cpus(cpus)
                .costModel(spec.costModel())
                .pinning(spec.pin())
                .slackCycles(spec.slackCycles())
                .strategy(spec.strategy())
                .captureTrace(spec.captureTrace())
                .maxTraceEvents(spec.maxTraceEvents())
                .failedCpus(spec.failedCpus());
        if (spec.seed() != null) {
            cb.deterministic(spec.seed());
        }
        long memory = scenario.memoryBytes(options);
        if (memory > 0) {
            cb.memoryBytes(memory);
        }
        if (spec.accounting() != null) {
            cb.accounting(spec.accounting());
        }
        MachineConfig config;
        try {
            config = cb.build();
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            throw new IllegalArgumentException(m.startsWith("the MESI accounting layer") ? "option --accounting: " + m
                    : m.startsWith("failed CPUs") ? "option --fail-cpu: " + m : m, e);
        }
        Machine machine = new Machine(config);
        ScenarioContext ctx = new ScenarioContext(machine, options, spec.ops(), spec.kernelConfig());
        scenario.setup(ctx);
        if (spec.failedCpus() != 0 && ctx.kernelIfBooted() == null) {
            throw new IllegalArgumentException("option --fail-cpu: scenario " + scenario.name() + " runs without the "
                    + "kernel, and only the kernel's boot (8.2) detects and masks out a failed CPU");
        }
        if (ctx.recorders().isEmpty()) {
            LOG.warn("scenario {} created no latency recorder: the report has no operations", scenario.name());
        }
        // With a booted kernel every CPU has its dispatcher; an emulator-level scenario may
        // leave CPUs without work, and the machine needs a dispatcher on each.
        for (int i = 0; i < cpus; i++) {
            if (machine.cpu(i).dispatcher() == null) {
                LOG.debug("scenario {} gives CPU {} no work: it idles", scenario.name(), i);
                machine.cpu(i).install(new IdleDispatcher());
            }
        }

        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "l4smp-run-timer");
            t.setDaemon(true);
            return t;
        });
        long hostStart = System.nanoTime();
        try {
            if (spec.seconds() != null) {
                timer.schedule(ctx::setTimeUp, spec.seconds().toNanos(), TimeUnit.NANOSECONDS);
            }
            if (spec.progress() && progressSink != null) {
                timer.scheduleAtFixedRate(() -> progress(ctx, machine, hostStart),
                        PROGRESS_DELAY_MS, PROGRESS_PERIOD_MS, TimeUnit.MILLISECONDS);
            }
            LOG.debug("running {} on {} CPUs ({})", scenario.name(), cpus, spec.deterministic()
                    ? "deterministic, seed " + spec.seed() : "parallel");
            machine.run();
        } finally {
            timer.shutdownNow();
        }
        ctx.runAfterRunChecks();
        return collect(spec, scenario, options, machine, ctx);
    }

    private void progress(ScenarioContext ctx, Machine machine, long hostStart) {
        long ops = 0;
        for (SingleWriterLatencyRecorder r : ctx.recorders()) {
            ops += r.operationsOpaque();
        }
        double s = (System.nanoTime() - hostStart) / 1e9;
        progressSink.accept(String.format(Locale.ROOT, "%6.1f s: %,d ops (%,.0f ops/s), simulated %,d cycles",
                s, ops, ops / s, machine.maxClockAcquire()));
    }

    private static RunReport collect(RunSpec spec, Scenario scenario, ScenarioOptions options, Machine machine,
                                     ScenarioContext ctx) {
        int cpus = machine.cpuCount();
        long[] clocks = new long[cpus];
        // The machine's and the kernel's counters, then the accounting layer's (mem.*).
        List<String> names = List.copyOf(machine.counterSnapshot(0).keySet());
        long[][] perCpu = new long[cpus][names.size()];
        for (int c = 0; c < cpus; c++) {
            clocks[c] = machine.cpu(c).clockAcquire();
            int i = 0;
            for (long v : machine.counterSnapshot(c).values()) {
                perCpu[c][i++] = v;
            }
        }
        Map<String, Object> results = new LinkedHashMap<>(ctx.results());
        if (machine.memorySystem() != null) {
            // Coherence misses by the kernel object (or user page) that owns the line.
            Map<String, Object> byOwner = new LinkedHashMap<>();
            for (Map.Entry<String, long[]> e : machine.memorySystem().attributionReportOpaque().entrySet()) {
                if (e.getValue()[0] != 0 || e.getValue()[1] != 0) {
                    byOwner.put(e.getKey(), Map.of("coherence_misses", e.getValue()[0], "invalidations", e.getValue()[1]));
                }
            }
            if (!byOwner.isEmpty()) {
                results.put("coherence_by_owner", byOwner);
            }
        }
        List<RunReport.RecorderReport> recorders = new ArrayList<>();
        Histogram cycles = new Histogram(3);
        Histogram nanos = new Histogram(3);
        for (SingleWriterLatencyRecorder r : ctx.recorders()) {
            recorders.add(new RunReport.RecorderReport(r.name(), r.operations(), r.cycles(), r.hostNanos()));
            cycles.add(r.cycles());
            nanos.add(r.hostNanos());
        }
        Kernel kernel = ctx.kernelIfBooted();
        List<String> failures = new ArrayList<>(kernel == null ? List.of() : kernel.failures());
        failures.addAll(ctx.failures()); // the scenario's own checks (ScenarioContext.fail)
        if (kernel != null && machine.outcome().ok()) {
            // Every run that booted a kernel ends with the invariant check (each thread in exactly
            // one CPU's structures, matching its cpu field; none in two queues): a violation makes
            // the run fail like a thread that threw. The machine has stopped: its state is final.
            List<String> violations = l4smp.kernel.KernelInvariants.check(kernel);
            for (String v : violations) {
                failures.add("kernel invariant violated: " + v);
            }
            results.put("invariants", violations.isEmpty() ? "hold" : violations.size() + " violated");
        }
        failures = List.copyOf(failures);
        long events = 0;
        for (EventLog log : machine.eventLogs()) {
            events += log.count();
        }
        Map<String, Object> shownOptions = options.asMap();
        if (!spec.kernelConfig().plants().isEmpty()) {
            // A planted race (diagnostics) is named in the header: such a run is no measurement.
            shownOptions = new java.util.LinkedHashMap<>(shownOptions);
            shownOptions.put("PLANTED-RACE", String.join(",", new java.util.TreeSet<>(spec.kernelConfig().plants())));
        }
        return new RunReport(scenario.name(), shownOptions, cpus, spec.ops(),
                spec.seconds() == null ? null : spec.seconds().toNanos() / 1e9,
                spec.seed(), spec.deterministic() ? strategyName(spec) : null, spec.pin(), spec.slackCycles(),
                spec.costModel(), machine.outcome(), clocks, names, perCpu, List.copyOf(recorders), cycles, nanos,
                List.copyOf(failures), results, machine.traceHash(), events, machine.eventLogs(), ctx.timeUp());
    }

    private static String strategyName(RunSpec spec) {
        return spec.strategy().name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
