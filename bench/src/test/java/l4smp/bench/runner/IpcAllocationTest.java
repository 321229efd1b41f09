package l4smp.bench.runner;

import l4smp.bench.report.RunReport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.management.ManagementFactory;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The IPC path allocates nothing on the host: a seeded {@code pingpong} run (deterministic mode,
 * so the calling thread steps every CPU and its allocation counter sees all the machine's
 * work) of 2N round trips allocates no more than one of N round trips, up to a slack of a
 * fraction of a byte per round trip for the run's own setup and report, which vary by a few
 * hundred bytes. Allocated bytes are counted exactly by the JVM, unlike time. A path that the
 * JIT has not compiled yet may allocate what escape analysis later removes, so the test takes
 * a few attempts after two warm-up runs and passes on the first whose difference is below the
 * slack either way (a large negative one means the shorter run paid for something once); an
 * allocation of even one small object per round trip (16 bytes or more) fails every attempt.
 */
class IpcAllocationTest {

    private static final long N = 5_000;
    private static final int ATTEMPTS = 3;
    /** Bytes per round trip tolerated for the setup's variation: far below one object. */
    private static final double SLACK_BYTES_PER_OP = 1.0;

    @ParameterizedTest(name = "{0} placement, accounting {1}")
    @CsvSource({"local, true", "local, false", "cross, true", "cross, false"})
    void aRoundTripAllocatesNothing(String placement, boolean accounting) {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        ScenarioRunner runner = new ScenarioRunner(Scenarios.load(), null);
        int cpus = placement.equals("cross") ? 2 : 1;
        run(runner, placement, cpus, accounting, 2 * N); // warm-up
        run(runner, placement, cpus, accounting, 2 * N);
        StringBuilder attempts = new StringBuilder();
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            long a0 = threads.getCurrentThreadAllocatedBytes();
            run(runner, placement, cpus, accounting, N);
            long a1 = threads.getCurrentThreadAllocatedBytes();
            run(runner, placement, cpus, accounting, 2 * N);
            long a2 = threads.getCurrentThreadAllocatedBytes();
            double perOp = ((a2 - a1) - (a1 - a0)) / (double) N;
            attempts.append(String.format(java.util.Locale.ROOT, " %.3f", perOp));
            if (Math.abs(perOp) < SLACK_BYTES_PER_OP) {
                return; // a difference this small is the setup's, not N round trips'
            }
            // a large negative difference: the shorter run paid for something once (compilation); again
        }
        fail("a " + placement + " round trip (accounting " + accounting + ") allocates on the host, bytes per round"
                + " trip in each attempt:" + attempts);
    }

    private static void run(ScenarioRunner runner, String placement, int cpus, boolean accounting, long ops) {
        RunReport r = runner.run(RunSpec.builder("pingpong").cpus(cpus).ops(ops).seed(1L).pin(false)
                .accounting(accounting).scenarioOptions(Map.of("latency", "off", "placement", placement)).build());
        assertTrue(r.ok() && r.operations() == ops, "the pingpong run failed: " + r.outcome());
    }
}
