package l4smp.tests.jcstress.timing;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import l4smp.emulator.cpu.ConcurrentClockWaiters;
import l4smp.emulator.cpu.ConcurrentRunState;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Mode;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.Signal;
import org.openjdk.jcstress.annotations.State;

/**
 * No lost wake-up in {@link ConcurrentClockWaiters}: a CPU parked until another CPU's effective
 * clock reaches a cycle is unparked by that CPU once it got there, by the Dekker handshake
 * (waiter: register, then re-read the target's effective clock; target: store its clock or run
 * state, full fence, read its waiters), as {@code Cpu}'s waits and wake points use it. Each park
 * is bounded by 10 s, far beyond the time jcstress waits for termination, so a lost wake-up
 * shows as a hang (STALE).
 * <pre>
 *   cpu0 (waiter, at cycle 2000): register on cpu1 until 2000; while cpu1's effective clock < 2000: park
 *   cpu1 (target, running at 1000): clock := 2000 (release); wake its waiters up to 2000
 * </pre>
 * {@link RunningTargetPassesTheCycle} moves a running target's clock (the order wait and the
 * spin-wait: the target's next interleaving point above its horizon wakes); {@link
 * TargetGoesIdle} makes the target idle with a timer event after the cycle (its effective clock
 * jumps to the event).
 */
public final class ClockWaitersStress {
    private ClockWaitersStress() { }

    static final long PARK_NANOS = TimeUnit.SECONDS.toNanos(10);
    static final long TARGET_START = 1000;
    static final long WAITER_CLOCK = 2000;
    static final long TARGET_EVENT = 5000;

    /** Two CPUs: cpu0 waits for cpu1, running at {@link #TARGET_START}. */
    public abstract static class TwoCpus {
        final ConcurrentClockWaiters waiters = new ConcurrentClockWaiters(2);
        final StandaloneRunState target = new StandaloneRunState(1);

        public TwoCpus() {
            target.setStateVolatile(ConcurrentRunState.RUNNING);
            target.setClockRelease(TARGET_START);
        }

        /** The waiter's side of {@code Cpu.parkOnClocksSlowPath}, with a long bound on each park. */
        void waitForTarget() {
            waiters.bindThreadVolatile(0, Thread.currentThread());
            while (target.effectiveClockAcquire() < WAITER_CLOCK) {
                waiters.registerVolatile(0, 1, WAITER_CLOCK);
                try {
                    if (target.effectiveClockAcquire() < WAITER_CLOCK) {
                        LockSupport.parkNanos(this, PARK_NANOS);
                    }
                } finally {
                    waiters.deregisterVolatile(0, 1);
                }
            }
        }
    }

    @JCStressTest(Mode.Termination)
    @Description("The waiter parks until the running target's clock reaches its cycle; the target moves its "
            + "clock there and passes a wake point.")
    @Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "The target's wake point unparked the waiter, or the "
            + "waiter saw the clock before it parked.")
    @Outcome(id = "STALE", expect = FORBIDDEN, desc = "The waiter slept through the target's wake point: a lost wake-up.")
    @Outcome(expect = FORBIDDEN, desc = "Anything else.")
    @State
    public static class RunningTargetPassesTheCycle extends TwoCpus {
        @Actor
        public void waiter() {
            waitForTarget();
        }

        @Signal
        public void target() {
            target.setClockRelease(WAITER_CLOCK);
            waiters.wakeReachedVolatile(1, WAITER_CLOCK);
        }
    }

    @JCStressTest(Mode.Termination)
    @Description("The waiter parks until the target's effective clock reaches its cycle; the target goes idle "
            + "with a timer event after the cycle (its effective clock jumps to the event) and wakes its waiters.")
    @Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "The idle target's wake point unparked the waiter, or "
            + "the waiter saw the target idle before it parked.")
    @Outcome(id = "STALE", expect = FORBIDDEN, desc = "The waiter slept through the target going idle: a lost wake-up.")
    @Outcome(expect = FORBIDDEN, desc = "Anything else.")
    @State
    public static class TargetGoesIdle extends TwoCpus {
        @Actor
        public void waiter() {
            waitForTarget();
        }

        @Signal
        public void target() {
            target.setIdleVolatile(TARGET_EVENT);
            waiters.wakeReachedVolatile(1, target.effectiveClockAcquire());
        }
    }
}
