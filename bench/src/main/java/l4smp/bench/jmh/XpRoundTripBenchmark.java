package l4smp.bench.jmh;

import org.jctools.queues.SpscArrayQueue;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Host nanoseconds per cross-processor IPC round trip (thesis 8.3.5: a client on CPU 0 calls a
 * server on CPU 1, which answers with reply-and-wait), the {@code pingpong} scenario with
 * {@code --placement cross --cpus 2}: parallel mode (two pinned CPU threads) with the
 * accounting layer on and off, deterministic mode (one host thread steps both CPUs), and the
 * raw baseline of two host threads spinning on two SPSC queues, one slot each way.
 *
 * <p>Each kernel invocation runs one machine of {@value #ROUNDS} round trips, built and booted
 * in a per-invocation setup outside the timing. On a host with fewer than two free cores the
 * parallel figures measure the host's scheduler as much as the emulator.
 *
 * <p>Thread contract: JMH's one benchmark thread per fork; the SPSC echo thread is the state's own.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED",
        "--add-opens", "java.base/java.lang=ALL-UNNAMED",
        "--enable-native-access=ALL-UNNAMED"})
public class XpRoundTripBenchmark {

    /** Round trips per invocation of the kernel benchmarks. */
    static final int ROUNDS = 5_000;

    private final KernelRuns runs = new KernelRuns();
    private SpscArrayQueue<Long> ping;
    private SpscArrayQueue<Long> pong;
    private Thread echo;
    private volatile boolean echoing;
    private final Long token = 1L;

    /** The next kernel run of the benchmark about to be invoked, by its name. */
    @Setup(Level.Invocation)
    public void prepare(org.openjdk.jmh.infra.BenchmarkParams params) {
        String name = params.getBenchmark();
        if (name.endsWith(".spscBaseline")) {
            return;
        }
        boolean deterministic = name.endsWith(".kernelDeterministic");
        boolean accounting = !name.endsWith(".kernelParallelAccountingOff");
        runs.prepare(KernelRuns.pingPong("cross", 2, ROUNDS, deterministic ? 1L : null, accounting, !deterministic));
    }

    /** Starts the SPSC echo thread (for {@link #spscBaseline}; idle otherwise: it is not started). */
    @Setup(Level.Trial)
    public void startEcho(org.openjdk.jmh.infra.BenchmarkParams params) {
        if (!params.getBenchmark().endsWith(".spscBaseline")) {
            return;
        }
        ping = new SpscArrayQueue<>(64);
        pong = new SpscArrayQueue<>(64);
        echoing = true;
        echo = Thread.ofPlatform().daemon(true).name("l4smp-jmh-spsc-echo").start(() -> {
            while (echoing) {
                Long v = ping.relaxedPoll();
                if (v == null) {
                    Thread.onSpinWait();
                    continue;
                }
                while (!pong.relaxedOffer(v)) {
                    Thread.onSpinWait();
                }
            }
        });
    }

    @TearDown(Level.Trial)
    public void stopEcho() throws InterruptedException {
        echoing = false;
        if (echo != null) {
            echo.join(5_000);
        }
    }

    /** One round trip through two SPSC queues between two spinning host threads. */
    @Benchmark
    public Long spscBaseline() {
        while (!ping.relaxedOffer(token)) {
            Thread.onSpinWait();
        }
        Long v;
        while ((v = pong.relaxedPoll()) == null) {
            Thread.onSpinWait();
        }
        return v;
    }

    /** XP round trips, parallel mode, two pinned CPUs, accounting on (the default). */
    @Benchmark
    @OperationsPerInvocation(ROUNDS)
    public long kernelParallel() {
        return runs.run(ROUNDS);
    }

    /** As {@link #kernelParallel}, accounting off. */
    @Benchmark
    @OperationsPerInvocation(ROUNDS)
    public long kernelParallelAccountingOff() {
        return runs.run(ROUNDS);
    }

    /** XP round trips, deterministic mode (seed 1): one host thread steps both CPUs. */
    @Benchmark
    @OperationsPerInvocation(ROUNDS)
    public long kernelDeterministic() {
        return runs.run(ROUNDS);
    }
}
