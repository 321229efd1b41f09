package l4smp.bench.scenarios;

import l4smp.bench.report.SingleWriterLatencyRecorder;
import l4smp.bench.scenario.Scenario;
import l4smp.bench.scenario.ScenarioContext;
import l4smp.bench.scenario.ScenarioOptions;
import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;
import l4smp.kernel.Kernel;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cross-processor scenarios: pingpong --placement cross, client-server over CPUs, xp-detect. */
class XpScenariosTest {

    static ScenarioContext run(String name, int cpus, Map<String, String> options, long ops) {
        Scenario scenario = ScenarioSmokeTest.find(name);
        Machine machine = new Machine(MachineConfig.builder().cpus(cpus).deterministic(5).build());
        ScenarioContext context = new ScenarioContext(machine, ScenarioOptions.parse(name, scenario.options(), options), ops);
        scenario.setup(context);
        Machine.RunOutcome outcome = machine.run();
        assertTrue(outcome.ok(), () -> name + " failed: " + outcome.failure());
        assertEquals(0, context.kernelIfBooted().failures().size(), () -> context.kernelIfBooted().failures().toString());
        long done = context.recorders().stream().mapToLong(SingleWriterLatencyRecorder::operations).sum();
        assertEquals(ops, done);
        return context;
    }

    @Test
    void pingPongAcrossCpus() {
        ScenarioContext c = run("pingpong", 2, Map.of("placement", "cross"), 100);
        assertEquals(200, c.machine().counterTotal(Kernel.C_IPC_XCPU));
    }

    @Test
    void crossPlacementNeedsTwoCpus() {
        Scenario scenario = ScenarioSmokeTest.find("pingpong");
        Machine machine = new Machine(MachineConfig.builder().cpus(1).deterministic(5).build());
        ScenarioContext context = new ScenarioContext(machine,
                ScenarioOptions.parse("pingpong", scenario.options(), Map.of("placement", "cross")), 10);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> scenario.setup(context));
        assertTrue(e.getMessage().contains("--placement"), e.getMessage());
    }

    @Test
    void pairsShareTheOpsAndStayOnTheirCpus() {
        ScenarioContext local = run("pingpong", 3, Map.of("pairs", "3"), 301);
        assertEquals(0, local.machine().counterTotal(Kernel.C_IPC_XCPU), "local pairs never cross CPUs");
        assertEquals(602, local.machine().counterTotal(Kernel.C_IPC_LOCAL));
        assertEquals(3, local.recorders().size());
        assertEquals(101, local.recorders().get(0).operations());
        assertEquals(100, local.recorders().get(2).operations());
        for (int c = 0; c < 3; c++) {
            assertEquals(c == 0 ? 202 : 200, local.machine().cpu(c).counters().valueOpaque(Kernel.C_IPC_LOCAL),
                    "CPU " + c + " runs one pair");
        }
        ScenarioContext cross = run("pingpong", 4, Map.of("placement", "cross", "pairs", "2"), 100);
        assertEquals(200, cross.machine().counterTotal(Kernel.C_IPC_XCPU), "every call and reply crosses");
        assertEquals(0, cross.machine().counterTotal(Kernel.C_IPC_LOCAL));
    }

    @Test
    void morePairsThanOpsIsRefused() {
        Scenario scenario = ScenarioSmokeTest.find("pingpong");
        Machine machine = new Machine(MachineConfig.builder().cpus(2).deterministic(5).build());
        ScenarioContext context = new ScenarioContext(machine,
                ScenarioOptions.parse("pingpong", scenario.options(), Map.of("pairs", "8")), 5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> scenario.setup(context));
        assertTrue(e.getMessage().contains("--pairs"), e.getMessage());
    }

    @Test
    void clientServerSpreadOverCpus() {
        ScenarioContext c = run("client-server", 3, Map.of("clients", "6"), 120);
        assertTrue(c.machine().counterTotal(Kernel.C_IPC_XCPU) > 0);
        assertTrue(c.machine().counterTotal(Kernel.C_IPC_LOCAL) > 0, "clients on CPU 0 call locally");
    }

    @Test
    void xpDetectAbortsCrossProcessorCalls() {
        ScenarioContext c = run("xp-detect", 2, Map.of("clients", "4"), 80);
        Map<String, Object> r = c.results();
        assertEquals(40L, r.get("aborted"), r.toString());
        assertEquals(80L, r.get("delivered"), r.toString());
        assertEquals(40L, r.get("delivered_crossed"), r.toString());
        assertEquals(0L, r.get("wrong_processor_numbers"), r.toString());
    }
}
