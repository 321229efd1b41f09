package l4smp.tests;

import l4smp.emulator.cpu.ConcurrentRunState;
import l4smp.emulator.memory.PhysicalMemory;
import l4smp.kernel.xcpu.HostXcpuMemory;
import l4smp.tests.jcstress.timing.SpinCheckBoundStress;
import l4smp.tests.jcstress.timing.SpinCheckBoundStress.WindowCpus;
import l4smp.tests.jcstress.timing.SpinCheckBoundStress.WriteInTheWindow;
import l4smp.tests.jcstress.timing.StandaloneRunState;
import org.junit.jupiter.api.Test;
import org.openjdk.jcstress.annotations.Expect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The negative control of {@link WriteInTheWindow}: a writer whose interaction the check's bound
 * does not see (the planted variant: its last interaction reads as none, a bound published too
 * high) lets the observer count the spinning CPU with the writer's later clock -- the outcome
 * the jcstress test forbids -- under some seeded interleaving, and the production run states
 * never do over the same schedules ({@link SteppedSchedule}: each of the observer's field reads
 * and each of the writer's stores is one step). Outcomes are graded by the jcstress test's own
 * annotations.
 */
class SpinCheckBoundNegativeControlTest {

    private static final int SCHEDULES = 1500;

    /** A run state whose reads are steps of actor 1 (the observer); {@code hidden}: its interactions read as none. */
    private static final class SteppedRunState extends StandaloneRunState {
        SteppedSchedule schedule;
        final boolean hidden;

        SteppedRunState(int cpu, boolean hidden) {
            super(cpu);
            this.hidden = hidden;
        }

        private void step() {
            if (schedule != null) {
                schedule.step(1);
            }
        }

        @Override
        public long stateVersionVolatile() {
            step();
            return super.stateVersionVolatile();
        }

        @Override
        public int stateAcquire() {
            step();
            return super.stateAcquire();
        }

        @Override
        public long clockAcquire() {
            step();
            return super.clockAcquire();
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
    }

    /** The outcome of one run under {@code seed}, as jcstress prints it; {@code hidden}: the writer's interaction unseen. */
    private static String run(long seed, boolean hidden) {
        SteppedRunState spinner = new SteppedRunState(0, false);
        SteppedRunState writer = new SteppedRunState(1, hidden);
        SteppedRunState observer = new SteppedRunState(2, false);
        WindowCpus cpus = new WindowCpus(spinner, writer, observer);
        long[] bound = new long[1];
        SteppedSchedule s = new SteppedSchedule(new HostXcpuMemory(new PhysicalMemory(16 * 1024)));
        for (SteppedRunState c : new SteppedRunState[] {spinner, writer, observer}) {
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
        for (SteppedRunState c : new SteppedRunState[] {spinner, writer, observer}) {
            c.schedule = null;
        }
        return bound[0] + ", " + (cpus.flag.getAcquire() == 1 ? SpinCheckBoundStress.NEXT_CHECK : -1);
    }

    @Test
    void aWriterWhoseInteractionIsNotSeenLetsTheBoundPassTheSpinningCpu() {
        int above = 0;
        for (long seed = 1; seed <= SCHEDULES; seed++) {
            String outcome = run(seed, true);
            if (RunStateNegativeControlTest.grade(WriteInTheWindow.class, outcome) == Expect.FORBIDDEN) {
                assertEquals("4999, 1003", outcome, "seed " + seed + ": a forbidden outcome other than the bound past the check");
                above++;
            }
        }
        assertTrue(above > 0, "the hidden interaction never let the bound pass cpu0's check in " + SCHEDULES + " schedules");
    }

    @Test
    void theProductionBoundNeverDoes() {
        for (long seed = 1; seed <= SCHEDULES; seed++) {
            String outcome = run(seed, false);
            assertEquals(Expect.ACCEPTABLE, RunStateNegativeControlTest.grade(WriteInTheWindow.class, outcome),
                    "seed " + seed + ": " + outcome);
        }
    }
}
