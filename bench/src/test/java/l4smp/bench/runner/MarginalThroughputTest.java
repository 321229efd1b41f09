package l4smp.bench.runner;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MarginalThroughputTest {

    @Test
    void theFixedCostOfBothRunsCancels() {
        // 50,000 calls: 20 ms of fixed cost (admissions, first runs, ends) + 50,000 x 800 ns;
        // 100,000 calls: the same 20 ms + 100,000 x 800 ns. Marginal: 1 / 800 ns = 1,250,000 calls/s,
        // where the whole first run makes 50,000 / 60 ms = 833,333.
        double single = 0.020 + 50_000 * 800e-9;
        double twice = 0.020 + 100_000 * 800e-9;
        assertEquals(1_250_000, MarginalThroughput.perSecond(50_000, single, twice), 1e-3);
    }

    @Test
    void aLongerRunThatTookNoLongerGivesNoFigure() {
        assertTrue(Double.isNaN(MarginalThroughput.perSecond(10_000, 0.05, 0.05)));
        assertTrue(Double.isNaN(MarginalThroughput.perSecond(10_000, 0.05, 0.04)));
        assertThrows(IllegalArgumentException.class, () -> MarginalThroughput.perSecond(0, 0.01, 0.02));
    }

    @Test
    void theRatioPairsRepetitionsAndLeavesOutThoseWithoutAFigure() {
        double[] many = {900_000, Double.NaN, 1_000_000, 800_000};
        double[] few = {1_000_000, 1_000_000, Double.NaN, 1_000_000};
        SpreadVerdict v = MarginalThroughput.ratio(many, few);
        assertEquals(2, v.n());
        assertEquals(0.8, v.min(), 1e-12);
        assertEquals(0.9, v.max(), 1e-12);
        assertEquals(0.85, v.median(), 1e-12);
        assertArrayEquals(new double[] {900_000, 1_000_000, 800_000}, MarginalThroughput.numbers(many));
    }

    @Test
    void noRepetitionWithBothFiguresGivesNoRatio() {
        assertNull(MarginalThroughput.ratio(new double[] {Double.NaN, 1}, new double[] {1, Double.NaN}));
        assertThrows(IllegalArgumentException.class, () -> MarginalThroughput.ratio(new double[] {1}, new double[] {1, 2}));
    }
}
