package l4smp.tests;

import l4smp.emulator.cpu.ConcurrentRunState;
import l4smp.emulator.memory.PhysicalMemory;
import l4smp.kernel.xcpu.HostXcpuMemory;
import l4smp.tests.jcstress.timing.RunStatePublicationStress;
import l4smp.tests.jcstress.timing.RunStatePublicationStress.WakeNeverReadsUnbounded;
import l4smp.tests.jcstress.timing.StandaloneRunState;
import org.junit.jupiter.api.Test;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.Outcome;

import java.util.function.LongFunction;
import java.util.function.ToLongFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The negative control of {@link RunStatePublicationStress}: the read of another CPU's effective
 * clock without the state-version re-check (the planted variant: one pass,
 * {@link ConcurrentRunState#effectiveClockSinglePassAcquire}) reaches the outcome that
 * {@link WakeNeverReadsUnbounded} forbids -- "idle" combined with the event the owner withdrew on
 * waking, no bound at all -- under some seeded interleaving, and the production read
 * ({@link ConcurrentRunState#effectiveClockAcquire}) never does, over the same schedules
 * ({@link SteppedSchedule}: each of the reader's field reads and each of the owner's run-state
 * and event stores is one step). The outcome is classified by the jcstress test's own
 * {@link Outcome} annotations, so this shows that the jcstress detector fires on the plant.
 */
class RunStateNegativeControlTest {

    private static final int SCHEDULES = 1500;

    /** The production run state with every field access a step: the reader's are actor 1's, the owner's stores actor 0's. */
    private static final class SteppedRunState extends StandaloneRunState {
        SteppedSchedule schedule;

        SteppedRunState() {
            super(1);
        }

        private void step(int actor) {
            if (schedule != null) {
                schedule.step(actor);
            }
        }

        @Override
        public long stateVersionVolatile() {
            step(1);
            return super.stateVersionVolatile();
        }

        @Override
        public int stateAcquire() {
            step(1);
            return super.stateAcquire();
        }

        @Override
        public long nextEventAcquire() {
            step(1);
            return super.nextEventAcquire();
        }

        @Override
        public long clockAcquire() {
            step(1);
            return super.clockAcquire();
        }

        @Override
        public boolean interruptPendingVolatile() {
            step(1);
            return super.interruptPendingVolatile();
        }

        @Override
        public void setStateVolatile(int st) {
            step(0);
            super.setStateVolatile(st);
        }

        @Override
        public void setNextEventRelease(long time) {
            step(0);
            super.setNextEventRelease(time);
        }
    }

    /**
     * One run of {@link WakeNeverReadsUnbounded} under the interleaving of {@code seed}: the owner
     * wakes at its timer event while the reader reads its effective clock with {@code read};
     * returns the outcome as jcstress prints it ("reader, arbiter").
     */
    private static String wake(long seed, ToLongFunction<ConcurrentRunState> read) {
        SteppedRunState cpu = new SteppedRunState();
        RunStatePublicationStress.goIdle(cpu);
        SteppedSchedule s = new SteppedSchedule(new HostXcpuMemory(new PhysicalMemory(16 * 1024)));
        cpu.schedule = s;
        long[] r = new long[1];
        s.run(seed, sch -> RunStatePublicationStress.wakeAtEvent(cpu), sch -> r[0] = read.applyAsLong(cpu), 100_000);
        cpu.schedule = null;
        return r[0] + ", " + cpu.effectiveClockAcquire();
    }

    /** How the jcstress test {@code test} grades {@code outcome}: its first matching {@link Outcome}, else its catch-all. */
    static Expect grade(Class<?> test, String outcome) {
        Expect otherwise = null;
        for (Outcome o : test.getAnnotationsByType(Outcome.class)) {
            if (o.id().length == 0) {
                otherwise = o.expect();
            }
            for (String id : o.id()) {
                if (outcome.matches(id)) {
                    return o.expect();
                }
            }
        }
        assertNotNull(otherwise, test.getSimpleName() + " has no catch-all outcome");
        return otherwise;
    }

    /**
     * A planted variant's runs over seeds 1 to {@code schedules}: some reach the forbidden outcome
     * of the jcstress test {@code test}, and every forbidden one is {@code forbidden} ({@code what}
     * names it in the messages).
     */
    static void assertSomeScheduleReaches(Class<?> test, String forbidden, int schedules, LongFunction<String> run,
                                          String what) {
        int reached = 0;
        for (long seed = 1; seed <= schedules; seed++) {
            String outcome = run.apply(seed);
            if (grade(test, outcome) == Expect.FORBIDDEN) {
                assertEquals(forbidden, outcome, "seed " + seed + ": a forbidden outcome other than " + what);
                reached++;
            }
        }
        assertTrue(reached > 0, "the planted variant never reached " + what + " in " + schedules + " schedules");
    }

    /** The production code's runs over seeds 1 to {@code schedules}: each outcome acceptable to the jcstress test {@code test}. */
    static void assertEveryScheduleAcceptable(Class<?> test, int schedules, LongFunction<String> run) {
        for (long seed = 1; seed <= schedules; seed++) {
            String outcome = run.apply(seed);
            assertEquals(Expect.ACCEPTABLE, grade(test, outcome), "seed " + seed + ": " + outcome);
        }
    }

    @Test
    void withoutTheVersionRecheckAWakeReadsAsIdleWithoutBound() {
        int torn = 0;
        for (long seed = 1; seed <= SCHEDULES; seed++) {
            String outcome = wake(seed, ConcurrentRunState::effectiveClockSinglePassAcquire);
            if (grade(WakeNeverReadsUnbounded.class, outcome) == Expect.FORBIDDEN) {
                assertEquals(Long.MAX_VALUE + ", " + RunStatePublicationStress.AFTER_HANDLER, outcome,
                        "seed " + seed + ": a forbidden outcome other than the torn read");
                torn++;
            }
        }
        assertTrue(torn > 0, "the single pass never read the waking CPU as idle without bound in " + SCHEDULES + " schedules");
    }

    @Test
    void withTheVersionRecheckEveryReadIsOfOneState() {
        for (long seed = 1; seed <= SCHEDULES; seed++) {
            String outcome = wake(seed, ConcurrentRunState::effectiveClockAcquire);
            assertEquals(Expect.ACCEPTABLE, grade(WakeNeverReadsUnbounded.class, outcome), "seed " + seed + ": " + outcome);
        }
    }
}
