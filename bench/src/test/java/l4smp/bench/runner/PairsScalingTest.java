package l4smp.bench.runner;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The figures of {@code bench --what scaling} computed from made-up measurements, and the
 * parsing of {@code --pairs-list}: no host timing.
 */
class PairsScalingTest {

    @Test
    void thePairsListIsParsedSortedWithOneFirst() {
        assertArrayEquals(new int[] {1, 2, 4, 8, 15}, PairsScaling.parsePairsList(PairsScaling.DEFAULT_PAIRS_LIST));
        assertArrayEquals(new int[] {1, 3, 64}, PairsScaling.parsePairsList("64, 1,3"));
        assertArrayEquals(new int[] {1}, PairsScaling.parsePairsList("1"));
    }

    @Test
    void aBadPairsListIsRefusedWithAOneLineMessageNamingTheProblem() {
        Map<String, String> bad = Map.of(
                "0,1", "0 pairs is outside 1-64",
                "1,65", "65 pairs is outside 1-64",
                "1,-2", "-2 pairs is outside 1-64",
                "1,two", "'two' is not a whole number",
                "1,,2", "'' is not a whole number",
                "1,2,1", "1 given twice",
                "2,4", "must include 1",
                " ", "comma-separated list");
        bad.forEach((list, problem) -> {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> PairsScaling.parsePairsList(list), list);
            assertTrue(e.getMessage().contains("--pairs-list") && e.getMessage().contains(problem),
                    () -> list + ": " + e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        });
    }

    /**
     * Three iterations of 1, 2 and 8 pairs: ops/s is ops over host seconds; the factor is taken
     * per iteration (iteration 2's disturbed 1-pair run gives that iteration's high factors), so
     * its median is not the ratio of the medians.
     */
    @Test
    void opsPerSecondAndTheFactorPerIterationFromGivenRuns() {
        PairsScaling s = new PairsScaling(new int[] {1, 2, 8}, 3);
        double[][] offSeconds = {{0.10, 0.10, 0.20}, {0.05, 0.06, 0.05}, {0.02, 0.025, 0.025}};
        double[][] onSeconds = {{0.20, 0.25, 0.20}, {0.20, 0.25, 0.10}, {0.40, 0.50, 0.40}};
        for (int k = 0; k < 3; k++) {
            for (int i = 0; i < 3; i++) {
                s.record(false, k, i, 10_000, offSeconds[k][i]);
                s.record(true, k, i, 10_000, onSeconds[k][i]);
            }
        }
        // accounting off: 1 pair 100,000, 100,000, 50,000 ops/s
        assertSpread(s.opsPerSecond(false, 0), 100_000, 50_000, 100_000);
        assertSpread(s.factor(false, 0), 1, 1, 1);
        // 2 pairs: 200,000, 166,667, 200,000 ops/s; factors 2.0, 1.667, 4.0
        assertSpread(s.opsPerSecond(false, 1), 200_000, 10_000 / 0.06, 200_000);
        assertSpread(s.factor(false, 1), 2.0, (10_000 / 0.06) / 100_000, 4.0);
        // 8 pairs: 500,000, 400,000, 400,000; factors 5, 4, 8 (the ratio of the medians would be 4)
        assertSpread(s.opsPerSecond(false, 2), 400_000, 400_000, 500_000);
        assertSpread(s.factor(false, 2), 5.0, 4.0, 8.0);
        // accounting on: 8 pairs slower than 1 (a factor below 1 is a result: oversubscription)
        assertSpread(s.opsPerSecond(true, 0), 50_000, 40_000, 50_000);
        assertSpread(s.factor(true, 2), 0.5, 0.5, 0.5);
        assertSpread(s.factor(true, 1), 1.0, 1.0, 2.0);
        assertTrue(s.line(true, 2).contains("factor 0.500 (0.500-0.500)"), s.line(true, 2));
    }

    /** An oversubscribed run's factor far below 1 still shows its digits (not "0.00"). */
    @Test
    void aSmallFactorKeepsThreeSignificantDigits() {
        PairsScaling s = new PairsScaling(new int[] {1, 3}, 1);
        s.record(false, 0, 0, 1000, 0.001);
        s.record(false, 1, 0, 1000, 0.5);
        assertEquals(0.002, s.factor(false, 1).median(), 1e-12);
        assertTrue(s.line(false, 1).contains("2,000 (2,000-2,000) ops/s   factor 0.00200 (0.00200-0.00200)"),
                s.line(false, 1));
    }

    @Test
    void theFiguresHaveStableNamesOffThenOnInAscendingPairs() {
        PairsScaling s = new PairsScaling(PairsScaling.parsePairsList("8,1,2"), 1);
        for (int k = 0; k < 3; k++) {
            s.record(false, k, 0, 1000, 0.01 / (k + 1));
            s.record(true, k, 0, 1000, 0.02 / (k + 1));
        }
        BenchFigures f = new BenchFigures();
        s.addTo(f);
        assertEquals(List.of(
                "scaling.off.pairs_1.ops_per_s", "scaling.off.pairs_1.factor",
                "scaling.off.pairs_2.ops_per_s", "scaling.off.pairs_2.factor",
                "scaling.off.pairs_8.ops_per_s", "scaling.off.pairs_8.factor",
                "scaling.on.pairs_1.ops_per_s", "scaling.on.pairs_1.factor",
                "scaling.on.pairs_2.ops_per_s", "scaling.on.pairs_2.factor",
                "scaling.on.pairs_8.ops_per_s", "scaling.on.pairs_8.factor"), List.copyOf(f.figures().keySet()));
        BenchFigures.Figure ops = f.figures().get("scaling.on.pairs_8.ops_per_s");
        assertEquals("ops/s", ops.unit());
        assertEquals(150_000, ops.spread().median(), 1e-6);
        assertEquals("no_goal", ops.verdict());
        BenchFigures.Figure factor = f.figures().get("scaling.off.pairs_8.factor");
        assertEquals("ratio", factor.unit());
        assertEquals(3.0, factor.spread().median(), 1e-12);
        assertEquals("no_goal", factor.verdict());
        assertTrue(s.line(false, 2).contains("8 pairs, accounting off"), s.line(false, 2));
        assertTrue(s.line(false, 2).contains("factor 3.00 (3.00-3.00)"), s.line(false, 2));
        assertTrue(s.line(true, 0).contains("  1 pair,  accounting on "), s.line(true, 0));
    }

    @Test
    void morePairsThanHostCoresIsOversubscription() {
        assertFalse(PairsScaling.oversubscribed(2, 2));
        assertTrue(PairsScaling.oversubscribed(3, 2));
        assertFalse(PairsScaling.oversubscribed(15, 16));
    }

    @Test
    void aRunWithoutHostTimeOrAListWithoutOneIsRefused() {
        PairsScaling s = new PairsScaling(new int[] {1, 2}, 1);
        assertThrows(IllegalArgumentException.class, () -> s.record(false, 0, 0, 1000, 0.0));
        assertThrows(IllegalArgumentException.class, () -> new PairsScaling(new int[] {2, 4}, 1));
        assertThrows(IllegalArgumentException.class, () -> new PairsScaling(new int[] {1, 2}, 0));
    }

    private static void assertSpread(SpreadVerdict v, double median, double min, double max) {
        assertEquals(median, v.median(), 1e-6 * Math.max(1, median), "median");
        assertEquals(min, v.min(), 1e-6 * Math.max(1, min), "min");
        assertEquals(max, v.max(), 1e-6 * Math.max(1, max), "max");
        assertEquals(3, v.n(), "runs");
    }
}
