package l4smp.bench.jmh;

import l4smp.bench.runner.LocalRoundTripBench;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
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
 * JMH version of {@code l4smp bench --what local}: host nanoseconds per local IPC round trip
 * (thesis section 2.3, call / reply-and-wait on one CPU) through the kernel, against two bare
 * continuations alternating under one dispatcher loop.
 *
 * <p>Each kernel invocation runs one machine of {@value #ROUNDS} round trips of the
 * {@code pingpong} scenario; the machine is built and booted in a per-invocation setup, outside
 * the timing. The parallel-mode run is measured with the accounting layer on (the default),
 * off (the execution core alone), and on without the guest-identity rule (a running guest is
 * the current thread; {@code -Dl4smp.noGuestIdentity=true} in a fork of its own). Compare
 * {@code kernelParallel} with {@code kernelParallelNoGuestIdentity}: JMH's error bars say
 * whether the difference is resolved.
 *
 * <p>Thread contract: JMH's one benchmark thread per fork ({@link Scope#Thread} state).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED",
        "--add-opens", "java.base/java.lang=ALL-UNNAMED",
        "--enable-native-access=ALL-UNNAMED"})
public class LocalRoundTripBenchmark {

    /** Round trips per invocation of the kernel benchmarks. */
    static final int ROUNDS = 20_000;

    private LocalRoundTripBench.Baseline baseline;
    private final KernelRuns runs = new KernelRuns();

    @Setup
    public void setup() {
        baseline = new LocalRoundTripBench.Baseline();
    }

    /** The next kernel run of the benchmark about to be invoked, by its name. */
    @Setup(Level.Invocation)
    public void prepare(org.openjdk.jmh.infra.BenchmarkParams params) {
        String name = params.getBenchmark();
        if (name.endsWith(".baseline")) {
            return;
        }
        boolean deterministic = name.endsWith(".kernelDeterministic");
        boolean accounting = !name.endsWith(".kernelParallelAccountingOff");
        runs.prepare(KernelRuns.pingPong("local", 1, ROUNDS, deterministic ? 1L : null, accounting, false));
    }

    /** One round trip of two bare continuations under one dispatcher loop. */
    @Benchmark
    public long baseline() {
        return baseline.roundTrip();
    }

    /** Round trips of the pingpong scenario, parallel mode, one unpinned CPU, accounting on. */
    @Benchmark
    @OperationsPerInvocation(ROUNDS)
    public long kernelParallel() {
        return runs.run(ROUNDS);
    }

    /** As {@link #kernelParallel}, accounting off: the execution core and the kernel's IPC path alone. */
    @Benchmark
    @OperationsPerInvocation(ROUNDS)
    public long kernelParallelAccountingOff() {
        return runs.run(ROUNDS);
    }

    /**
     * As {@link #kernelParallel}, in forks with {@code -Dl4smp.noGuestIdentity=true}: the CPU
     * is found by a method-handle lookup instead of the guest running as the current thread.
     */
    @Benchmark
    @OperationsPerInvocation(ROUNDS)
    @Fork(value = 2, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED",
            "--add-opens", "java.base/java.lang=ALL-UNNAMED",
            "--enable-native-access=ALL-UNNAMED", "-Dl4smp.noGuestIdentity=true"})
    public long kernelParallelNoGuestIdentity() {
        return runs.run(ROUNDS);
    }

    /** Round trips of the pingpong scenario, deterministic mode (seed 1), one CPU. */
    @Benchmark
    @OperationsPerInvocation(ROUNDS)
    public long kernelDeterministic() {
        return runs.run(ROUNDS);
    }
}
