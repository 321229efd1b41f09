package l4smp.bench.testing;

import l4smp.bench.report.SingleWriterLatencyRecorder;
import l4smp.bench.scenario.OptionSpec;
import l4smp.bench.scenario.Scenario;
import l4smp.bench.scenario.ScenarioContext;
import l4smp.emulator.Machine;
import l4smp.emulator.apic.Interrupt;
import l4smp.emulator.cpu.Cpu;
import l4smp.emulator.cpu.Dispatcher;

import java.util.List;

/**
 * A test scenario at emulator level with options of every type: CPU 0 computes {@code --step}
 * cycles per operation; the other CPUs get no dispatcher (the runner must give them one).
 * Results: the options it saw.
 */
public final class OptionsScenario implements Scenario {

    @Override
    public String name() {
        return "test-options";
    }

    @Override
    public String description() {
        return "(test) emulator-level scenario with typed options; only CPU 0 has work";
    }

    @Override
    public List<OptionSpec> options() {
        return List.of(
                OptionSpec.longOption("step", 100, 1, 1000, "cycles per operation"),
                OptionSpec.booleanOption("verbose", false, "a flag"),
                OptionSpec.choiceOption("shape", "round", List.of("round", "square"), "a choice"),
                OptionSpec.stringOption("label", "none", "free text"));
    }

    @Override
    public int defaultCpus() {
        return 3;
    }

    @Override
    public void setup(ScenarioContext context) {
        long step = context.options().getLong("step");
        context.putResult("step", step);
        context.putResult("verbose", context.options().getBoolean("verbose"));
        context.putResult("shape", context.options().getString("shape"));
        context.putResult("label", context.options().getString("label"));
        SingleWriterLatencyRecorder recorder = context.recorder("steps");
        context.machine().cpu(0).install(new Dispatcher() {
            private long done;

            @Override
            public int doWork(Cpu cpu) {
                if (context.shouldStop(done)) {
                    cpu.machine().requestStop("all steps done");
                    return 0;
                }
                cpu.advance(step);
                recorder.record(step, 0);
                done++;
                return 1;
            }

            @Override
            public void onInterrupt(Cpu cpu, Interrupt interrupt) {
            }

            @Override
            public long nextEvent(Cpu cpu) {
                return NO_EVENT;
            }
        });
        Machine m = context.machine();
        if (m.cpuCount() > 1 && m.cpu(1).dispatcher() != null) {
            throw new IllegalStateException("CPU 1 should have no dispatcher yet");
        }
    }
}
