package l4smp.bench.testing;

import l4smp.bench.report.SingleWriterLatencyRecorder;
import l4smp.bench.scenario.Scenario;
import l4smp.bench.scenario.ScenarioContext;
import l4smp.kernel.ThreadSpec;
import l4smp.kernel.api.L4;

/** A test scenario whose user thread computes {@code --ops} times and then throws: the run must fail. */
public final class ThrowingScenario implements Scenario {

    @Override
    public String name() {
        return "test-throwing";
    }

    @Override
    public String description() {
        return "(test) a thread that throws after its operations";
    }

    @Override
    public void setup(ScenarioContext context) {
        SingleWriterLatencyRecorder recorder = context.recorder("compute");
        context.kernel().createThread(ThreadSpec.of("thrower", 0, () -> {
            for (long done = 0; !context.shouldStop(done); done++) {
                long c0 = L4.clock();
                L4.compute(10);
                recorder.record(L4.clock() - c0, 0);
            }
            throw new IllegalStateException("thrown on purpose by the test scenario");
        }));
    }
}
