package l4smp.tests.jcstress.timing;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import l4smp.emulator.cpu.ConcurrentRunState;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJ_Result;

/**
 * The consistent read of another CPU's effective clock ({@link ConcurrentRunState}): the owner
 * changes its run state and the fields that go with it one after the other (going idle: the
 * next timer event, then IDLE; waking: the clock jumps to the event, RUNNING, the event
 * withdrawn), and a reader on another CPU ({@link ConcurrentRunState#effectiveClockAcquire}, the
 * read that {@code Machine.minEffectiveClockExcluding} makes of each CPU) must read the fields of
 * one state: never "idle" with the event already withdrawn, which reads as no bound at all
 * ({@code Long.MAX_VALUE} = 9223372036854775807) and would let the reader's CPU run past a CPU
 * about to act. The state version around the reader's pass forbids that combination; the
 * planted pass without the re-check ({@link ConcurrentRunState#effectiveClockSinglePassAcquire})
 * is shown to reach it by {@code RunStateNegativeControlTest}, which classifies its outcome by
 * the {@link Outcome}s of {@link WakeNeverReadsUnbounded}. Two actors (runs on a 2-core host).
 */
public final class RunStatePublicationStress {
    private RunStatePublicationStress() { }

    /** The clock the CPU went idle at. */
    public static final long IDLE_AT = 100;
    /** Its next timer event. */
    public static final long EVENT = 500;
    /** Its clock after the timer handler's first charge. */
    public static final long AFTER_HANDLER = 540;

    /**
     * The owner's wake at its timer event, in {@code Cpu.idle}'s order: the clock jumps to the
     * event, RUNNING (the event withdrawn after it), then the handler charges its first cycles.
     */
    public static void wakeAtEvent(ConcurrentRunState cpu) {
        cpu.setClockRelease(EVENT);
        cpu.setRunningVolatile();
        cpu.setClockRelease(AFTER_HANDLER);
    }

    /** A CPU idle since {@link #IDLE_AT} with its timer event at {@link #EVENT}, as the owner leaves it. */
    public static void goIdle(ConcurrentRunState cpu) {
        cpu.setClockRelease(IDLE_AT);
        cpu.setIdleVolatile(EVENT);
    }

    @JCStressTest
    @Outcome(id = "500, 540", expect = ACCEPTABLE, desc = "read while idle (its timer event) or running at the event it jumped to")
    @Outcome(id = "540, 540", expect = ACCEPTABLE, desc = "read running, after the handler's first charge")
    @Outcome(id = "9223372036854775807, 540", expect = FORBIDDEN,
            desc = "torn read: IDLE with the event already withdrawn, no bound at all for a CPU about to act")
    @Outcome(id = "100, 540", expect = FORBIDDEN, desc = "RUNNING with the clock from before the jump (the clock store not published)")
    @Outcome(expect = FORBIDDEN, desc = "anything else")
    @State
    public static class WakeNeverReadsUnbounded {
        final StandaloneRunState cpu = new StandaloneRunState(1);

        {
            goIdle(cpu);
        }

        @Actor
        public void owner() {
            wakeAtEvent(cpu);
        }

        @Actor
        public void reader(JJ_Result r) {
            r.r1 = cpu.effectiveClockAcquire();
        }

        @Arbiter
        public void arbiter(JJ_Result r) {
            r.r2 = cpu.effectiveClockAcquire(); // running at the handler's clock
        }
    }

    @JCStressTest
    @Outcome(id = "100, 500", expect = ACCEPTABLE, desc = "read running, at the clock it goes idle at")
    @Outcome(id = "500, 500", expect = ACCEPTABLE, desc = "read idle, with its timer event")
    @Outcome(id = "9223372036854775807, 500", expect = FORBIDDEN,
            desc = "IDLE read with the event not yet published: no bound for a CPU whose timer is due")
    @Outcome(expect = FORBIDDEN, desc = "anything else")
    @State
    public static class GoingIdlePublishesTheEvent {
        final StandaloneRunState cpu = new StandaloneRunState(1);

        {
            cpu.setClockRelease(IDLE_AT); // running, no event
        }

        @Actor
        public void owner() {
            cpu.setIdleVolatile(EVENT);
        }

        @Actor
        public void reader(JJ_Result r) {
            r.r1 = cpu.effectiveClockAcquire();
        }

        @Arbiter
        public void arbiter(JJ_Result r) {
            r.r2 = cpu.effectiveClockAcquire();
        }
    }

    @JCStressTest
    @Outcome(id = "9223372036854775807, 2070", expect = ACCEPTABLE, desc = "read before the IPI was raised: idle, no event, no bound")
    @Outcome(id = "2070, 2070", expect = ACCEPTABLE, desc = "read after the raise: the IPI's arrival (sent 1040 + 1030)")
    @Outcome(expect = FORBIDDEN, desc = "anything else (a raised flag read with the slot's arrival not published)")
    @State
    public static class PostedInterruptBoundsTheIdleCpu {
        final StandaloneRunState cpu = new StandaloneRunState(1);

        {
            cpu.setClockRelease(IDLE_AT);
            cpu.setIdleVolatile(l4smp.emulator.cpu.Dispatcher.NO_EVENT); // idle with no timer
        }

        @Actor
        public void sender() {
            cpu.postIpi(0, 1040); // as Cpu.deliver: post to the APIC, raise the flag
        }

        @Actor
        public void reader(JJ_Result r) {
            r.r1 = cpu.effectiveClockAcquire();
        }

        @Arbiter
        public void arbiter(JJ_Result r) {
            r.r2 = cpu.effectiveClockAcquire();
        }
    }
}
