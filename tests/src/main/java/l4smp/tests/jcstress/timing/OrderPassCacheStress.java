package l4smp.tests.jcstress.timing;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import l4smp.emulator.cpu.ConcurrentRunState;
import l4smp.emulator.cpu.Dispatcher;
import l4smp.emulator.cpu.OrderHorizon;
import l4smp.emulator.cpu.OrderPassCache;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.JJJ_Result;

/**
 * The cached order pass ({@link ConcurrentRunState#minOrderBoundCachedAcquire}, as
 * {@code Cpu.orderSlowPath} runs it): the observer reads again only the CPUs it last saw below
 * the cycle it waits for and keeps its entry of the others. An idle CPU's entry stops being a
 * bound when another CPU posts an interrupt to it; the pass learns of the post from the
 * sender's own post count, read after the sender's clock.
 * <pre>
 *   cpu0 (observer, at 3000): an earlier pass read cpu1 at 1040 and cpu2 idle without a bound;
 *                             now a pass for cycle 3000 (cpu1 is below it, cpu2's entry is not)
 *   cpu1 (sender, running at 1040): post an IPI to cpu2 (arrival 2070), lower its horizon to
 *                                   2070, raise cpu2's flag, count the post, compute on to 5000
 *   cpu2 (idle, no timer event)
 * </pre>
 * The pass reads cpu1 again. If it sees cpu1 at 5000 it sees the count moved (the count is
 * stored before the clock), drops its idle entry of cpu2 and reads cpu2 again after the count,
 * so it sees the raised line: the bound is the arrival. A bound of 5000 -- the stale entry of
 * cpu2 trusted across the post -- would let cpu0 interact past the time at which cpu2 takes the
 * IPI. {@code OrderPassNegativeControlTest} shows a pass that trusts the entry across the post
 * reaching that outcome, graded by this test's annotations. Two actors (runs on a 2-core host).
 */
public final class OrderPassCacheStress {
    private OrderPassCacheStress() { }

    /** The cycle the observer's pass waits for (its clock). */
    public static final long CYCLE = 3000;

    @JCStressTest
    @Outcome(id = "1040, 2070, 2070", expect = ACCEPTABLE,
            desc = "the pass read the sender at its send time (before or after the post)")
    @Outcome(id = "2070, 2070, 2070", expect = ACCEPTABLE,
            desc = "the pass read the sender computed on, saw its count move and read the target again: the arrival")
    @Outcome(id = "5000, 2070, 2070", expect = FORBIDDEN,
            desc = "the pass trusted its entry of the idle target across the post: a bound above the arrival")
    @Outcome(expect = FORBIDDEN, desc = "anything else (the sender's bound not lowered to the arrival, or the target not bounded by it)")
    @State
    public static class StaleIdleEntryAcrossPost extends Cpus {
        public StaleIdleEntryAcrossPost() {
            super(new int[] {1, 2});
        }

        @Actor
        public void sender() {
            send();
        }

        @Actor
        public void observer(JJJ_Result r) {
            r.r1 = observe();
        }

        @Arbiter
        public void arbiter(JJJ_Result r) {
            finalState(r);
        }
    }

    @JCStressTest
    @Outcome(id = "1040, 2070, 2070", expect = ACCEPTABLE,
            desc = "the pass read the sender at its send time (the target before or after the post)")
    @Outcome(id = "2070, 2070, 2070", expect = ACCEPTABLE,
            desc = "the pass saw the target with the IPI pending (read after the post, or again after the count moved)")
    @Outcome(id = "5000, 2070, 2070", expect = FORBIDDEN,
            desc = "one pass read the target before the post and the sender after it, and kept the bound")
    @Outcome(expect = FORBIDDEN, desc = "anything else (the sender's bound not lowered to the arrival, or the target not bounded by it)")
    @State
    public static class FirstPassTargetReadFirst extends Cpus {
        public FirstPassTargetReadFirst() {
            super(new int[] {2, 1});
        }

        @Actor
        public void sender() {
            send();
        }

        @Actor
        public void observer(JJJ_Result r) {
            r.r1 = observe();
        }

        @Arbiter
        public void arbiter(JJJ_Result r) {
            finalState(r);
        }
    }

    /**
     * The observer CPU 0 with its order-pass cache, the sender and the idle target numbered as
     * {@code senderAndTarget} says, set up by {@link #prepare}; with the sender numbered first
     * the cache holds the entries of an earlier pass, otherwise it is empty (the pass reads
     * every CPU, the target first).
     */
    public abstract static class Cpus {
        public final StandaloneRunState observer = new StandaloneRunState(0);
        public final StandaloneRunState sender;
        public final StandaloneRunState target;
        public final ConcurrentRunState[] cpus = new ConcurrentRunState[3];
        public final OrderPassCache cache = new OrderPassCache(3);
        public final OrderHorizon senderHorizon = new OrderHorizon();

        protected Cpus(int[] senderAndTarget) {
            sender = new StandaloneRunState(senderAndTarget[0]);
            target = new StandaloneRunState(senderAndTarget[1]);
            cpus[0] = observer;
            cpus[sender.index] = sender;
            cpus[target.index] = target;
            prepare(observer, sender, target, cpus, cache, senderHorizon);
        }

        /** The sender's steps, in {@code Cpu.deliver}'s order. */
        public void send() {
            OrderHorizonStress.postAndComputeOn(target, sender, senderHorizon);
        }

        /** The observer's pass for {@link #CYCLE}, with its cache. */
        public long observe() {
            return ConcurrentRunState.minOrderBoundCachedAcquire(cpus, observer, cache, CYCLE);
        }

        /** The final state: the sender's horizon (r2) and the target's effective clock (r3). */
        public void finalState(JJJ_Result r) {
            r.r2 = senderHorizon.bound();
            r.r3 = target.effectiveClockAcquire();
        }
    }

    /**
     * The start of both tests (observer CPU 0): the sender at its send time, the target idle without a bound,
     * the observer at {@link #CYCLE}; with the sender numbered before the target, the observer's
     * cache filled by a pass that read both (the sender at 1040, the target without a bound).
     */
    public static void prepare(StandaloneRunState observer, StandaloneRunState sender, StandaloneRunState target,
                               ConcurrentRunState[] cpus, OrderPassCache cache, OrderHorizon senderHorizon) {
        sender.setClockRelease(OrderHorizonStress.SENT_AT);
        target.setIdleVolatile(Dispatcher.NO_EVENT);
        observer.setClockRelease(CYCLE);
        senderHorizon.observed(ConcurrentRunState.minEffectiveClockAcquire(cpus, sender));
        if (sender.index < target.index) {
            ConcurrentRunState.minOrderBoundCachedAcquire(cpus, observer, cache, Long.MAX_VALUE);
        }
    }
}
