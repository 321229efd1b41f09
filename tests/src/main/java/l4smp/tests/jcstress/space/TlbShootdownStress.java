package l4smp.tests.jcstress.space;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import l4smp.kernel.space.MappingDatabase;
import l4smp.kernel.space.TlbShootdown;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * TLB shootdown (thesis 3.1.1, 9.3) alone, on real host threads, with a fake two-CPU machine:
 * CPU 0 clears a PTE and shoots the page down; CPU 1 reads the page through its TLB (a cached
 * translation) or a walk of the PTE, taking shootdown requests at every access (its "interrupt
 * check"). Once CPU 1 has seen that the unmap returned, no access may succeed: neither through
 * the TLB entry (the shootdown dropped it before acknowledging) nor through the walk.
 */
public final class TlbShootdownStress {
    private TlbShootdownStress() { }

    static final int SPACE = 1;
    static final int VA = 0x0040_0000;

    /** The fake machine and the two CPUs' programs. */
    abstract static class Rig implements TlbShootdown.Cpus {
        volatile int pte = 1;
        volatile boolean unmapReturned;
        /** CPU 1's TLB entry for (SPACE, VA); owned by CPU 1's thread. */
        boolean cpu1Cached = true;
        final TlbShootdown shootdown = new TlbShootdown(2, 0b11, this);

        @Override
        public int currentSpaceVolatile(int cpu) {
            return SPACE;
        }

        @Override
        public int commSpaceVolatile(int cpu) {
            return -1;
        }

        @Override
        public int invalidate(int cpu, int space, int va) {
            if (cpu == 1 && space == SPACE && va == VA && cpu1Cached) {
                cpu1Cached = false;
                return 1;
            }
            return 0;
        }

        @Override
        public int flushAll(int cpu) {
            return invalidate(cpu, SPACE, VA);
        }

        @Override
        public void sendIpi(int from, long mask) {
            // Delivered by polling: CPU 1 services its requests at every access.
        }

        void unmap(TlbShootdown.Policy policy) {
            pte = 0;
            shootdown.add(0, SPACE, VA);
            shootdown.complete(0, policy, MappingDatabase.SPIN);
            unmapReturned = true;
        }

        /** CPU 1: reads until it has seen the unmap return; r1 = stale reads, r2 = whether its entry was flushed. */
        void read(II_Result r) {
            int stale = 0;
            while (true) {
                shootdown.service(1);
                boolean after = unmapReturned;
                boolean translated = cpu1Cached || pte != 0;
                if (after && translated) {
                    stale++;
                }
                if (after) {
                    break;
                }
                Thread.onSpinWait();
            }
            r.r1 = stale;
            r.r2 = cpu1Cached ? 0 : 1;
        }
    }

    /** Shootdown to every other CPU (implementation decision 5). */
    @JCStressTest
    @Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "no stale read; CPU 1's entry was shot down")
    @Outcome(expect = FORBIDDEN, desc = "a read through a stale translation after unmap returned")
    @State
    public static class NoStaleReadAll extends Rig {
        @Actor
        public void cpu0() {
            unmap(TlbShootdown.Policy.ALL);
        }

        @Actor
        public void cpu1(II_Result r) {
            read(r);
        }
    }

    /** Shootdown only to CPUs whose current space is the page's (9.3 option 1): CPU 1 is one. */
    @JCStressTest
    @Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "no stale read; CPU 1's entry was shot down")
    @Outcome(expect = FORBIDDEN, desc = "a read through a stale translation after unmap returned")
    @State
    public static class NoStaleReadCurrentSpace extends Rig {
        @Actor
        public void cpu0() {
            unmap(TlbShootdown.Policy.CURRENT_SPACE);
        }

        @Actor
        public void cpu1(II_Result r) {
            read(r);
        }
    }
}
