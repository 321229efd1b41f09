package l4smp.bench.jmh;

import l4smp.bench.report.RunReport;
import l4smp.bench.runner.RunSpec;
import l4smp.bench.runner.ScenarioRunner;
import l4smp.bench.runner.Scenarios;

/**
 * Prepared kernel runs for the JMH benchmarks: a benchmark prepares the next run in a
 * per-invocation setup (machine construction, kernel boot and the scenario's thread creation,
 * outside JMH's timing) and its benchmark method runs it, so the score is the run alone.
 *
 * <p>Thread contract: one JMH benchmark thread (the states holding it are thread-scoped).
 */
final class KernelRuns {

    private final ScenarioRunner runner = new ScenarioRunner(Scenarios.load(), null);
    private ScenarioRunner.PreparedRun next;

    /** Builds and sets up {@code spec}'s run; {@link #run} runs it. */
    void prepare(RunSpec spec) {
        next = runner.prepareRun(spec);
    }

    /**
     * Runs the prepared run and checks it did {@code ops} operations.
     *
     * @return the simulated cycles of the run (consumed by JMH)
     */
    long run(long ops) {
        RunReport r = runner.run(next);
        next = null;
        if (!r.ok() || r.operations() != ops) {
            throw new IllegalStateException("the benchmark's run failed: " + r.outcome() + " " + r.kernelFailures()
                    + ", " + r.operations() + " of " + ops + " operations");
        }
        return r.operations();
    }

    /** The {@code pingpong} scenario without latency recording. */
    static RunSpec pingPong(String placement, int cpus, long ops, Long seed, boolean accounting, boolean pin) {
        return RunSpec.builder("pingpong").cpus(cpus).ops(ops).seed(seed).pin(pin).accounting(accounting)
                .scenarioOptions(java.util.Map.of("latency", "off", "placement", placement)).build();
    }
}
