package l4smp.bench.scenarios;

import l4smp.bench.report.SingleWriterLatencyRecorder;
import l4smp.bench.scenario.OptionSpec;
import l4smp.bench.scenario.Scenario;
import l4smp.bench.scenario.ScenarioContext;
import l4smp.kernel.Kernel;
import l4smp.kernel.ThreadSpec;
import l4smp.kernel.api.L4;

import java.util.List;

/**
 * A higher-priority thread preempts a lower one (thesis 2.1): a low-priority thread computes
 * without end; a high-priority thread sleeps {@code --period-us} and, when its timeout fires,
 * preempts it. One operation is one wake-up; its latency is how many cycles after the
 * intended wake-up time the high thread runs again (kernel entry, the timeout path, the switch
 * and the exit). The low thread's progress is reported as a result.
 */
public final class PrioritiesScenario implements Scenario {

    @Override
    public String name() {
        return "priorities";
    }

    @Override
    public String description() {
        return "a high-priority sleeper preempts a low-priority computing thread";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.longOption("period-us", 100, 1, 10_000_000, "the high thread's sleep, microseconds"),
                OptionSpec.longOption("high", 200, 1, 255, "the high thread's priority"),
                OptionSpec.longOption("low", 10, 0, 254, "the low thread's priority"));
    }

    @Override
    public void setup(ScenarioContext context) {
        Kernel kernel = context.kernel();
        int high = context.options().getInt("high");
        int low = context.options().getInt("low");
        if (low >= high) {
            throw new IllegalArgumentException("option --low (" + low + ") must be below --high (" + high + ")");
        }
        long periodMicros = context.options().getLong("period-us");
        SingleWriterLatencyRecorder recorder = context.recorder("wake-up lateness");
        long[] lowProgress = new long[1];
        kernel.createThread(new ThreadSpec("low", 0, low, true, () -> {
            while (true) {
                L4.compute(100);
                lowProgress[0] += 100;
            }
        }));
        kernel.createThread(new ThreadSpec("high", 0, high, false, () -> {
            long period = L4.micros(periodMicros);
            long done = 0;
            while (!context.shouldStop(done)) {
                long n0 = System.nanoTime();
                long due = L4.clock() + period;
                if (!L4.sleep(period)) {
                    throw new IllegalStateException("sleep ended early");
                }
                long now = L4.clock();
                recorder.record(now - due, System.nanoTime() - n0);
                done++;
            }
            context.putResult("low_thread_cycles", lowProgress[0]);
        }));
    }
}
