package l4smp.bench.jmh;

import l4smp.bench.runner.RunSpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Host scaling of independent pairs: round trips per host second of
 * {@code pingpong --pairs N --cpus N} (N local client/server pairs, pair p on CPU p, parallel
 * mode, pinned as {@code l4smp run} pins), with the accounting layer on and off. Every invocation
 * runs one machine of {@value #ROUNDS} round trips shared among its pairs, built and booted in a
 * per-invocation setup outside the timing; the score is the run alone (its CPU threads' start and
 * join included). The scaling factor is the score at N over the score at {@code pairs=1} of the
 * same {@code accounting}; where N exceeds the host's cores the score measures the host
 * time-slicing the CPU threads, not scaling ({@code l4smp bench --what scaling} is the quick
 * view of the same runs).
 *
 * <p>Thread contract: JMH's one benchmark thread per fork ({@link Scope#Thread} state); each run
 * starts and joins its N CPU threads.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED",
        "--add-opens", "java.base/java.lang=ALL-UNNAMED",
        "--enable-native-access=ALL-UNNAMED"})
public class PairsScalingBenchmark {

    /** Round trips per invocation, shared among the pairs. */
    static final int ROUNDS = 50_000;

    /** Independent pairs, one simulated CPU each. */
    @Param({"1", "2", "4", "8", "15"})
    public int pairs;

    /** Whether the accounting layer charges the run's memory accesses. */
    @Param({"false", "true"})
    public boolean accounting;

    private final KernelRuns runs = new KernelRuns();

    @Setup(Level.Invocation)
    public void prepare() {
        runs.prepare(RunSpec.builder("pingpong").cpus(pairs).ops(ROUNDS).accounting(accounting)
                .scenarioOptions(Map.of("latency", "off", "placement", "local", "pairs", Integer.toString(pairs)))
                .build());
    }

    /** {@value #ROUNDS} round trips of {@code pairs} pairs side by side. */
    @Benchmark
    @OperationsPerInvocation(ROUNDS)
    public long roundTrips() {
        return runs.run(ROUNDS);
    }
}
