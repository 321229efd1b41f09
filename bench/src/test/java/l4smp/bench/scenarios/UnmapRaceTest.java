package l4smp.bench.scenarios;

import l4smp.bench.scenario.ScenarioContext;
import l4smp.bench.scenario.ScenarioOptions;
import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;
import l4smp.emulator.ScheduleStrategy;
import l4smp.kernel.Kernel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole kernel's unmap race (thesis 3.1.1, 9.3), hunted in deterministic mode with random
 * interleavings: a pager revokes and re-maps pages that workers on two other CPUs read and write,
 * under both shootdown policies, over 20 seeds each. No read goes through a stale translation
 * after {@code unmap} returned, and the mapping database and every TLB agree with the page
 * tables at the end.
 */
class UnmapRaceTest {

    static Stream<Object[]> seeds() {
        return IntStream.rangeClosed(1, 20).boxed()
                .flatMap(s -> Stream.of(new Object[]{s, "all"}, new Object[]{s, "current-space"}));
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void noStaleReadAndConsistentSpaces(int seed, String policy) {
        Machine machine = new Machine(MachineConfig.builder().cpus(3).pinning(false).deterministic(seed)
                .strategy(ScheduleStrategy.RANDOM).build());
        UnmapStormScenario scenario = new UnmapStormScenario();
        ScenarioContext context = new ScenarioContext(machine, ScenarioOptions.parse(scenario.name(), scenario.options(),
                Map.of("policy", policy, "pages", "2", "work", "0")), 40);
        scenario.setup(context);
        Machine.RunOutcome outcome = machine.run();
        assertTrue(outcome.ok(), () -> "seed " + seed + ": " + outcome.failure());
        Kernel kernel = context.kernelIfBooted();
        assertEquals(List.of(), kernel.failures(), "seed " + seed);
        assertEquals(List.of(), kernel.spaces().check(), "seed " + seed + ": mapping database and TLBs");
        assertEquals(40L, context.results().get("unmaps"), "seed " + seed);
        assertEquals(0L, context.results().get("stale_reads"), "seed " + seed + ": read through a stale translation");
    }
}
