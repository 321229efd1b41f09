package l4smp.bench.testing;

import l4smp.bench.report.SingleWriterLatencyRecorder;
import l4smp.bench.scenario.OptionSpec;
import l4smp.bench.scenario.Scenario;
import l4smp.bench.scenario.ScenarioContext;
import l4smp.kernel.ThreadSpec;
import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.thread.ThreadId;

import java.util.List;

/**
 * A test scenario that stops making progress: a client on CPU 0 calls a server on CPU 1
 * {@code --answers} times; then the server waits for a message from a daemon on CPU 1 that
 * only computes (at a lower priority) and never sends, so the client's next call never gets
 * through, while simulated time runs on and the machine never goes quiet. Only the stall
 * watchdog ends such a run.
 */
public final class StallingScenario implements Scenario {

    @Override
    public String name() {
        return "test-stalling";
    }

    @Override
    public String description() {
        return "(test) a client and a server that deadlock after --answers calls while a daemon computes";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(OptionSpec.longOption("answers", 3, 0, 1_000_000, "calls the server answers before it stalls"));
    }

    @Override
    public int minCpus() {
        return 2;
    }

    @Override
    public void setup(ScenarioContext context) {
        long answers = context.options().getLong("answers");
        SingleWriterLatencyRecorder recorder = context.recorder("call");
        // below the server's priority: it runs only while the server waits, never delays an answer
        ThreadId spinner = context.kernel().createThread(new ThreadSpec("spinner", 1, ThreadSpec.DEFAULT_PRIORITY - 50,
                true, () -> {
            while (true) {
                L4.compute(1_000);
            }
        }));
        ThreadId server = context.kernel().createThread(ThreadSpec.daemon("server", 1, () -> {
            L4.waitAny();
            for (long i = 1; i < answers; i++) {
                L4.replyWait(L4.from(), MsgTag.make(0, 0));
            }
            if (answers > 0) {
                L4.send(L4.from(), MsgTag.make(0, 0));
            }
            L4.receive(spinner); // never sent: the client's next call waits for ever
        }));
        context.kernel().createThread(ThreadSpec.of("client", 0, () -> {
            for (long i = 0; !context.shouldStop(i); i++) {
                long c0 = L4.clock();
                L4.call(server, MsgTag.make(0, 0));
                recorder.record(L4.clock() - c0, 0);
            }
        }));
    }
}
