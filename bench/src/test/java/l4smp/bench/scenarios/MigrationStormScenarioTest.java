package l4smp.bench.scenarios;

import l4smp.bench.scenario.Scenario;
import l4smp.bench.scenario.ScenarioContext;
import l4smp.bench.scenario.ScenarioOptions;
import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;
import l4smp.emulator.ScheduleStrategy;
import l4smp.kernel.Kernel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The migration-storm scenario (thesis 8.5, 8.7): every request received once and answered,
 * migrations done, the kernel's invariants after the run; bad options are refused by name.
 */
class MigrationStormScenarioTest {

    static ScenarioContext run(int cpus, long seed, ScheduleStrategy strategy, Map<String, String> options, long ops) {
        Scenario scenario = ScenarioSmokeTest.find("migration-storm");
        Machine machine = new Machine(MachineConfig.builder().cpus(cpus).deterministic(seed).strategy(strategy).build());
        ScenarioContext context = new ScenarioContext(machine,
                ScenarioOptions.parse("migration-storm", scenario.options(), options), ops);
        scenario.setup(context);
        Machine.RunOutcome outcome = machine.run();
        assertTrue(outcome.ok(), () -> "failed: " + outcome.failure());
        context.runAfterRunChecks();
        assertEquals(List.of(), context.failures());
        assertEquals(List.of(), context.kernelIfBooted().failures());
        return context;
    }

    @ParameterizedTest
    @CsvSource({"4, 1, RANDOM, 8, own", "4, 2, RANDOM, 8, shared", "6, 3, RANDOM, 12, own", "3, 4, LOWEST_CLOCK, 5, own",
            "8, 5, RANDOM, 16, shared"})
    void everyRequestAnsweredOnceWhileThreadsMigrate(int cpus, long seed, ScheduleStrategy strategy, int clients,
                                                     String balancer) {
        ScenarioContext c = run(cpus, seed, strategy,
                Map.of("clients", "" + clients, "period", "3000", "balancer", balancer), 600);
        Map<String, Object> r = c.results();
        assertEquals(600L, r.get("requests_sent"), r.toString());
        assertEquals(600L, r.get("requests_received"), r.toString());
        assertEquals(600L, r.get("replies_received"), r.toString());
        assertEquals(0L, r.get("duplicated_or_out_of_order"), r.toString());
        assertEquals(0L, r.get("wrong_replies"), r.toString());
        assertTrue((Long) r.get("migrations_done") > 0, r.toString());
        assertTrue(((String) r.get("invariants")).startsWith("ok"), r.toString());
        assertTrue(c.machine().counterTotal(Kernel.C_IPC_XCPU) > 0, "calls crossed processors");
    }

    @Test
    void badOptionsAreRefusedByName() {
        Scenario scenario = ScenarioSmokeTest.find("migration-storm");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ScenarioOptions.parse("migration-storm", scenario.options(), Map.of("period", "10")));
        assertTrue(e.getMessage().contains("--period"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ScenarioOptions.parse("migration-storm", scenario.options(), Map.of("balancer", "nowhere")));
        assertTrue(e.getMessage().contains("--balancer"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ScenarioOptions.parse("migration-storm", scenario.options(), Map.of("clients", "0")));
        assertTrue(e.getMessage().contains("--clients"), e.getMessage());
    }
}
