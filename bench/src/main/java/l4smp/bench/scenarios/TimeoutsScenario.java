package l4smp.bench.scenarios;

import l4smp.bench.report.SingleWriterLatencyRecorder;
import l4smp.bench.scenario.OptionSpec;
import l4smp.bench.scenario.Scenario;
import l4smp.bench.scenario.ScenarioContext;
import l4smp.kernel.Kernel;
import l4smp.kernel.ThreadSpec;
import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.thread.ThreadId;

import java.util.List;

/**
 * Receive timeouts firing at their simulated time: {@code --threads} threads each wait in a
 * closed receive from a partner that never sends, with relative timeouts of 1..{@code
 * --max-us} microseconds in turn. One operation is one expired timeout; its latency is the
 * lateness of the thread's return after the timeout's due time.
 */
public final class TimeoutsScenario implements Scenario {

    @Override
    public String name() {
        return "timeouts";
    }

    @Override
    public String description() {
        return "receive timeouts firing at their simulated time (lateness per timeout)";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.longOption("threads", 4, 1, 10_000, "threads waiting with timeouts"),
                OptionSpec.longOption("max-us", 50, 1, 10_000_000, "longest timeout, microseconds"));
    }

    @Override
    public void setup(ScenarioContext context) {
        Kernel kernel = context.kernel();
        int threads = context.options().getInt("threads");
        long maxMicros = context.options().getLong("max-us");
        ThreadId silent = kernel.createThread(ThreadSpec.daemon("silent", 0, () -> {
            while (true) {
                L4.sleep(Long.MAX_VALUE - 1);
            }
        }));
        for (int t = 0; t < threads; t++) {
            long share = context.ops() / threads + (t < context.ops() % threads ? 1 : 0);
            SingleWriterLatencyRecorder recorder = context.recorder("waiter" + t);
            int seed = t;
            kernel.createThread(ThreadSpec.of("waiter" + t, 0, () -> {
                for (long i = 0; i < share && !context.timeUp(); i++) {
                    long micros = 1 + (i * 7 + seed * 13) % maxMicros;
                    long timeout = L4.micros(micros);
                    long n0 = System.nanoTime();
                    long due = L4.clock() + timeout;
                    int tag = L4.receive(silent, timeout);
                    long now = L4.clock();
                    if (!MsgTag.isError(tag) || IpcError.code(L4.errorCode()) != IpcError.TIMEOUT) {
                        throw new IllegalStateException("expected a receive timeout, got " + MsgTag.toString(tag)
                                + " / " + IpcError.describe(L4.errorCode()));
                    }
                    recorder.record(now - due, System.nanoTime() - n0);
                }
            }));
        }
    }
}
