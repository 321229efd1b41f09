package l4smp.bench.runner;

import jdk.internal.vm.Continuation;
import jdk.internal.vm.ContinuationScope;
import l4smp.bench.report.RunReport;

import java.util.Arrays;

/**
 * The quick in-process benchmark of {@code l4smp bench}: the host cost of one local IPC round
 * trip (call / reply-and-wait between two L4 threads on one CPU, thesis section 2.3) through the
 * kernel and the {@code pingpong} scenario's threads, against the bare lower bound of the same
 * pattern: two continuations alternating under one dispatcher loop on one host thread, passing
 * a word through a shared "message register".
 *
 * <p>Thread contract: each method runs on the calling thread (the parallel-mode kernel run also
 * starts the machine's one CPU thread) and returns when its measurement is done.
 */
public final class LocalRoundTripBench {

    private static final ContinuationScope SCOPE = new ContinuationScope("l4smp-bench-baseline");

    /** Written with each measurement's result so the JIT cannot drop the loop. */
    static volatile long blackhole;

    private LocalRoundTripBench() {
    }

    /**
     * Two continuations, a client and a server, alternating under one dispatcher loop: the client
     * writes a request word and yields, the dispatcher resumes the server, which answers with the
     * word plus one and yields, and the dispatcher resumes the client, which checks the answer.
     * That is two yield/resume pairs per round trip, as in the kernel's local IPC.
     */
    public static final class Baseline {
        private final long[] mr = new long[1];
        private final Continuation client;
        private final Continuation server;
        private long rounds;

        public Baseline() {
            client = new Continuation(SCOPE, () -> {
                long i = 0;
                while (true) {
                    mr[0] = i;
                    Continuation.yield(SCOPE);
                    if (mr[0] != i + 1) {
                        throw new IllegalStateException("baseline server answered " + mr[0] + " to " + i);
                    }
                    i++;
                }
            });
            server = new Continuation(SCOPE, () -> {
                while (true) {
                    mr[0] = mr[0] + 1;
                    Continuation.yield(SCOPE);
                }
            });
            client.run(); // the first request
        }

        /** One round trip: the dispatcher runs the server, then the client. Returns the word. */
        public long roundTrip() {
            Continuation next = server;
            for (int step = 0; step < 2; step++) {
                next.run();
                next = next == server ? client : server;
            }
            rounds++;
            return mr[0];
        }

        public long rounds() {
            return rounds;
        }
    }

    /** Host nanoseconds per baseline round trip, over {@code rounds} round trips. */
    public static double baselineNanos(long rounds) {
        Baseline b = new Baseline();
        long sink = 0;
        long t0 = System.nanoTime();
        for (long i = 0; i < rounds; i++) {
            sink += b.roundTrip();
        }
        long t1 = System.nanoTime();
        blackhole = sink; // keeps the loop's result alive
        return (t1 - t0) / (double) rounds;
    }

    /**
     * Host nanoseconds per round trip of the {@code pingpong} scenario on one CPU: the machine's
     * host run time over the operations done, in parallel mode (unpinned) or in deterministic
     * mode with {@code seed}. Fails if the run fails.
     */
    public static double kernelNanos(ScenarioRunner runner, long rounds, Long seed) {
        return kernelNanos(runner, rounds, seed, true);
    }

    /**
     * As {@link #kernelNanos(ScenarioRunner, long, Long)}, with the accounting layer on or off:
     * off, the kernel's data accesses are not charged, which isolates the execution core (CPU
     * duty cycle, continuations, kernel IPC path) from the cost of the MESI/TLB model.
     */
    public static double kernelNanos(ScenarioRunner runner, long rounds, Long seed, boolean accounting) {
        RunReport r = runner.run(RunSpec.builder("pingpong").cpus(1).ops(rounds).seed(seed).pin(false)
                .accounting(accounting).scenarioOptions(java.util.Map.of("latency", "off")).build());
        if (!r.ok() || r.operations() != rounds) {
            throw new IllegalStateException("the pingpong run failed: " + r.outcome() + " " + r.kernelFailures());
        }
        return r.outcome().hostNanos() / (double) rounds;
    }

    /** The median of {@code values} (which it sorts). */
    public static double median(double[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("median of no values");
        }
        Arrays.sort(values);
        int m = values.length / 2;
        return values.length % 2 == 1 ? values[m] : (values[m - 1] + values[m]) / 2;
    }
}
