package l4smp.tests.jcstress.thread;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import l4smp.kernel.thread.ThreadNumbers;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * The thread table's numbers handed out from two CPUs at once (the kernel's
 * {@link ThreadNumbers}, as {@code ThreadLifecycle.newTcb} uses it): the kernel's own
 * allocation against a caller-chosen number (X.2 ThreadControl's dest id), and two callers
 * choosing the same number. A slot has exactly one owner; no number is handed out twice.
 */
public final class ThreadNumbersStress {
    private ThreadNumbersStress() { }

    /** Numbers 4 and 5 fall into the skipped (proxy) range in these tests. */
    static final int BASE = 4;
    static final int RANGE = 2;
    static final int LIMIT = 16;

    /**
     * The kernel allocates (its next number is 1) while a caller chooses number 1. Results:
     * (the kernel's number, the caller's claim succeeded, the owner of slot 1: 1 kernel, 2 caller).
     */
    @JCStressTest
    @Outcome(id = "1, 0, 1", expect = ACCEPTABLE, desc = "the kernel took 1 first; the chosen number is refused")
    @Outcome(id = "2, 1, 2", expect = ACCEPTABLE, desc = "the caller took 1; the kernel took the next number")
    @Outcome(id = "1, 1, .*", expect = FORBIDDEN, desc = "number 1 handed out twice")
    @Outcome(expect = FORBIDDEN, desc = "anything else (a slot lost or overwritten)")
    @State
    public static class KernelAgainstChosen {
        final AtomicReferenceArray<String> table = new AtomicReferenceArray<>(LIMIT);
        final AtomicInteger next = new AtomicInteger(1);
        int kernelNumber;
        int chosenOk;

        @Actor
        public void kernel() {
            while (true) {
                int n = ThreadNumbers.nextFree(table, next, BASE, RANGE, LIMIT);
                if (ThreadNumbers.claim(table, n, null, "kernel")) {
                    kernelNumber = n;
                    return;
                }
            }
        }

        @Actor
        public void caller() {
            if (table.get(1) == null) {
                ThreadNumbers.coverChosen(next, 1, BASE, RANGE);
                chosenOk = ThreadNumbers.claim(table, 1, null, "caller") ? 1 : 0;
            }
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r1 = kernelNumber;
            r.r2 = chosenOk;
            String owner = table.get(1);
            r.r3 = "kernel".equals(owner) ? 1 : "caller".equals(owner) ? 2 : 0;
        }
    }

    /** Two callers choose number 7 (beyond the kernel's counter): exactly one gets it. */
    @JCStressTest
    @Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "the first caller got it")
    @Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "the second caller got it")
    @Outcome(expect = FORBIDDEN, desc = "both or neither")
    @State
    public static class TwoCallersOneNumber {
        final AtomicReferenceArray<String> table = new AtomicReferenceArray<>(LIMIT);
        final AtomicInteger next = new AtomicInteger(1);
        int a;
        int b;

        @Actor
        public void first() {
            ThreadNumbers.coverChosen(next, 7, BASE, RANGE);
            a = ThreadNumbers.claim(table, 7, null, "a") ? 1 : 0;
        }

        @Actor
        public void second() {
            ThreadNumbers.coverChosen(next, 7, BASE, RANGE);
            b = ThreadNumbers.claim(table, 7, null, "b") ? 1 : 0;
        }

        @Arbiter
        public void arbiter(II_Result r) {
            // the counter moved past the chosen number's serial (7 - RANGE = 5) either way
            r.r1 = a + (next.get() == 6 ? 0 : 10);
            r.r2 = b;
        }
    }
}
