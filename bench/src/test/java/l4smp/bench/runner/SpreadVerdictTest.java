package l4smp.bench.runner;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SpreadVerdictTest {

    @Test
    void metOnlyWhenEveryRepetitionMeetsTheGoal() {
        SpreadVerdict v = SpreadVerdict.of(new double[] {1.4, 1.9, 1.6});
        assertEquals(SpreadVerdict.Outcome.MET, v.against(2.0));
        assertEquals(1.6, v.median(), 1e-12);
        assertEquals(1.4, v.min(), 1e-12);
        assertEquals(1.9, v.max(), 1e-12);
    }

    @Test
    void notMetOnlyWhenNoRepetitionMeetsTheGoal() {
        assertEquals(SpreadVerdict.Outcome.NOT_MET, SpreadVerdict.of(new double[] {2.1, 3.2, 2.5}).against(2.0));
    }

    @Test
    void aSpreadAcrossTheGoalIsUndecidedEvenWithTheMedianOnOneSide() {
        // median 1.64 meets 2.0, one noisy run of 3.21 does not: neither verdict may be printed
        SpreadVerdict v = SpreadVerdict.of(new double[] {1.64, 1.64, 1.96, 3.21, 1.70});
        assertEquals(SpreadVerdict.Outcome.UNDECIDED, v.against(2.0));
        assertTrue(v.describe(2.0).contains("undecidable"), v.describe(2.0));
        assertTrue(v.describe(2.0).contains("1.64-3.21 over 5 runs"), v.describe(2.0));
    }

    @Test
    void aRatioBelowOneIsADisturbedBaselineNotAGoalMet() {
        SpreadVerdict v = SpreadVerdict.of(new double[] {0.8, 1.1, 1.2});
        assertEquals(SpreadVerdict.Outcome.UNDECIDED, v.against(2.0));
        assertTrue(v.describe(2.0).contains("below 1"), v.describe(2.0));
    }

    @Test
    void ratiosArePairedRepetitionByRepetition() {
        SpreadVerdict v = SpreadVerdict.ofRatios(new double[] {300, 200}, new double[] {100, 200});
        assertEquals(1.0, v.min(), 1e-12);
        assertEquals(3.0, v.max(), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> SpreadVerdict.ofRatios(new double[] {1}, new double[] {1, 2}));
        assertThrows(IllegalArgumentException.class, () -> SpreadVerdict.of(new double[0]));
    }

    @Test
    void aCeilingVerdictTakesRatiosBelowOneAsResults() {
        SpreadVerdict faster = SpreadVerdict.of(new double[] {0.3, 0.5, 0.9});
        assertEquals(SpreadVerdict.Outcome.MET, faster.againstCeiling(1.0));
        assertEquals(SpreadVerdict.Outcome.UNDECIDED, faster.against(1.0));
        assertEquals(SpreadVerdict.Outcome.UNDECIDED, SpreadVerdict.of(new double[] {0.8, 1.3}).againstCeiling(1.0));
        assertEquals(SpreadVerdict.Outcome.NOT_MET, SpreadVerdict.of(new double[] {1.2, 1.3}).againstCeiling(1.0));
        assertTrue(faster.describeCeiling(1.0).endsWith("goal <= 1.0: met in every run"), faster.describeCeiling(1.0));
    }

    @Test
    void aFloorIsMetOnlyWhenEveryRepetitionReachesIt() {
        assertEquals(SpreadVerdict.Outcome.MET, SpreadVerdict.of(new double[] {30, 31, 45}).againstFloor(30));
        assertEquals(SpreadVerdict.Outcome.NOT_MET, SpreadVerdict.of(new double[] {20, 29.9, 25}).againstFloor(30));
        assertEquals(SpreadVerdict.Outcome.UNDECIDED, SpreadVerdict.of(new double[] {29, 31, 33}).againstFloor(30));
        // a figure far below 1 is no disturbed baseline for a floor: only the goal decides
        assertEquals(SpreadVerdict.Outcome.MET, SpreadVerdict.of(new double[] {0.5, 0.6}).againstFloor(0.4));
    }
}
