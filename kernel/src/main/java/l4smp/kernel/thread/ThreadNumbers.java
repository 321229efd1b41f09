package l4smp.kernel.thread;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The thread numbers of the kernel's thread table, handed out from any CPU: the kernel's own
 * allocation (the next serial number, the proxies' range skipped) and a number a caller chose
 * (X.2 ThreadControl's dest id).
 *
 * <pre>
 *   kernel's choice                           caller's choice n
 *   s = next.getAndIncrement()                next = max(next, serial(n) + 1)   (so that walks
 *   n = number(s); slot n taken? next s                                          up to next see n)
 *   build the TCB for n                       build the TCB for n
 *   CAS(slot n, null, tcb); lost? again       CAS(slot n, old, tcb); lost? refused (taken)
 * </pre>
 * A slot is owned by the one compare-and-set that filled it (Java's CAS on the table's
 * reference array: volatile semantics, the TCB complete before another CPU can find it), so a
 * number is never handed out twice, whichever order the two kinds of claims take; a kernel
 * allocation that finds its number chosen meanwhile takes the next one.
 *
 * <p>Thread contract: any CPU (lock-free); the table and the counter are the kernel's.
 */
public final class ThreadNumbers {

    private ThreadNumbers() {
    }

    /** The thread number of the {@code serial}-th number: the range {@code [base, base + range)} is skipped. */
    public static int numberOf(int serial, int base, int range) {
        return serial < base ? serial : serial + range;
    }

    /** The serial of thread number {@code number} (not in the skipped range). */
    public static int serialOf(int number, int base, int range) {
        return number < base ? number : number - range;
    }

    /**
     * The kernel's next number whose slot is free (it may be taken before the caller claims it:
     * then {@link #claim} fails and the caller asks again), or -1 when the numbers up to
     * {@code limit} are used up.
     */
    public static <T> int nextFree(AtomicReferenceArray<T> table, AtomicInteger next, int base, int range, int limit) {
        while (true) {
            int number = numberOf(next.getAndIncrement(), base, range);
            if (number >= limit) {
                return -1;
            }
            if (table.get(number) == null) {
                return number;
            }
            // a caller chose this number: the next one
        }
    }

    /**
     * A caller chose {@code number}: the kernel's counter moves past it, so that the table walks,
     * which end at the counter, see the thread, and the kernel's allocation does not hand it out.
     */
    public static void coverChosen(AtomicInteger next, int number, int base, int range) {
        next.accumulateAndGet(serialOf(number, base, range) + 1, Math::max);
    }

    /** Claims slot {@code number} for {@code value} if it still holds {@code expected}. */
    public static <T> boolean claim(AtomicReferenceArray<T> table, int number, T expected, T value) {
        return table.compareAndSet(number, expected, value);
    }
}
