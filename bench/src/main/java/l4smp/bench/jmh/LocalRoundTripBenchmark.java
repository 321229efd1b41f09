package l4smp.bench.jmh;

import l4smp.bench.runner.LocalRoundTripBench;
import l4smp.bench.runner.ScenarioRunner;
import l4smp.bench.runner.Scenarios;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * JMH version of {@code l4smp bench}: host nanoseconds per local IPC round trip (thesis section
 * 2.3, call / reply-and-wait on one CPU) through the kernel, in parallel and deterministic mode,
 * against two bare continuations alternating under one dispatcher loop.
 *
 * <p>The kernel benchmarks run a whole machine of {@value #ROUNDS} round trips per invocation
 * (machine construction and kernel boot included, a small share of it). Run with
 * {@code scripts/bench} or {@code java -cp bench/target/l4smp.jar org.openjdk.jmh.Main LocalRoundTrip}.
 *
 * <p>Thread contract: JMH's one benchmark thread per fork ({@link Scope#Thread} state).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED",
        "--add-opens", "java.base/java.lang=ALL-UNNAMED",
        "--enable-native-access=ALL-UNNAMED"})
public class LocalRoundTripBenchmark {

    /** Round trips per invocation of the kernel benchmarks. */
    static final int ROUNDS = 20_000;

    private LocalRoundTripBench.Baseline baseline;
    private ScenarioRunner runner;

    @Setup
    public void setup() {
        baseline = new LocalRoundTripBench.Baseline();
        runner = new ScenarioRunner(Scenarios.load(), null);
    }

    /** One round trip of two bare continuations under one dispatcher loop. */
    @Benchmark
    public long baseline() {
        return baseline.roundTrip();
    }

    /** Round trips of the pingpong scenario, parallel mode, one unpinned CPU. */
    @Benchmark
    @OperationsPerInvocation(ROUNDS)
    public double kernelParallel() {
        return LocalRoundTripBench.kernelNanos(runner, ROUNDS, null);
    }

    /** Round trips of the pingpong scenario, deterministic mode (seed 1), one CPU. */
    @Benchmark
    @OperationsPerInvocation(ROUNDS)
    public double kernelDeterministic() {
        return LocalRoundTripBench.kernelNanos(runner, ROUNDS, 1L);
    }
}
