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
 * Host throughput of the {@code client-server} scenario on one CPU, deterministic (seed 1), with
 * 10, 1,000 and 10,000 clients calling one server: the kernel's cost per call should not grow with the
 * number of threads (the ready list, the wake-up queue, the send queue and the thread table are
 * never scanned on the IPC path). The score is operations per second of the run alone: the
 * machine, the kernel and the clients are set up in a per-invocation setup, outside the timing
 * (with 10,000 clients that setup is most of a short run's host time; every size runs the same
 * {@value #OPS} calls, so with 1,000 clients each calls 50 times, with 10,000 each 5 times). With the accounting layer
 * on (the default) 10,000 clients also cost more simulated work, as their TCB lines no longer fit
 * the simulated caches; {@code accounting=false} leaves the execution core and the kernel alone.
 *
 * <p>Thread contract: JMH's one benchmark thread per fork; in deterministic mode it steps the CPU.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED",
        "--add-opens", "java.base/java.lang=ALL-UNNAMED",
        "--enable-native-access=ALL-UNNAMED"})
public class ClientServerBenchmark {

    /** Calls per invocation. */
    static final int OPS = 50_000;

    @Param({"10", "1000", "10000"})
    public int clients;

    /** Whether the accounting layer charges the run's memory accesses. */
    @Param({"true", "false"})
    public boolean accounting;

    private final KernelRuns runs = new KernelRuns();

    @Setup(Level.Invocation)
    public void prepare() {
        runs.prepare(RunSpec.builder("client-server").cpus(1).ops(OPS).seed(1L).pin(false).accounting(accounting)
                .scenarioOptions(Map.of("clients", Integer.toString(clients))).build());
        // The setup's garbage (most of it with many clients) is collected here, not in the run.
        System.gc();
    }

    /** {@value #OPS} calls of the clients to the server. */
    @Benchmark
    @OperationsPerInvocation(OPS)
    public long calls() {
        return runs.run(OPS);
    }
}
