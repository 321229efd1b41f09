package l4smp.bench.scenarios;

import l4smp.bench.report.SingleWriterLatencyRecorder;
import l4smp.bench.scenario.Scenario;
import l4smp.bench.scenario.ScenarioContext;
import l4smp.bench.scenario.ScenarioOptions;
import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;
import l4smp.kernel.Kernel;
import l4smp.kernel.ThreadSpec;
import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.thread.ThreadId;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The scenario of README.md's "Writing a scenario", verbatim: it compiles and runs. */
class ReadmeExampleTest {

    static final class EchoScenario implements Scenario {
        public String name() { return "echo"; }
        public String description() { return "one client, one server, one word"; }

        public void setup(ScenarioContext ctx) {
            Kernel kernel = ctx.kernel();
            SingleWriterLatencyRecorder rec = ctx.recorder("round-trip");
            ThreadId server = kernel.createThread(ThreadSpec.daemon("server", 1, () -> {
                L4.waitAny();
                while (true) {
                    L4.setMr(1, L4.mr(1) + 1);
                    L4.replyWait(L4.from(), MsgTag.make(0, 1));
                }
            }));
            kernel.createThread(ThreadSpec.of("client", 0, () -> {
                for (long i = 0; !ctx.shouldStop(i); i++) {
                    long c0 = L4.clock();
                    L4.setMr(1, i);
                    L4.call(server, MsgTag.make(0, 1));          // cross-processor: CPU 0 -> CPU 1
                    rec.record(L4.clock() - c0, 0);
                }
            }));
        }
    }

    @Test
    void theReadmeScenarioRunsAcrossTwoCpus() {
        Machine machine = new Machine(MachineConfig.builder().cpus(2).deterministic(1).build());
        EchoScenario echo = new EchoScenario();
        ScenarioContext ctx = new ScenarioContext(machine, ScenarioOptions.parse("echo", echo.options(), Map.of()), 50);
        echo.setup(ctx);
        Machine.RunOutcome outcome = machine.run();
        assertTrue(outcome.ok(), () -> String.valueOf(outcome.failure()));
        assertEquals(50, ctx.recorders().get(0).operations());
        assertTrue(ctx.recorders().get(0).cycles().getMinValue() > 1000, "a cross-processor round trip");
    }
}
