package l4smp.emulator.cpu;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BackoffIdleStrategyTest {

    @Test
    void spinsThenYieldsThenMayPark() {
        BackoffIdleStrategy s = new BackoffIdleStrategy(3, 2, 1_000, 8_000);
        for (int i = 0; i < 5; i++) {
            assertFalse(s.mayPark(), "parks too early, after " + i + " idles");
            s.idle(Long.MAX_VALUE);
        }
        assertTrue(s.mayPark());
    }

    @Test
    void parkPeriodDoublesUpToTheMaximumAndIsBounded() {
        BackoffIdleStrategy s = new BackoffIdleStrategy(0, 0, 1_000, 8_000);
        assertTrue(s.mayPark());
        assertEquals(1_000, s.parkNanos(Long.MAX_VALUE));
        assertEquals(2_000, s.parkNanos(Long.MAX_VALUE));
        assertEquals(4_000, s.parkNanos(Long.MAX_VALUE));
        assertEquals(8_000, s.parkNanos(Long.MAX_VALUE));
        assertEquals(8_000, s.parkNanos(Long.MAX_VALUE));
        assertEquals(500, s.parkNanos(500), "the caller's bound caps the park");
    }

    @Test
    void resetRestartsEveryPhase() {
        BackoffIdleStrategy s = new BackoffIdleStrategy(2, 1, 1_000, 8_000);
        for (int i = 0; i < 3; i++) {
            s.idle(Long.MAX_VALUE);
        }
        assertTrue(s.mayPark());
        s.parkNanos(Long.MAX_VALUE);
        s.parkNanos(Long.MAX_VALUE);
        s.reset();
        assertFalse(s.mayPark());
        for (int i = 0; i < 3; i++) {
            s.idle(Long.MAX_VALUE);
        }
        assertEquals(1_000, s.parkNanos(Long.MAX_VALUE), "reset must restart the park period");
    }

    @Test
    void idleInParkPhaseAlsoBacksOff() {
        BackoffIdleStrategy s = new BackoffIdleStrategy(0, 0, 1_000, 4_000);
        s.idle(10);   // parks at most 10 ns, and doubles the period
        s.idle(10);
        assertEquals(4_000, s.parkNanos(Long.MAX_VALUE));
    }

    @Test
    void defaultsAreTheDocumentedOnes() {
        BackoffIdleStrategy s = BackoffIdleStrategy.defaults();
        for (int i = 0; i < 2_050; i++) {
            assertFalse(s.mayPark());
            s.idle(Long.MAX_VALUE);
        }
        assertTrue(s.mayPark());
        assertEquals(50_000, s.parkNanos(Long.MAX_VALUE));
    }

    @Test
    void refusesBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> new BackoffIdleStrategy(-1, 0, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new BackoffIdleStrategy(0, -1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new BackoffIdleStrategy(0, 0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new BackoffIdleStrategy(0, 0, 10, 5));
    }
}
