package l4smp.tests.jcstress.cache;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import l4smp.emulator.cache.ConcurrentAttributionRegistry;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * The publication of {@link ConcurrentAttributionRegistry}: a registration in address order
 * writes the spare slot of the shared range arrays (or doubles them) and publishes a snapshot
 * with the new count by a release store; a lock-free lookup reads the snapshot with an acquire
 * load. A reader that sees a range must see every range registered before it, whole.
 *
 * <p>Results: the tag id found at the second range, then at the first (0: untagged, not yet
 * seen; 1: tag "a"; 2: tag "b"; anything else is a torn entry).
 */
public final class AttributionRegistryStress {
    private AttributionRegistryStress() { }

    static final long A = 0x1000;
    static final long B = 0x2000;

    /** (a) Two appends into the spare slots of the same arrays. */
    @JCStressTest
    @Outcome(id = "0, 0", expect = ACCEPTABLE, desc = "looked before both registrations")
    @Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "saw the first range, not yet the second")
    @Outcome(id = "2, 1", expect = ACCEPTABLE, desc = "saw both ranges")
    @Outcome(id = "2, 0", expect = FORBIDDEN, desc = "saw the second range without the first, registered before it")
    @Outcome(expect = FORBIDDEN, desc = "a torn or misplaced entry")
    @State
    public static class AppendsArePublishedInOrder {
        final ConcurrentAttributionRegistry reg = new ConcurrentAttributionRegistry();

        public AppendsArePublishedInOrder() {
            reg.tagId("a");
            reg.tagId("b");
        }

        @Actor
        public void registrar() {
            reg.register(A, 64, "a");
            reg.register(B, 64, "b");
        }

        @Actor
        public void reader(II_Result r) {
            r.r1 = reg.tagOfAcquire(B + 63);
            r.r2 = reg.tagOfAcquire(A);
        }
    }

    /**
     * (b) The append that doubles the arrays (the 17th range: the initial capacity is 16): the
     * reader sees the new range only in the copied arrays, with every earlier one.
     */
    @JCStressTest
    @Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "looked before the growth: the old arrays, the first range")
    @Outcome(id = "2, 1", expect = ACCEPTABLE, desc = "looked after the growth: the copied arrays, both ranges")
    @Outcome(id = "2, 0", expect = FORBIDDEN, desc = "the copied arrays lost the first range")
    @Outcome(expect = FORBIDDEN, desc = "a torn or misplaced entry")
    @State
    public static class GrowthKeepsEveryRange {
        final ConcurrentAttributionRegistry reg = new ConcurrentAttributionRegistry();

        public GrowthKeepsEveryRange() {
            reg.tagId("a");
            reg.tagId("b");
            reg.register(A, 64, "a");
            for (int i = 1; i < 16; i++) {
                reg.register(A + 64L * i, 64, "a");
            }
        }

        @Actor
        public void registrar() {
            reg.register(B, 64, "b");
        }

        @Actor
        public void reader(II_Result r) {
            r.r1 = reg.tagOfAcquire(B);
            r.r2 = reg.tagOfAcquire(A);
        }
    }
}
