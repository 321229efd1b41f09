package l4smp.bench.testing;

import l4smp.bench.report.SingleWriterLatencyRecorder;
import l4smp.bench.scenario.Scenario;
import l4smp.bench.scenario.ScenarioContext;
import l4smp.kernel.ThreadSpec;
import l4smp.kernel.api.L4;

/**
 * A test scenario whose thread does one operation and then computes in plain Java for ever,
 * never calling L4 again: a machine that cannot stop (its CPU never ends a duty cycle). In
 * deterministic mode nothing ends such a run but the process's end.
 */
public final class SpinningScenario implements Scenario {

    /** Written by the spinning thread so that the loop is not optimised away. */
    static volatile long sink;

    @Override
    public String name() {
        return "test-spinning";
    }

    @Override
    public String description() {
        return "(test) a thread that does one operation, then loops in plain Java for ever";
    }

    @Override
    public void setup(ScenarioContext context) {
        SingleWriterLatencyRecorder recorder = context.recorder("once");
        context.kernel().createThread(ThreadSpec.of("spinner", 0, () -> {
            long c0 = L4.clock();
            L4.compute(10);
            recorder.record(L4.clock() - c0, 0);
            for (long i = 0; ; i++) {
                sink = i;
            }
        }));
    }
}
