package l4smp.bench.scenarios;

import l4smp.bench.scenario.Scenario;
import l4smp.bench.scenario.ScenarioContext;
import l4smp.bench.scenario.ScenarioOptions;
import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;
import l4smp.kernel.Kernel;
import l4smp.kernel.space.Spaces;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The address-space scenarios across CPUs (thesis 8.3.2, 8.4.2): pager with the pager on CPU 1,
 * long-ipc with the receiver on CPU 1, with and without page faults during the copy. Exact
 * counts; the mapping database and TLBs agree with the page tables afterwards.
 */
class SpaceScenariosTest {

    private static ScenarioContext run(String name, Map<String, String> options, long ops) {
        ScenarioContext c = XpScenariosTest.run(name, 2, options, ops);
        assertEquals(List.of(), c.kernelIfBooted().spaces().check(), name + ": mapping database and TLBs");
        return c;
    }

    @Test
    void pagerOnAnotherCpu() {
        ScenarioContext c = run("pager", Map.of("placement", "cross", "window", "16"), 100);
        Map<String, Object> r = c.results();
        assertEquals(100L, ((Number) r.get("fresh_pages")).longValue() + ((Number) r.get("refaults")).longValue());
        assertEquals(100L, ((Number) r.get("faults_served_by_pager")).longValue(), r.toString());
        assertEquals(100L, c.machine().counterTotal(Spaces.C_FAULTS), "one fault per operation");
        // Each fault is a call to the pager on CPU 1 and its reply back (2 crossings); each fresh
        // page also costs the pager a call to sigma0 on CPU 0 and its reply.
        long fresh = ((Number) r.get("fresh_pages")).longValue();
        assertEquals(2 * 100 + 2 * fresh, c.machine().counterTotal(Kernel.C_IPC_XCPU));
    }

    @ParameterizedTest(name = "faults {0}")
    @ValueSource(strings = {"on", "off"})
    void longIpcAcrossCpus(String faults) {
        int max = 65536;
        long ops = 16;
        ScenarioContext c = run("long-ipc", Map.of("placement", "cross", "faults", faults, "max-bytes", "" + max), ops);
        assertEquals(ops, ((Number) c.results().get("transfers")).longValue());
        int[] sizes = LongIpcScenario.sizes(max);
        long pages = 0;
        for (long i = 0; i < ops; i++) {
            pages += (sizes[(int) (i % sizes.length)] + 4095) / 4096;
        }
        // faults on: every page of both buffers faults once during its transfer.
        assertEquals("on".equals(faults) ? 2 * pages : 0, c.machine().counterTotal(Spaces.C_XFER_FAULTS));
        assertTrue(c.machine().counterTotal(Kernel.C_IPC_XCPU) >= 2 * ops, "ready messages and strings crossed");
    }

    @Test
    void aSeedReplaysTheCrossProcessorLongIpcWithFaults() {
        long[] hash = new long[2];
        for (int i = 0; i < 2; i++) {
            hash[i] = run("long-ipc", Map.of("placement", "cross", "faults", "on", "max-bytes", "16384"), 12)
                    .machine().traceHash();
        }
        assertEquals(hash[0], hash[1]);
    }

    @ParameterizedTest
    @ValueSource(strings = {"pager", "long-ipc"})
    void crossPlacementNeedsTwoCpus(String name) {
        Scenario scenario = ScenarioSmokeTest.find(name);
        Machine machine = new Machine(MachineConfig.builder().cpus(1).deterministic(5).build());
        ScenarioContext context = new ScenarioContext(machine,
                ScenarioOptions.parse(name, scenario.options(), Map.of("placement", "cross")), 10);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> scenario.setup(context));
        assertTrue(e.getMessage().contains("--placement cross needs at least 2 CPUs"), e.getMessage());
    }
}
