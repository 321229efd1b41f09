package l4smp.bench.cli;

import l4smp.bench.hunt.Hunter;
import l4smp.bench.hunt.PlantScenarios;
import l4smp.bench.hunt.RunLine;
import l4smp.bench.hunt.SeedShard;
import l4smp.bench.runner.ScenarioRunner;
import l4smp.bench.runner.Scenarios;
import l4smp.kernel.Plant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each planted race is found by a short PCT hunt of its own scenario, and the kernel as designed
 * passes the same line over the same first seeds (the CI version; scripts/stress runs 1,000
 * planted and 10,000 unplanted seeds). A plant that no longer breaks anything, or a kernel that
 * fails its plant's scenario unplanted, fails here.
 */
class PlantHuntTest {

    /** Seeds a planted hunt may take (PCT, depth 3). */
    static final int PLANTED_SEEDS = 200;
    /** Seeds of the unplanted control in CI. */
    static final int CLEAN_SEEDS = 60;

    private static final Scenarios SCENARIOS = Scenarios.load();

    private static Hunter hunter() {
        ScenarioRunner runner = new ScenarioRunner(SCENARIOS, null);
        return new Hunter(line -> runner.run(HuntCommand.specOf(line, SCENARIOS)), 2, line -> { }, 120);
    }

    private static RunLine line(Plant plant, boolean planted) {
        RunLine l = PlantScenarios.of(plant).with("--strategy", "pct").with("--pct-depth", "3")
                .with("--pct-steps", "20000");
        return planted ? l.with("--plant", plant.cliName()) : l;
    }

    @ParameterizedTest
    @EnumSource(value = Plant.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
    void aShortPctHuntFindsThePlantedRace(Plant plant) {
        Hunter.Sweep sweep = hunter().hunt(line(plant, true), SeedShard.whole(1, PLANTED_SEEDS));
        assertNotNull(sweep.failure(), plant + ": no failure in " + PLANTED_SEEDS + " seeds");
        assertTrue(sweep.failure().line().has("--plant"));
        assertEquals(Long.toString(sweep.failure().seed()), sweep.failure().line().get("--seed"));
    }

    @ParameterizedTest
    @EnumSource(value = Plant.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
    void theKernelAsDesignedPassesThePlantsScenario(Plant plant) {
        Hunter.Sweep sweep = hunter().hunt(line(plant, false), SeedShard.whole(1, CLEAN_SEEDS));
        assertNull(sweep.failure(), () -> plant + ": " + sweep.failure());
        assertEquals(CLEAN_SEEDS, sweep.runs());
    }
}
