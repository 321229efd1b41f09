package l4smp.bench.scenarios;

import l4smp.bench.scenario.Scenario;
import l4smp.bench.scenario.ScenarioContext;
import l4smp.bench.scenario.ScenarioOptions;
import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;
import l4smp.emulator.ScheduleStrategy;
import l4smp.kernel.KernelInvariants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The soak scenario in small, seeded runs: the exactly-once books balance under chaos. */
class SoakScenarioTest {

    private static ScenarioContext soak(long seed, int cpus, Map<String, String> options, long ops) {
        Scenario scenario = ScenarioSmokeTest.find("soak");
        Machine machine = new Machine(MachineConfig.builder().cpus(cpus).deterministic(seed)
                .strategy(ScheduleStrategy.RANDOM).build());
        ScenarioContext context = new ScenarioContext(machine, ScenarioOptions.parse("soak", scenario.options(), options), ops);
        scenario.setup(context);
        Machine.RunOutcome outcome = machine.run();
        assertTrue(outcome.ok(), () -> "seed " + seed + ": " + outcome.failure());
        assertEquals(0, context.kernelIfBooted().failures().size(), () -> context.kernelIfBooted().failures().toString());
        assertEquals(java.util.List.of(), KernelInvariants.check(context.kernelIfBooted()), "seed " + seed);
        return context;
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4})
    void everyRequestExactlyOnceUnderMigrationsAbortsAndUnmaps(long seed) {
        ScenarioContext c = soak(seed, 4, Map.of("period", "3000", "unmap-period", "8000"), 1_200);
        Map<String, Object> r = c.results();
        assertEquals(0L, r.get("lost"), r.toString());
        assertEquals(0L, r.get("duplicated"), r.toString());
        assertEquals(0L, r.get("stale_reads"), r.toString());
        assertEquals(0L, r.get("violations"), r.toString());
        assertEquals(1_200L, c.recorders().stream().mapToLong(x -> x.operations()).sum());
        long delivered = (Long) r.get("requests_delivered");
        long receiveFailures = (Long) r.get("calls_failed_in_receive_phase");
        assertEquals(1_200L + receiveFailures, delivered, "each completed call, and each one that failed after"
                + " its send phase, delivered exactly one request: " + r);
        assertTrue((Long) r.get("migrations") > 0, "the chaos thread migrated nothing: " + r);
        assertTrue((Long) r.get("unmaps") > 0, "the pager unmapped nothing: " + r);
        assertTrue((Long) r.get("abort_requests") + (Long) r.get("aborts_refused") > 0, "no abort tried: " + r);
    }

    @Test
    void moreClientsThanOpsIsRefused() {
        Scenario scenario = ScenarioSmokeTest.find("soak");
        Machine machine = new Machine(MachineConfig.builder().cpus(2).deterministic(1).build());
        ScenarioContext context = new ScenarioContext(machine,
                ScenarioOptions.parse("soak", scenario.options(), Map.of("clients", "50")), 10);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> scenario.setup(context));
        assertTrue(e.getMessage().contains("--clients"), e.getMessage());
    }
}
