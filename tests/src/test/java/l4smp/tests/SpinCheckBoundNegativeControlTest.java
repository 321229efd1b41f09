package l4smp.tests;

import l4smp.emulator.cpu.ConcurrentRunState;
import l4smp.emulator.memory.PhysicalMemory;
import l4smp.kernel.xcpu.HostXcpuMemory;
import l4smp.tests.jcstress.timing.SpinCheckBoundStress;
import l4smp.tests.jcstress.timing.SpinCheckBoundStress.PostToSpinningCpu;
import l4smp.tests.jcstress.timing.SpinCheckBoundStress.WindowCpus;
import l4smp.tests.jcstress.timing.SpinCheckBoundStress.WriteInTheWindow;
import org.junit.jupiter.api.Test;


/**
 * The negative control of {@link WriteInTheWindow}: a writer whose interaction the check's bound
 * does not see (the planted variant: its last interaction reads as none, a bound published too
 * high) lets the observer count the spinning CPU with the writer's later clock -- the outcome
 * the jcstress test forbids -- under some seeded interleaving, and the production run states
 * never do over the same schedules ({@link SteppedSchedule}: each of the observer's field reads
 * and each of the writer's stores is one step). Outcomes are graded by the jcstress test's own
 * annotations. The same for {@link PostToSpinningCpu}: a pass blind to the CPUs' post counts
 * (the planted variant) keeps a pass that read cpu0 before an IPI was posted to it and the poster
 * after it computed on, and counts cpu0 past the IPI's arrival.
 */
class SpinCheckBoundNegativeControlTest {

    private static final int SCHEDULES = 1500;

    /**
     * A run state whose reads are steps of actor 1 (the observer). Planted variants:
     * {@code hidden}, its interactions read as none; {@code uncounted}, its post count reads as
     * none (a pass blind to the posts made while it ran).
     */
    private static final class SpinSteppedRunState extends SteppedRunState {
        final boolean hidden;
        final boolean uncounted;

        SpinSteppedRunState(int cpu, boolean hidden) {
            this(cpu, hidden, false);
        }

        SpinSteppedRunState(int cpu, boolean hidden, boolean uncounted) {
            super(cpu);
            this.hidden = hidden;
            this.uncounted = uncounted;
        }

        @Override
        public long spinCheckAcquire() {
            step();
            return super.spinCheckAcquire();
        }

        @Override
        public long lastInteractionAcquire() {
            step();
            return hidden ? ConcurrentRunState.NO_INTERACTION : super.lastInteractionAcquire();
        }

        @Override
        public boolean spinInterruptibleAcquire() {
            step();
            return super.spinInterruptibleAcquire();
        }

        @Override
        public long earliestPendingArrivalAcquire() {
            step();
            return super.earliestPendingArrivalAcquire();
        }

        @Override
        public long postCountAcquire() {
            long count = super.postCountAcquire(); // a step
            return uncounted ? 0 : count;
        }
    }

    /** The outcome of one run under {@code seed}, as jcstress prints it; {@code hidden}: the writer's interaction unseen. */
    private static String run(long seed, boolean hidden) {
        SpinSteppedRunState spinner = new SpinSteppedRunState(0, false);
        SpinSteppedRunState writer = new SpinSteppedRunState(1, hidden);
        SpinSteppedRunState observer = new SpinSteppedRunState(2, false);
        WindowCpus cpus = new WindowCpus(spinner, writer, observer);
        long[] bound = new long[1];
        SteppedSchedule s = new SteppedSchedule(new HostXcpuMemory(new PhysicalMemory(16 * 1024)));
        for (SpinSteppedRunState c : new SpinSteppedRunState[] {spinner, writer, observer}) {
            c.schedule = s;
        }
        s.run(seed, sch -> {
            // the writer's steps: its interaction, the write, the clock store
            sch.step(0);
            writer.setLastInteractionRelease(SpinCheckBoundStress.WRITE_AT);
            sch.step(0);
            cpus.flag.setRelease(1);
            sch.step(0);
            writer.setClockRelease(SpinCheckBoundStress.COMPUTED_ON);
        }, sch -> bound[0] = cpus.observe(), 100_000);
        for (SpinSteppedRunState c : new SpinSteppedRunState[] {spinner, writer, observer}) {
            c.schedule = null;
        }
        return bound[0] + ", " + (cpus.flag.getAcquire() == 1 ? SpinCheckBoundStress.NEXT_CHECK : -1);
    }

    /**
     * One run of {@link PostToSpinningCpu}'s setup under {@code seed}, as jcstress prints it;
     * {@code uncounted}: every CPU's post count reads as none, so a pass that read cpu0 before
     * the post and cpu1 after it is not read again.
     */
    private static String runPost(long seed, boolean uncounted) {
        SpinSteppedRunState spinner = new SpinSteppedRunState(0, false, uncounted);
        SpinSteppedRunState poster = new SpinSteppedRunState(1, false, uncounted);
        SpinSteppedRunState observer = new SpinSteppedRunState(2, false, uncounted);
        ConcurrentRunState[] cpus = {spinner, poster, observer};
        PostToSpinningCpu.setUp(spinner, poster, observer);
        long[] scratch = new long[ConcurrentRunState.SPIN_SCRATCH_PER_CPU * 3];
        long[] bound = new long[1];
        SteppedSchedule s = new SteppedSchedule(new HostXcpuMemory(new PhysicalMemory(16 * 1024)));
        for (SpinSteppedRunState c : new SpinSteppedRunState[] {spinner, poster, observer}) {
            c.schedule = s;
        }
        s.run(seed, sch -> {
            // the poster's steps, in Cpu.deliver's order: post and raise, count, clock store
            sch.step(0);
            spinner.postIpi(poster.index, 1040);
            sch.step(0);
            poster.countPostRelease();
            sch.step(0);
            poster.setClockRelease(SpinCheckBoundStress.COMPUTED_ON);
        }, sch -> bound[0] = ConcurrentRunState.minSpinOrderBoundConsistentAcquire(cpus, observer, scratch), 100_000);
        for (SpinSteppedRunState c : new SpinSteppedRunState[] {spinner, poster, observer}) {
            c.schedule = null;
        }
        return bound[0] + ", " + spinner.earliestPendingArrivalAcquire();
    }

    @Test
    void aPassBlindToPostCountsLetsTheBoundPassAPostedSpinningCpu() {
        RunStateNegativeControlTest.assertSomeScheduleReaches(PostToSpinningCpu.class, "4999, 2070", SCHEDULES,
                seed -> runPost(seed, true), "the bound past cpu0's arrival");
    }

    @Test
    void theProductionPassReadsAgainAfterAPost() {
        RunStateNegativeControlTest.assertEveryScheduleAcceptable(PostToSpinningCpu.class, SCHEDULES,
                seed -> runPost(seed, false));
    }

    @Test
    void aWriterWhoseInteractionIsNotSeenLetsTheBoundPassTheSpinningCpu() {
        RunStateNegativeControlTest.assertSomeScheduleReaches(WriteInTheWindow.class, "4999, 1003", SCHEDULES,
                seed -> run(seed, true), "the bound past cpu0's check");
    }

    @Test
    void theProductionBoundNeverDoes() {
        RunStateNegativeControlTest.assertEveryScheduleAcceptable(WriteInTheWindow.class, SCHEDULES,
                seed -> run(seed, false));
    }
}
