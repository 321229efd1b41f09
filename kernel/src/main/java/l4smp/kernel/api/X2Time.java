package l4smp.kernel.api;

import l4smp.kernel.ipc.Timeout;

/**
 * L4 X.2 time values ("Time", the 16-bit encoding of IPC timeouts) and their conversion to the
 * cycle timeouts of {@link L4#ipc}. The layout is Pistachio's {@code L4_Time_t}
 * ({@code user/include/l4/types.h}, and the kernel's {@code time_t} in {@code api/v4/types.h}):
 * <pre>
 *   period:  bit 15 = 0 | e (bits 10..14) | m (bits 0..9)   = m * 2^e microseconds
 *   point:   bit 15 = 1 | e (bits 11..14) | c (bit 10) | m (bits 0..9)
 * </pre>
 * {@link #NEVER} is the all-zero word; {@link #ZERO} is the period with e = 1, m = 0 (any period
 * with m = 0 and e &gt; 0 is zero too).
 *
 * <p>A time point names an instant of the system clock (microseconds since boot): this class
 * takes it as the first instant T not before now whose clock bits e..e+9 equal m and whose bit
 * e+10 equals c. X.2 leaves the treatment of a point that lies further than 2^(e+11) us ahead
 * to the kernel (Pistachio's kernel does not implement points: {@code UNIMPLEMENTED()} in
 * {@code time_t::operator<}); within that window the reading is exact, and c only chooses
 * between the two halves of it.
 *
 * <p>Immutable helpers; any thread.
 */
public final class X2Time {

    /** Never (X.2 {@code L4_Never}): wait forever. */
    public static final int NEVER = 0;
    /** Zero (X.2 {@code L4_ZeroTime}: e = 1, m = 0): do not wait. */
    public static final int ZERO = 1 << 10;
    /** The longest period, 1023 * 2^31 microseconds. */
    public static final long MAX_PERIOD_MICROS = 1023L << 31;

    private X2Time() {
    }

    /**
     * The period closest below or at {@code micros} microseconds, as X.2's
     * {@code L4_TimePeriod}: the mantissa shifted right until it fits 10 bits. Refused, naming
     * the argument, when negative or longer than {@link #MAX_PERIOD_MICROS}.
     */
    public static int period(long micros) {
        if (micros < 0 || micros > MAX_PERIOD_MICROS) {
            throw new IllegalArgumentException("an X.2 time period must be 0.." + MAX_PERIOD_MICROS
                    + " microseconds, got " + micros);
        }
        if (micros == 0) {
            return ZERO;
        }
        int e = 0;
        long m = micros;
        while (m >= 1 << 10) {
            m >>= 1;
            e++;
        }
        return e << 10 | (int) m;
    }

    /** The period m * 2^e microseconds; m 0..1023, e 0..31 (m = 0 with e = 0 is {@link #NEVER}). */
    public static int period(int m, int e) {
        if (m < 0 || m > 1023 || e < 0 || e > 31) {
            throw new IllegalArgumentException("an X.2 time period has m 0..1023 and e 0..31, got m=" + m + " e=" + e);
        }
        return e << 10 | m;
    }

    /** The time point with mantissa m (0..1023), exponent e (0..15) and bit c. */
    public static int point(int m, int e, int c) {
        if (m < 0 || m > 1023 || e < 0 || e > 15 || (c & ~1) != 0) {
            throw new IllegalArgumentException("an X.2 time point has m 0..1023, e 0..15 and c 0..1, got m=" + m
                    + " e=" + e + " c=" + c);
        }
        return 1 << 15 | e << 11 | c << 10 | m;
    }

    /**
     * The time point nearest to the system-clock instant {@code atMicros} that X.2 can encode:
     * the smallest exponent whose 2^(e+11) window from {@code nowMicros} holds it. Refused,
     * naming the argument, when it lies in the past or 2^25 microseconds or more ahead.
     */
    public static int pointAt(long atMicros, long nowMicros) {
        if (atMicros < nowMicros) {
            throw new IllegalArgumentException("an X.2 time point must not lie in the past: " + atMicros
                    + " us < now " + nowMicros + " us");
        }
        for (int e = 0; e <= 15; e++) {
            if (atMicros - nowMicros < 1L << (e + 10)) {
                return point((int) (atMicros >>> e) & 0x3FF, e, (int) (atMicros >>> (e + 10)) & 1);
            }
        }
        throw new IllegalArgumentException("an X.2 time point must lie within 2^25 microseconds, got "
                + (atMicros - nowMicros) + " us ahead");
    }

    /** Whether {@code time} is a 16-bit X.2 time. */
    public static boolean isValid(int time) {
        return (time & ~0xFFFF) == 0;
    }

    /** Whether {@code time} is a point (bit 15), not a period. */
    public static boolean isPoint(int time) {
        return (time & 1 << 15) != 0;
    }

    /**
     * The microseconds from {@code nowMicros} until {@code time} runs out; {@link Long#MAX_VALUE}
     * for {@link #NEVER}.
     */
    public static long micros(int time, long nowMicros) {
        if (!isValid(time)) {
            throw new IllegalArgumentException("an X.2 time is 16 bits, got 0x" + Integer.toHexString(time));
        }
        if (time == NEVER) {
            return Long.MAX_VALUE;
        }
        if (!isPoint(time)) {
            return (long) (time & 0x3FF) << ((time >>> 10) & 0x1F);
        }
        int e = (time >>> 11) & 0xF;
        long m = time & 0x3FF;
        long c = (time >>> 10) & 1;
        long window = 1L << (e + 11);
        long target = (nowMicros & -window) | c << (e + 10) | m << e;
        if (target < nowMicros) {
            target += window;
        }
        return target - nowMicros;
    }

    /**
     * The cycle timeout of {@code time} (see {@link Timeout}) on a clock of {@code clockMhz} at
     * cycle {@code nowCycles}: {@link Timeout#NEVER} for {@link #NEVER}.
     */
    public static long cycles(int time, long nowCycles, int clockMhz) {
        long us = micros(time, nowCycles / clockMhz);
        if (us == Long.MAX_VALUE) {
            return Timeout.NEVER;
        }
        return us > (Timeout.NEVER - 1) / clockMhz ? Timeout.NEVER - 1 : us * clockMhz;
    }

    public static String toString(int time) {
        if (time == NEVER) {
            return "never";
        }
        if (isPoint(time)) {
            return "point(m=" + (time & 0x3FF) + " e=" + ((time >>> 11) & 0xF) + " c=" + ((time >>> 10) & 1) + ")";
        }
        return ((long) (time & 0x3FF) << ((time >>> 10) & 0x1F)) + " us";
    }
}
