package l4smp.kernel.api;

import l4smp.kernel.ipc.Timeout;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * X.2 time values as Pistachio encodes them ({@code user/include/l4/types.h}: {@code L4_Time_t},
 * {@code L4_Never} = 0, {@code L4_ZeroTime} = e 1 m 0, {@code L4_TimePeriod}; the kernel's
 * {@code time_t::get_microseconds() = 2^e * m} in {@code api/v4/types.h}).
 */
class X2TimeTest {

    @Test
    void neverAndZeroAreThoseOfPistachio() {
        assertEquals(0, X2Time.NEVER);
        assertEquals(0x0400, X2Time.ZERO);
        assertEquals(Long.MAX_VALUE, X2Time.micros(X2Time.NEVER, 0));
        assertEquals(0, X2Time.micros(X2Time.ZERO, 123));
        assertEquals(Timeout.NEVER, X2Time.cycles(X2Time.NEVER, 0, 450));
        assertEquals(Timeout.ZERO, X2Time.cycles(X2Time.ZERO, 0, 450));
    }

    /** {@code L4_TimePeriod}: the mantissa shifted right (truncating) until it fits 10 bits. */
    @Test
    void periodsAreMTimesTwoToTheE() {
        assertEquals(1000, X2Time.period(1000)); // e 0, m 1000
        assertEquals(1000, X2Time.micros(X2Time.period(1000), 0));
        int second = X2Time.period(1_000_000); // 1e6 >> 10 = 976 (e 10)
        assertEquals(10 << 10 | 976, second);
        assertEquals(976L << 10, X2Time.micros(second, 77));
        assertEquals((976L << 10) * 450, X2Time.cycles(second, 0, 450));
        assertEquals(1023L << 31, X2Time.micros(X2Time.period(X2Time.MAX_PERIOD_MICROS), 0));
        assertEquals(5 << 10 | 3, X2Time.period(3, 5));
        assertEquals(96, X2Time.micros(X2Time.period(3, 5), 0));
    }

    /** A point is the first instant not before now whose bits e..e+9 are m and bit e+10 is c. */
    @Test
    void pointsNameTheNextMatchingInstant() {
        long now = 5_000_123;
        for (long ahead : new long[] {0, 1, 1023, 1024, 5000, 1 << 20, (1 << 25) - 1}) {
            int p = X2Time.pointAt(now + ahead, now);
            assertTrue(X2Time.isPoint(p));
            long got = X2Time.micros(p, now);
            int e = (p >>> 11) & 0xF;
            assertTrue(got <= ahead && ahead - got < 1L << e, "ahead " + ahead + " got " + got + " e " + e);
        }
        // m 0, e 0, c 0 at now = 1024 + 5: the next instant with bits 0..10 all zero is 2048
        assertEquals(2048 - 1029, X2Time.micros(X2Time.point(0, 0, 0), 1029));
        assertEquals(0, X2Time.micros(X2Time.point(5, 0, 1), 1029)); // 1024 + 5 is now
    }

    @Test
    void malformedTimesAreRefusedNamingTheArgument() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> X2Time.period(-1));
        assertTrue(e.getMessage().contains("period"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> X2Time.period(X2Time.MAX_PERIOD_MICROS + 1));
        assertThrows(IllegalArgumentException.class, () -> X2Time.period(1024, 0));
        assertThrows(IllegalArgumentException.class, () -> X2Time.point(0, 16, 0));
        assertThrows(IllegalArgumentException.class, () -> X2Time.micros(0x1_0000, 0));
        assertThrows(IllegalArgumentException.class, () -> X2Time.pointAt(10, 11));
        assertThrows(IllegalArgumentException.class, () -> X2Time.pointAt(1L << 25, 0));
    }
}
