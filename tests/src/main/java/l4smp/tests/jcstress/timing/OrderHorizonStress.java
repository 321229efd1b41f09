package l4smp.tests.jcstress.timing;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import l4smp.emulator.cpu.ConcurrentRunState;
import l4smp.emulator.cpu.Dispatcher;
import l4smp.emulator.cpu.OrderHorizon;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJJ_Result;

/**
 * The order horizon ({@link OrderHorizon}): the lowest effective clock of the other CPUs that a
 * CPU last saw ({@link ConcurrentRunState#minEffectiveClockAcquire}, as
 * {@code Cpu.orderSlowPath} reads it), kept as a bound below which no other CPU can act later.
 * An idle CPU's effective clock drops when an interrupt is posted to it, to the interrupt's
 * arrival; the bound stays valid because the arrival lies the IPI latency above the sender's
 * clock, which every observer counted, and the sender lowers its own bound to the arrival.
 * <pre>
 *   cpu0 (sender, running at 1040): post an IPI to cpu1 (arrival 2070), lower its horizon to
 *                                   2070, raise cpu1's flag, compute on to 5000
 *   cpu1 (idle, no timer event)
 *   cpu2 (observer): horizon := min(effective clock of cpu0, of cpu1)   -- in CPU order
 * </pre>
 * The observer reads cpu0 before cpu1: if it sees cpu0 at 5000 it sees the raise before it
 * (release/acquire through cpu0's clock), so cpu1 counts with its arrival. An observer bound
 * above 2070 would let cpu2 interact past the time at which cpu1 takes the IPI. With the
 * target numbered below the sender one pass reads the target first and can miss both the
 * interrupt and the sender's clock at the post: {@link TargetReadFirst} drives the consistent
 * pass over all CPUs ({@link ConcurrentRunState#minEffectiveClockConsistentAcquire}, the slack
 * wait's, repeated when a CPU it read posted an interrupt while it ran; the order pass with its
 * cache is {@code OrderPassCacheStress}'s), and {@code OrderHorizonNegativeControlTest}
 * shows one pass in that order reaching the forbidden bound. Two actors (runs on a 2-core host).
 */
public final class OrderHorizonStress {
    private OrderHorizonStress() { }

    /** The sender's clock when its ICR write completes. */
    public static final long SENT_AT = 1040;
    /** Where the sender's clock gets to after the post, without an interleaving point. */
    static final long COMPUTED_ON = 5000;
    /** The observer's clock: the sender's bound before the post counted it. */
    static final long OBSERVER_CLOCK = 3000;

    @JCStressTest
    @Outcome(id = "1040, 2070, 2070", expect = ACCEPTABLE,
            desc = "the observer read the sender at its send time (cpu1 before or after the post)")
    @Outcome(id = "2070, 2070, 2070", expect = ACCEPTABLE,
            desc = "the observer read the sender computed on, and cpu1 with the IPI pending: the arrival")
    @Outcome(id = "5000, 2070, 2070", expect = FORBIDDEN,
            desc = "the observer's bound above the arrival: it could act after the time at which cpu1 takes the IPI")
    @Outcome(expect = FORBIDDEN, desc = "anything else (the sender's bound not lowered to the arrival, or cpu1 not bounded by it)")
    @State
    public static class PostedInterruptBelowEveryBound extends ThreeCpus {
        public PostedInterruptBelowEveryBound() {
            super(0, 1);
        }

        @Actor
        public void sender() {
            send();
        }

        @Actor
        public void observer(JJJ_Result r) {
            r.r1 = observe(ConcurrentRunState.minEffectiveClockAcquire(cpus, observer));
        }

        @Arbiter
        public void arbiter(JJJ_Result r) {
            r.r2 = senderHorizon.bound();
            r.r3 = target.effectiveClockAcquire();
        }
    }

    @JCStressTest
    @Outcome(id = "1040, 2070, 2070", expect = ACCEPTABLE,
            desc = "the observer read the sender at its send time (cpu0 before or after the post)")
    @Outcome(id = "2070, 2070, 2070", expect = ACCEPTABLE,
            desc = "the observer saw cpu0 with the IPI pending (a pass the post straddled was read again)")
    @Outcome(id = "5000, 2070, 2070", expect = FORBIDDEN,
            desc = "the observer's bound above the arrival: a pass read cpu0 before the post and the sender after it")
    @Outcome(expect = FORBIDDEN, desc = "anything else (the sender's bound not lowered to the arrival, or cpu0 not bounded by it)")
    @State
    public static class TargetReadFirst extends ThreeCpus {
        public TargetReadFirst() {
            super(1, 0);
        }

        @Actor
        public void sender() {
            send();
        }

        @Actor
        public void observer(JJJ_Result r) {
            r.r1 = observe(ConcurrentRunState.minEffectiveClockConsistentAcquire(cpus, observer));
        }

        @Arbiter
        public void arbiter(JJJ_Result r) {
            r.r2 = senderHorizon.bound();
            r.r3 = target.effectiveClockAcquire();
        }
    }

    /**
     * The three CPUs of both tests, the sender and the target numbered as each test says, the
     * observer CPU 2, set up by {@link #prepare}; the sender counts its post in its own run
     * state (only the consistent pass reads the counts).
     */
    public abstract static class ThreeCpus {
        final StandaloneRunState sender;
        final StandaloneRunState target;
        final StandaloneRunState observer = new StandaloneRunState(2);
        final ConcurrentRunState[] cpus;
        final OrderHorizon senderHorizon = new OrderHorizon();
        final OrderHorizon observerHorizon = new OrderHorizon();

        ThreeCpus(int senderCpu, int targetCpu) {
            sender = new StandaloneRunState(senderCpu);
            target = new StandaloneRunState(targetCpu);
            cpus = new ConcurrentRunState[3];
            cpus[senderCpu] = sender;
            cpus[targetCpu] = target;
            cpus[2] = observer;
            prepare(target, sender, observer, cpus, senderHorizon);
        }

        void send() {
            postAndComputeOn(target, sender, senderHorizon);
        }

        /** The observer keeps the minimum it read; returns its bound. */
        long observe(long min) {
            observerHorizon.observed(min);
            return observerHorizon.bound();
        }
    }

    /** The start of both tests: the sender at its send time, the target idle without a bound, the observer at 3000. */
    public static void prepare(StandaloneRunState target, StandaloneRunState sender, StandaloneRunState observer,
                               ConcurrentRunState[] cpus, OrderHorizon senderHorizon) {
        sender.setClockRelease(SENT_AT);
        target.setIdleVolatile(Dispatcher.NO_EVENT);
        observer.setClockRelease(OBSERVER_CLOCK);
        senderHorizon.observed(ConcurrentRunState.minEffectiveClockAcquire(cpus, sender));
    }

    /**
     * The sender of both tests, in {@code Cpu.deliver}'s order: post, lower the own
     * horizon to the arrival, raise the target's flag, count the post, compute on (a release
     * store of its clock, after the count).
     */
    public static void postAndComputeOn(StandaloneRunState target, StandaloneRunState sender,
                                        OrderHorizon senderHorizon) {
        var slot = target.apic.tryClaimSlot();
        target.apic.post(slot, 0x40, sender.index, SENT_AT);
        senderHorizon.lowerTo(slot.arrivalTime());
        target.line.raise();
        sender.countPostRelease();
        sender.setClockRelease(COMPUTED_ON);
    }
}
