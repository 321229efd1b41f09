package l4smp.tests.jcstress.timing;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import l4smp.emulator.cpu.ConcurrentRunState;

import java.util.concurrent.atomic.AtomicInteger;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJ_Result;

/**
 * The bound of a spin-wait's check ({@link ConcurrentRunState#minSpinOrderBoundConsistentAcquire},
 * as {@code Cpu.spinWaitExactSlowPath} reads it): another spinning CPU counts not with its clock
 * but with the earliest time it can act, when its last failed check came after every CPU's last
 * interaction. CPU 0 spins (its next check at its clock, 3 cycles after the failed one); CPU 1
 * runs; CPU 2 is the observer, a spinning CPU about to check, which may check at any cycle up to
 * the bound it reads. CPU 0 acts at cycle t after every check of CPU 2 at or below t - 1 (CPU 0
 * goes first at a tie), so the observer's bound must stay at or below t - 1.
 * <pre>
 *   WriteInTheWindow   cpu0: spinning, failed check 1000, next check 1003, last interaction 900
 *                      cpu1: running at 1001; records an interaction at 1001, writes what cpu0
 *                            waits for, computes on to 5000 (no interleaving point)
 *                      cpu0's check at 1003 sees the write: it acts at 1003 (bound at most 1002)
 *   PostToSpinningCpu  cpu0: spinning, interrupts enabled, failed check 1100, next check 1103
 *                      cpu1: running at 1040 (its last interaction); posts an IPI to cpu0
 *                            (arrival 2070), counts the post, computes on to 5000
 *                      cpu0 takes the IPI at 2070 and its handler acts (bound at most 2069)
 * </pre>
 * In the first the observer that sees cpu1 computed on sees its interaction too (recorded
 * before the clock store, release/acquire, read after the effective clock), so cpu0 counts with
 * its next check; {@code SpinCheckBoundNegativeControlTest} shows that a CPU whose interaction
 * is not seen lets the bound reach the forbidden outcome. In the second the pass that reads cpu0
 * before the post and cpu1 after it is read again (cpu1's own post count moved between the sum
 * read before the pass and the one read after it). Two actors (runs on a 2-core host).
 */
public final class SpinCheckBoundStress {
    private SpinCheckBoundStress() { }

    /** cpu0's last failed check in {@link WriteInTheWindow}. */
    public static final long FAILED_CHECK = 1000;
    /** cpu0's next check: one spin iteration (PIII_450: 3 cycles) later. */
    public static final long NEXT_CHECK = 1003;
    /** cpu1's clock and the cycle of its write in {@link WriteInTheWindow}. */
    public static final long WRITE_AT = 1001;
    /** Where cpu1's clock gets to after its write or post, without an interleaving point. */
    public static final long COMPUTED_ON = 5000;

    @JCStressTest
    @Outcome(id = "1000, 1003", expect = ACCEPTABLE,
            desc = "the observer read cpu1 before it computed on: bounded by cpu1 at 1001 (index before it)")
    @Outcome(id = "1002, 1003", expect = ACCEPTABLE,
            desc = "the observer read cpu1 computed on and its interaction at 1001: cpu0 counts with its next check")
    @Outcome(id = "4999, 1003", expect = FORBIDDEN,
            desc = "cpu0 counted with cpu1's later clock: the observer could check after cpu0 acted, missing its write")
    @Outcome(expect = FORBIDDEN, desc = "anything else")
    @State
    public static class WriteInTheWindow {
        public final WindowCpus cpus = new WindowCpus();

        @Actor
        public void writer() {
            cpus.writeAndComputeOn();
        }

        @Actor
        public void observer(JJ_Result r) {
            r.r1 = cpus.observe();
        }

        @Arbiter
        public void arbiter(JJ_Result r) {
            // cpu0's check at its next cycle sees the write and acts there
            r.r2 = cpus.flag.getAcquire() == 1 ? NEXT_CHECK : -1;
        }
    }

    /**
     * The three CPUs of {@link WriteInTheWindow}: {@link #spinner} (0), {@link #writer} (1), the
     * observer (2), and the word cpu0 waits for. {@code SpinCheckBoundNegativeControlTest} builds
     * them with run states whose reads are steps of a seeded schedule.
     */
    public static final class WindowCpus {
        public final StandaloneRunState spinner;
        public final StandaloneRunState writer;
        public final StandaloneRunState observer;
        public final ConcurrentRunState[] cpus;
        public final AtomicInteger flag = new AtomicInteger();
        private final long[] scratch = new long[ConcurrentRunState.SPIN_SCRATCH_PER_CPU * 3];

        public WindowCpus() {
            this(new StandaloneRunState(0), new StandaloneRunState(1), new StandaloneRunState(2));
        }

        public WindowCpus(StandaloneRunState spinner, StandaloneRunState writer, StandaloneRunState observer) {
            this.spinner = spinner;
            this.writer = writer;
            this.observer = observer;
            this.cpus = new ConcurrentRunState[] {spinner, writer, observer};
            spinner.setLastInteractionRelease(900);
            spinner.setClockRelease(NEXT_CHECK);
            spinner.setSpinningRelease(FAILED_CHECK, false);
            writer.setLastInteractionRelease(950);
            writer.setClockRelease(WRITE_AT);
            observer.setLastInteractionRelease(800);
            observer.setClockRelease(NEXT_CHECK);
        }

        /** cpu1, as {@code Cpu.interleave} and the store after it, then local work. */
        public void writeAndComputeOn() {
            writer.setLastInteractionRelease(WRITE_AT);
            flag.setRelease(1);
            writer.setClockRelease(COMPUTED_ON);
        }

        /** The observer's bound for its check. */
        public long observe() {
            return ConcurrentRunState.minSpinOrderBoundConsistentAcquire(cpus, observer, scratch);
        }
    }

    @JCStressTest
    @Outcome(id = "1039, 2070", expect = ACCEPTABLE,
            desc = "the observer read cpu1 at its send time (cpu0 before or after the post)")
    @Outcome(id = "2069, 2070", expect = ACCEPTABLE,
            desc = "the observer read cpu0 with the IPI pending and cpu1 computed on: cpu0 counts with the arrival")
    @Outcome(id = "4999, 2070", expect = FORBIDDEN,
            desc = "a pass read cpu0 before the post and cpu1 after it: the observer could check after cpu0's handler acted")
    @Outcome(expect = FORBIDDEN, desc = "anything else")
    @State
    public static class PostToSpinningCpu {
        final StandaloneRunState spinner = new StandaloneRunState(0);
        final StandaloneRunState poster = new StandaloneRunState(1);
        final StandaloneRunState observer = new StandaloneRunState(2);
        final ConcurrentRunState[] cpus = {spinner, poster, observer};
        final long[] scratch = new long[ConcurrentRunState.SPIN_SCRATCH_PER_CPU * 3];

        public PostToSpinningCpu() {
            setUp(spinner, poster, observer);
        }

        /** The three CPUs' states before the actors run ({@code SpinCheckBoundNegativeControlTest} builds its own). */
        public static void setUp(ConcurrentRunState spinner, ConcurrentRunState poster, ConcurrentRunState observer) {
            spinner.setLastInteractionRelease(900);
            spinner.setClockRelease(1103);
            spinner.setSpinningRelease(1100, true);
            poster.setLastInteractionRelease(1040);
            poster.setClockRelease(1040);
            observer.setLastInteractionRelease(800);
            observer.setClockRelease(1103);
        }

        @Actor
        public void poster() {
            // Cpu.deliver's order: post and raise, count the post, then the clock store.
            spinner.postIpi(poster.index, 1040);
            poster.countPostRelease();
            poster.setClockRelease(COMPUTED_ON);
        }

        @Actor
        public void observer(JJ_Result r) {
            r.r1 = ConcurrentRunState.minSpinOrderBoundConsistentAcquire(cpus, observer, scratch);
        }

        @Arbiter
        public void arbiter(JJ_Result r) {
            r.r2 = spinner.earliestPendingArrivalAcquire();
        }
    }
}
