package l4smp.bench.runner;

import l4smp.bench.runner.BenchFigures.Goal;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The verdicts of {@code bench --json}'s figures against their goals, for made-up spreads. */
class BenchFiguresTest {

    private static String verdict(Goal goal, double... runs) {
        BenchFigures f = new BenchFigures();
        f.add("test.figure", "ratio", SpreadVerdict.of(runs), goal);
        return (String) ((Map<?, ?>) f.toJson().get("test.figure")).get("verdict");
    }

    @Test
    void aCeilingOverALowerBoundIsMetOnlyWhenEveryRunIsAtMostTheGoal() {
        Goal g = Goal.atMostOverLowerBound(1.5);
        assertEquals("met", verdict(g, 1.2, 1.5, 1.4));
        assertEquals("not_met", verdict(g, 1.6, 2.0, 1.51));
        assertEquals("undecidable", verdict(g, 1.2, 1.6, 1.3)); // the spread straddles the goal
        assertEquals("undecidable", verdict(g, 0.9, 1.2, 1.3)); // below 1: a disturbed baseline
    }

    @Test
    void aPlainCeilingTakesARatioBelowOneAsAResult() {
        Goal g = Goal.atMost(1.0);
        assertEquals("met", verdict(g, 0.3, 0.9, 1.0));
        assertEquals("not_met", verdict(g, 1.1, 2.5));
        assertEquals("undecidable", verdict(g, 0.8, 1.2));
    }

    @Test
    void aFloorIsMetOnlyWhenEveryRunReachesIt() {
        Goal g = Goal.atLeast(0.8);
        assertEquals("met", verdict(g, 0.8, 0.95, 1.3));
        assertEquals("not_met", verdict(g, 0.5, 0.79, 0.6));
        assertEquals("undecidable", verdict(g, 0.75, 0.85, 0.9));
    }

    @Test
    void aFigureWithoutAGoalHasNoVerdict() {
        assertEquals("no_goal", verdict(null, 3.0, 4.0));
    }

    @Test
    void theJsonOfAFigureHoldsItsSpreadGoalAndVerdict() {
        BenchFigures f = new BenchFigures();
        f.add("memory.l2_miss_mps", "million/s", SpreadVerdict.of(new double[] {31, 29, 35}), Goal.atLeast(30));
        Map<?, ?> m = (Map<?, ?>) f.toJson().get("memory.l2_miss_mps");
        assertEquals(31.0, m.get("median"));
        assertEquals(29.0, m.get("min"));
        assertEquals(35.0, m.get("max"));
        assertEquals(3, m.get("runs"));
        assertEquals("million/s", m.get("unit"));
        assertEquals(Map.of("op", ">=", "value", 30.0), m.get("goal"));
        assertEquals("undecidable", m.get("verdict"));
    }

    @Test
    void namesAreStableIdentifiersGivenOnce() {
        BenchFigures f = new BenchFigures();
        SpreadVerdict s = SpreadVerdict.of(new double[] {1});
        assertThrows(IllegalArgumentException.class, () -> f.add("local ratio", "ratio", s, null));
        assertThrows(IllegalArgumentException.class, () -> f.add("ratio", "ratio", s, null));
        assertThrows(IllegalArgumentException.class, () -> f.add("Local.Ratio", "ratio", s, null));
        f.add("local.ratio_off", "ratio", s, null);
        assertThrows(IllegalArgumentException.class, () -> f.add("local.ratio_off", "ratio", s, null));
    }
}
