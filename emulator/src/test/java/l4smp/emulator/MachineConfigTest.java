package l4smp.emulator;

import l4smp.emulator.cost.CostModel;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MachineConfigTest {

    private static String refused(MachineConfig.Builder b) {
        return assertThrows(IllegalArgumentException.class, b::build).getMessage();
    }

    @Test
    void defaultsAreTheDocumentedOnes() {
        MachineConfig c = MachineConfig.builder().build();
        assertEquals(2, c.cpus());
        assertEquals(CostModel.PIII_450, c.costModel());
        assertTrue(c.pinning());
        assertEquals(MachineConfig.DEFAULT_SLACK, c.slackCycles());
        assertEquals(ExecutionMode.PARALLEL, c.mode());
        assertFalse(c.deterministic());
        assertEquals(ScheduleStrategy.LOWEST_CLOCK, c.strategy());
        assertFalse(c.captureTrace());
    }

    @Test
    void deterministicBuilderSetsModeAndSeed() {
        MachineConfig c = MachineConfig.builder().deterministic(42).build();
        assertTrue(c.deterministic());
        assertEquals(42, c.seed());
    }

    @Test
    void cpuCountBoundsAreChecked() {
        assertTrue(refused(MachineConfig.builder().cpus(0)).contains("cpus"));
        String m = refused(MachineConfig.builder().cpus(65));
        assertTrue(m.contains("cpus") && m.contains("65"), m);
        assertTrue(refused(MachineConfig.builder().cpus(-3)).contains("cpus"));
        assertEquals(1, MachineConfig.builder().cpus(1).build().cpus());
        assertEquals(64, MachineConfig.builder().cpus(64).build().cpus());
    }

    @Test
    void badValuesNameTheirOption() {
        String slack = refused(MachineConfig.builder().slackCycles(-1));
        assertTrue(slack.contains("slack") && slack.contains("-1"), slack);
        assertEquals(0, MachineConfig.builder().slackCycles(0).build().slackCycles());
        assertTrue(refused(MachineConfig.builder().maxTraceEvents(-1)).contains("maxTraceEvents"));
        assertTrue(refused(MachineConfig.builder().stuckTimeout(Duration.ZERO)).contains("stuckTimeout"));
        assertTrue(refused(MachineConfig.builder().stuckTimeout(Duration.ofSeconds(-1))).contains("stuckTimeout"));
        assertTrue(refused(MachineConfig.builder().maxSpinIterations(0)).contains("maxSpinIterations"));
    }

    @Test
    void nullsNameTheirOption() {
        NullPointerException e = assertThrows(NullPointerException.class,
                () -> MachineConfig.builder().costModel(null).build());
        assertTrue(e.getMessage().contains("costModel"));
        assertTrue(assertThrows(NullPointerException.class,
                () -> MachineConfig.builder().mode(null).build()).getMessage().contains("mode"));
        assertTrue(assertThrows(NullPointerException.class,
                () -> MachineConfig.builder().strategy(null).build()).getMessage().contains("strategy"));
        assertTrue(assertThrows(NullPointerException.class,
                () -> MachineConfig.builder().stuckTimeout(null).build()).getMessage().contains("stuckTimeout"));
    }

    @Test
    void scheduleStrategyParses() {
        assertEquals(ScheduleStrategy.LOWEST_CLOCK, ScheduleStrategy.parse("lowest-clock"));
        assertEquals(ScheduleStrategy.LOWEST_CLOCK, ScheduleStrategy.parse("CLOCK"));
        assertEquals(ScheduleStrategy.RANDOM, ScheduleStrategy.parse("Random"));
        assertEquals(ScheduleStrategy.PCT, ScheduleStrategy.parse("PCT"));
        String m = assertThrows(IllegalArgumentException.class, () -> ScheduleStrategy.parse("dfs")).getMessage();
        assertTrue(m.contains("dfs") && m.contains("random") && m.contains("pct"), m);
    }
}
