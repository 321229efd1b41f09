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
import l4smp.kernel.ThreadView;
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
 * stepper in deterministic mode) and returns after the machine stopped; the budget timer, the
 * progress reporter and the stall watchdog run on one daemon thread of their own, which sets the
 * context's time-up flag, reads opaque counters and clocks, and stops the machine.
 * {@link #interrupt} may be called from any thread (a signal handler).
 *
 * <p>The stall watchdog: every {@value #WATCH_PERIOD_MS} ms of host time it samples the
 * operations done (summed over the recorders) and the live non-daemon threads, and the highest
 * CPU clock. If neither count changed while the highest clock moved {@link RunSpec#stallCycles}
 * past its value at the last change, the run makes no progress: the watchdog records what each
 * CPU was doing and stops the machine as failed with the stop reason "stalled"; once it has
 * stopped, the report gets what each CPU's threads wait for (the kernel's thread views, exact
 * then). An interrupted or stalled run skips the scenario's after-run checks and the kernel
 * invariant check: the machine stopped in the middle of its work.
 */
public final class ScenarioRunner {

    private static final Logger LOG = LoggerFactory.getLogger(ScenarioRunner.class);

    /** Host time before the first progress line, and between two lines, in milliseconds. */
    static final long PROGRESS_DELAY_MS = 2000;
    static final long PROGRESS_PERIOD_MS = 1000;

    /** Host time between two samples of the stall watchdog (and checks for an interrupt). */
    static final long WATCH_PERIOD_MS = 50;

    /** The most threads listed per CPU in a stalled run's report (the rest are counted). */
    static final int WAITS_LISTED_PER_CPU = 8;

    private final Scenarios scenarios;
    /** The machine of the run in progress, or null. Written by the running thread, read by any. */
    private volatile Machine current;
    /** Why the run was interrupted ({@link #interrupt}), or null. Any thread. */
    private volatile String interruptReason;
    private final Consumer<Progress> progressSink;

    /**
     * How far a run has come, for a progress display.
     *
     * @param opsDone         operations recorded so far
     * @param opsRequested    the operation budget ({@code Long.MAX_VALUE}: only a time budget)
     * @param hostSeconds     host time since the machine started
     * @param secondsBudget   the host-time budget in seconds, or 0 for none
     * @param simulatedCycles the highest CPU clock
     * @param finished        whether the machine has stopped (the last report of a run)
     */
    public record Progress(long opsDone, long opsRequested, double hostSeconds, double secondsBudget,
                           long simulatedCycles, boolean finished) {

        /** Operations per host second so far. */
        public double rate() {
            return hostSeconds > 0 ? opsDone / hostSeconds : 0.0;
        }

        /** The share done, 0..1, by operations or by the time budget, whichever is further; -1 if unknown. */
        public double fraction() {
            double byOps = opsRequested == Long.MAX_VALUE ? -1 : Math.min(1.0, opsDone / (double) opsRequested);
            double byTime = secondsBudget > 0 ? Math.min(1.0, hostSeconds / secondsBudget) : -1;
            return Math.max(byOps, byTime);
        }

        /** Host seconds left at the rate so far, or -1 when unknown. */
        public double etaSeconds() {
            double f = fraction();
            if (f <= 0) {
                return -1;
            }
            return Math.max(0.0, hostSeconds * (1 - f) / f);
        }

        /** The one-line form: elapsed time, operations, share, rate, ETA, simulated cycles. */
        public String line() {
            double f = fraction();
            double eta = etaSeconds();
            return String.format(Locale.ROOT, "%6.1f s: %,d ops%s (%,.0f ops/s)%s, simulated %,d cycles", hostSeconds,
                    opsDone, f >= 0 ? String.format(Locale.ROOT, " %.1f%%", 100 * f) : "", rate(),
                    eta >= 0 ? ", ETA " + duration(eta) : "", simulatedCycles);
        }

        /** Seconds as m:ss or h:mm:ss. */
        public static String duration(double seconds) {
            long s = Math.round(seconds);
            return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                    : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
        }
    }

    /**
     * @param scenarios    where scenario names are looked up
     * @param progressSink receives progress lines during long runs (when the spec asks for
     *                     progress); called on the runner's timer thread
     */
    public ScenarioRunner(Scenarios scenarios, Consumer<String> progressSink) {
        this.scenarios = scenarios;
        this.progressSink = progressSink == null ? null : p -> {
            if (!p.finished()) {
                progressSink.accept(p.line());
            }
        };
        this.progressDelayMs = PROGRESS_DELAY_MS;
    }

    /**
     * A runner that reports {@link Progress} (when the spec asks for progress): every
     * {@value #PROGRESS_PERIOD_MS} ms after the first {@value #PROGRESS_DELAY_MS} ms, on the
     * runner's timer thread, and once with {@code finished} set after the machine stopped, on
     * the calling thread.
     *
     * @param progressDelayMs host time before the first report (a progress bar starts at once)
     */
    public ScenarioRunner(Scenarios scenarios, Consumer<Progress> progress, long progressDelayMs) {
        this.scenarios = scenarios;
        this.progressSink = progress;
        this.progressDelayMs = progressDelayMs;
    }

    private final long progressDelayMs;

    /** A runner over the scenarios on the class path that logs progress at info level. */
    public static ScenarioRunner withDefaults() {
        return new ScenarioRunner(Scenarios.load(), line -> LOG.info("{}", line));
    }

    public Scenarios scenarios() {
        return scenarios;
    }

    /**
     * Stops the run in progress (or the next one, if none has started its machine yet) as
     * interrupted: the machine stops at its CPUs' next duty cycle, and {@link #run} returns the
     * report of what ran, with outcome "interrupted". Idempotent. Any thread.
     *
     * @param why the cause, e.g. "SIGINT" (it follows "interrupted" in the stop reason)
     */
    public void interrupt(String why) {
        if (interruptReason == null) {
            interruptReason = why;
        }
        Machine m = current;
        if (m != null) {
            m.requestStop(RunReport.STOP_INTERRUPTED + " (" + why + ")");
        }
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

    /** A run set up and checked, not yet started. */
    private record Prepared(Scenario scenario, ScenarioOptions options, Machine machine, ScenarioContext ctx) {
    }

    /**
     * Checks {@code spec} as {@link #run} does, up to and including the scenario's setup (its
     * own checks of its options), without running the machine: a bad option fails with an
     * {@link IllegalArgumentException} naming it.
     */
    public void validate(RunSpec spec) {
        prepare(spec);
    }

    private Prepared prepare(RunSpec spec) {
        Scenario scenario = scenarios.require(spec.scenario());
        int cpus = resolveCpus(spec, scenario);
        ScenarioOptions options = ScenarioOptions.parse(scenario.name(), scenario.options(), spec.scenarioOptions());
        MachineConfig.Builder cb = MachineConfig.builder()
                .cpus(cpus)
                .costModel(spec.costModel())
                .pinning(spec.pin())
                .slackCycles(spec.slackCycles())
                .timing(spec.timing())
                .strategy(spec.strategy())
                .pctDepth(spec.pctDepth())
                .pctSteps(spec.pctSteps())
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
        int processors = cpus - Long.bitCount(spec.failedCpus());
        if (processors < scenario.minCpus()) {
            throw new IllegalArgumentException("option --fail-cpu: scenario " + scenario.name() + " needs at least "
                    + scenario.minCpus() + " processors, but only " + processors + " of its " + cpus
                    + " CPUs come up");
        }
        Machine machine = new Machine(config);
        if (spec.maxSteps() > 0 && spec.deterministic()) {
            machine.setStepLimit(spec.maxSteps());
        }
        ScenarioContext ctx = new ScenarioContext(machine, options, spec.ops(), spec.kernelConfig());
        scenario.setup(ctx);
        if (spec.failedCpus() != 0 && ctx.kernelIfBooted() == null) {
            throw new IllegalArgumentException("option --fail-cpu: scenario " + scenario.name() + " runs without the "
                    + "kernel, and only the kernel's boot (8.2) detects and masks out a failed CPU");
        }
        if (spec.kernelConfig().plant() != l4smp.kernel.Plant.NONE && ctx.kernelIfBooted() == null) {
            throw new IllegalArgumentException("option --plant: scenario " + scenario.name() + " runs without the kernel, "
                    + "where no race can be planted");
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

        return new Prepared(scenario, options, machine, ctx);
    }

    /**
     * Runs {@code spec}. A bad option (of the run or of the scenario) fails with an
     * {@link IllegalArgumentException} naming it, before the machine runs; a run that fails
     * returns a report whose {@link RunReport#ok()} is false.
     */
    public RunReport run(RunSpec spec) {
        return run(spec, null);
    }

    /**
     * Runs {@code spec} like {@link #run(RunSpec)}, showing every trace event as it is recorded
     * to {@code traceListener} (when not {@code null}; see {@link Machine#listenToTrace}).
     */
    public RunReport run(RunSpec spec, l4smp.emulator.trace.EventLog.Listener traceListener) {
        return run(spec, prepare(spec), traceListener);
    }

    /**
     * A run whose machine is built and whose scenario has set up its threads (the kernel booted
     * where the scenario uses one), not yet started: {@link #run(PreparedRun)} runs it, once. For
     * benchmarks that time the run apart from its setup (with many threads, the setup is most of
     * a short run's host time).
     */
    public static final class PreparedRun {
        private final RunSpec spec;
        private Prepared prepared;

        private PreparedRun(RunSpec spec, Prepared prepared) {
            this.spec = spec;
            this.prepared = prepared;
        }
    }

    /** Checks and sets up {@code spec} as {@link #run(RunSpec)} does, without running it. */
    public PreparedRun prepareRun(RunSpec spec) {
        return new PreparedRun(spec, prepare(spec));
    }

    /**
     * Runs a prepared run, as {@link #run(RunSpec)} would have run it.
     *
     * @throws IllegalStateException if it ran already (a machine runs once)
     */
    public RunReport run(PreparedRun run) {
        Prepared p = run.prepared;
        if (p == null) {
            throw new IllegalStateException("this prepared run of " + run.spec.scenario() + " ran already");
        }
        run.prepared = null;
        return run(run.spec, p, null);
    }

    private RunReport run(RunSpec spec, Prepared p, l4smp.emulator.trace.EventLog.Listener traceListener) {
        Scenario scenario = p.scenario();
        ScenarioOptions options = p.options();
        Machine machine = p.machine();
        ScenarioContext ctx = p.ctx();
        if (traceListener != null) {
            machine.listenToTrace(traceListener);
        }
        l4smp.bench.report.TraceSpool spool = null;
        if (spec.captureTrace()) {
            try {
                spool = new l4smp.bench.report.TraceSpool(machine);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot create the trace's temporary files", e);
            }
        }
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "l4smp-run-timer");
            t.setDaemon(true);
            return t;
        });
        long hostStart = System.nanoTime();
        StallWatch watch = new StallWatch(spec.stallCycles(), ctx, machine);
        try {
            current = machine;
            timer.scheduleAtFixedRate(watch::check, WATCH_PERIOD_MS, WATCH_PERIOD_MS, TimeUnit.MILLISECONDS);
            if (spec.seconds() != null) {
                timer.schedule(ctx::setTimeUp, spec.seconds().toNanos(), TimeUnit.NANOSECONDS);
            }
            if (spec.progress() && progressSink != null) {
                timer.scheduleAtFixedRate(() -> progress(spec, ctx, machine, hostStart, false),
                        progressDelayMs, PROGRESS_PERIOD_MS, TimeUnit.MILLISECONDS);
            }
            LOG.debug("running {} on {} CPUs ({})", scenario.name(), machine.cpuCount(), spec.deterministic()
                    ? "deterministic, seed " + spec.seed() : "parallel");
            machine.run();
        } finally {
            current = null;
            timer.shutdownNow();
            try {
                timer.awaitTermination(1, TimeUnit.SECONDS); // no progress report after the last one
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (spec.progress() && progressSink != null) {
            progress(spec, ctx, machine, hostStart, true);
        }
        boolean stoppedEarly = stoppedEarly(machine);
        if (!stoppedEarly) {
            ctx.runAfterRunChecks();
        } else {
            ctx.runStoppedEarlyReports();
        }
        if (isStalled(machine)) {
            ctx.putResult(RunReport.RESULT_WAITS, waits(machine, ctx.kernelIfBooted(), watch.cpuViews()));
        }
        if (spool != null) {
            try {
                spool.finish();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        // every user thread the run created, those that ended included (numbers are not reused)
        Map<Integer, String> threadNames = ctx.kernelIfBooted() == null ? Map.of()
                : ctx.kernelIfBooted().statistics().threadNames();
        return collect(spec, scenario, options, machine, ctx, stoppedEarly, Map.copyOf(threadNames), spool);
    }

    /** Whether the machine was stopped in the middle of its work: interrupted, or stalled. */
    private static boolean stoppedEarly(Machine machine) {
        String reason = machine.outcome().stopReason();
        return reason != null && (reason.startsWith(RunReport.STOP_INTERRUPTED) || isStalled(machine));
    }

    private static boolean isStalled(Machine machine) {
        String reason = machine.outcome().stopReason();
        return reason != null && reason.startsWith(RunReport.STOP_STALLED);
    }

    /**
     * The stall watchdog and the interrupt check of one run (see the class comment). Timer
     * thread only, except {@link #cpuViews}, read after the machine stopped.
     */
    private final class StallWatch {
        private final long limit;
        private final ScenarioContext ctx;
        private final Machine machine;
        private long lastOps = -1;
        private long lastLive = -1;
        private long clockAtChange;
        private volatile String[] cpuViews;

        StallWatch(long limit, ScenarioContext ctx, Machine machine) {
            this.limit = limit;
            this.ctx = ctx;
            this.machine = machine;
        }

        void check() {
            String why = interruptReason;
            if (why != null) {
                machine.requestStop(RunReport.STOP_INTERRUPTED + " (" + why + ")");
                return;
            }
            if (limit == RunSpec.NO_STALL_LIMIT || !machine.runningOpaque()) {
                return;
            }
            long clock = machine.maxClockAcquire();
            long ops = 0;
            for (SingleWriterLatencyRecorder r : ctx.recorders()) {
                ops += r.operationsOpaque();
            }
            Kernel kernel = ctx.kernelIfBooted();
            long live = kernel == null ? 0 : kernel.liveNonDaemonThreads();
            if (ops != lastOps || live != lastLive) {
                lastOps = ops;
                lastLive = live;
                clockAtChange = clock;
                return;
            }
            if (clock - clockAtChange >= limit) {
                String[] views = new String[machine.cpuCount()];
                for (int i = 0; i < views.length; i++) {
                    views[i] = machine.cpu(i).describe();
                }
                cpuViews = views;
                machine.fail(RunReport.STOP_STALLED, String.format(Locale.ROOT, "stalled: no operation completed "
                        + "and no thread ended in %,d simulated cycles (the --stall limit %,d; %,d operations done, "
                        + "the last at or after cycle %,d, now cycle %,d)", clock - clockAtChange, limit, ops,
                        clockAtChange, clock), null);
            }
        }

        String[] cpuViews() {
            return cpuViews;
        }
    }

    /**
     * Per CPU ("cpu0", ...): what it was doing when the watchdog fired, and what its live threads
     * wait for (name, state, partner; at most {@value #WAITS_LISTED_PER_CPU} listed).
     */
    private static Map<String, String> waits(Machine machine, Kernel kernel, String[] cpuViews) {
        Map<String, StringBuilder> lines = new LinkedHashMap<>();
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (int i = 0; i < machine.cpuCount(); i++) {
            String view = cpuViews != null ? cpuViews[i] : machine.cpu(i).describe();
            lines.put("cpu" + i, new StringBuilder(view));
            counts.put("cpu" + i, 0);
        }
        if (kernel != null) {
            for (ThreadView v : kernel.threadViews()) {
                String key = "cpu" + v.cpu();
                StringBuilder sb = lines.get(key);
                if (sb == null) {
                    continue;
                }
                int n = counts.merge(key, 1, Integer::sum);
                if (n <= WAITS_LISTED_PER_CPU) {
                    sb.append(n == 1 ? "; threads: " : ", ").append(v);
                }
            }
        }
        Map<String, String> out = new LinkedHashMap<>();
        lines.forEach((cpu, sb) -> {
            int n = counts.get(cpu);
            if (kernel != null && n == 0) {
                sb.append("; no live threads");
            } else if (n > WAITS_LISTED_PER_CPU) {
                sb.append(" and ").append(n - WAITS_LISTED_PER_CPU).append(" more");
            }
            out.put(cpu, sb.toString());
        });
        return out;
    }

    private void progress(RunSpec spec, ScenarioContext ctx, Machine machine, long hostStart, boolean finished) {
        long ops = 0;
        for (SingleWriterLatencyRecorder r : ctx.recorders()) {
            ops += r.operationsOpaque();
        }
        double s = (System.nanoTime() - hostStart) / 1e9;
        progressSink.accept(new Progress(ops, spec.ops(), s, spec.seconds() == null ? 0 : spec.seconds().toNanos() / 1e9,
                machine.maxClockAcquire(), finished));
    }

    private static RunReport collect(RunSpec spec, Scenario scenario, ScenarioOptions options, Machine machine,
                                     ScenarioContext ctx, boolean stoppedEarly, Map<Integer, String> threadNames,
                                     l4smp.bench.report.TraceSpool spool) {
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
        if (spec.kernelConfig().plant() != l4smp.kernel.Plant.NONE) {
            // A planted race is named in every report of the run (tests and hunts only).
            results.put("planted", spec.kernelConfig().plant().cliName());
        }
        if (spec.deterministic() && spec.strategy() == l4smp.emulator.ScheduleStrategy.PCT) {
            results.put("steps", machine.deterministicSteps()); // k, the PCT step estimate of a like run
        }
        if (machine.memorySystem() != null) {
            // Coherence misses by the kernel object (or user page) that owns the line.
            Map<String, Object> byOwner = new LinkedHashMap<>();
            for (Map.Entry<String, long[]> e : machine.memorySystem().attributionReportOpaque().entrySet()) {
                if (e.getValue()[0] != 0 || e.getValue()[1] != 0) {
                    Map<String, Object> misses = new LinkedHashMap<>();
                    misses.put("coherence_misses", e.getValue()[0]);
                    misses.put("invalidations", e.getValue()[1]);
                    byOwner.put(e.getKey(), misses);
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
        if (kernel != null && stoppedEarly) {
            results.put("invariants", "not checked: the run was stopped in the middle of its work");
        } else if (kernel != null && machine.outcome().ok()) {
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
        return new RunReport(scenario.name(), shownOptions, cpus, spec.ops(),
                spec.seconds() == null ? null : spec.seconds().toNanos() / 1e9,
                spec.seed(), spec.deterministic() ? strategyName(spec) : null, spec.pin(), spec.slackCycles(),
                spec.costModel(), machine.outcome(), clocks, names, perCpu, List.copyOf(recorders), cycles, nanos,
                List.copyOf(failures), results, machine.traceHash(), events, machine.eventLogs(), ctx.timeUp(),
                spec, machine.config().accounting(), threadNames, spool,
                new RunReport.Timing(machine.timingCorrections(), machine.largestTimingCorrection()));
    }

    private static String strategyName(RunSpec spec) {
        if (spec.strategy() == l4smp.emulator.ScheduleStrategy.PCT) {
            return "pct, depth " + spec.pctDepth() + ", steps " + spec.pctSteps();
        }
        return spec.strategy().name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
