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
 * A cross-processor long IPC's copy racing an unmap of the sender's page (thesis 8.4.2, 8.8.2,
 * 9.3 option 1), on real host threads with a fake two-CPU machine: CPU 1 (the receiver's, where
 * the proxy copies) runs the receiver's space and reaches the sender's page through its comm
 * window: it publishes the window's space (volatile, {@code SpaceIpc.copy} via
 * {@code Spaces.setComm}), then translates each line through its TLB or a walk of the PTE
 * (caching it), and reads; a walk that finds no PTE is a fault, after which the copy stops and
 * is redone on the sender's CPU (8.4.2). At the end of the string it clears the window and its
 * TLB entries, and takes its interrupts (shootdown requests). CPU 0 (the sender's pager) clears
 * the PTE and shoots the page down, choosing targets by current space or comm window
 * ({@link TlbShootdown.Policy#CURRENT_SPACE}: CPU 1's current space is not the sender's, only
 * its window is) or all ({@link TlbShootdown.Policy#ALL}).
 *
 * <p>The copy either reads the old frame (the unmap had not returned: it waits for CPU 1's
 * acknowledgement, which comes after the string) or faults and is redone; it never reads through
 * a translation after the unmap returned. r1: 1 = the whole string from the old frame, 2 =
 * faulted (redo); r2: reads through a stale translation after the unmap returned.
 */
public final class XpFaultRedoStress {
    private XpFaultRedoStress() { }

    static final int SENDER_SPACE = 1;
    static final int RECEIVER_SPACE = 2;
    static final int VA = 0x0100_0000;
    static final int LINES = 4;

    /** The fake machine and the two CPUs' programs. */
    abstract static class Rig implements TlbShootdown.Cpus {
        volatile int pte = 1;
        volatile boolean unmapReturned;
        /** CPU 1's comm window space (-1: none), published before its walks. */
        volatile int commSpace = -1;
        /** CPU 1's TLB entry for the window's alias of (SENDER_SPACE, VA); CPU 1's thread only. */
        boolean cpu1Cached;
        final TlbShootdown shootdown = new TlbShootdown(2, 0b11, this);

        @Override
        public int currentSpaceVolatile(int cpu) {
            return cpu == 1 ? RECEIVER_SPACE : SENDER_SPACE;
        }

        @Override
        public int commSpaceVolatile(int cpu) {
            return cpu == 1 ? commSpace : -1;
        }

        @Override
        public int invalidate(int cpu, int space, int va) {
            // Spaces.invalidateLocal: the window's alias of a page of the window's space.
            if (cpu == 1 && space == SENDER_SPACE && va == VA && cpu1Cached) {
                cpu1Cached = false;
                return 1;
            }
            return 0;
        }

        @Override
        public int flushAll(int cpu) {
            return invalidate(cpu, SENDER_SPACE, VA);
        }

        @Override
        public void sendIpi(int from, long mask) {
            // Delivered by polling: CPU 1 takes its interrupts after the string.
        }

        void unmap(TlbShootdown.Policy policy) {
            pte = 0;
            shootdown.add(0, SENDER_SPACE, VA);
            shootdown.complete(0, policy, MappingDatabase.SPIN);
            unmapReturned = true;
        }

        /** CPU 1: one string through the comm window, then its interrupts until the unmap returned. */
        void copy(II_Result r) {
            commSpace = SENDER_SPACE; // Spaces.setComm: published before the first walk
            int stale = 0;
            int outcome = 1;
            for (int line = 0; line < LINES; line++) {
                boolean after = unmapReturned;
                if (!cpu1Cached) {
                    if (pte == 0) {
                        outcome = 2; // a fault in the sender's space: redone on the sender's CPU
                        break;
                    }
                    cpu1Cached = true;
                }
                if (after) {
                    stale++;
                }
            }
            commSpace = -1; // the window unmapped and its TLB entries dropped (8.8.2)
            cpu1Cached = false;
            while (!unmapReturned) {
                shootdown.service(1);
                Thread.onSpinWait();
            }
            r.r1 = outcome;
            r.r2 = stale;
        }
    }

    /** Targets by current space or comm window (9.3 option 1): only the window names the space. */
    @JCStressTest
    @Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "the copy read the old frame before the unmap returned")
    @Outcome(id = "2, 0", expect = ACCEPTABLE, desc = "the copy faulted on the cleared PTE: redone on the sender's CPU")
    @Outcome(expect = FORBIDDEN, desc = "a read through a stale translation after the unmap returned")
    @State
    public static class CommWindowCurrentSpace extends Rig {
        @Actor
        public void pager() {
            unmap(TlbShootdown.Policy.CURRENT_SPACE);
        }

        @Actor
        public void receiverCpu(II_Result r) {
            copy(r);
        }
    }

    /** Shootdown to every other CPU (implementation decision 5). */
    @JCStressTest
    @Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "the copy read the old frame before the unmap returned")
    @Outcome(id = "2, 0", expect = ACCEPTABLE, desc = "the copy faulted on the cleared PTE: redone on the sender's CPU")
    @Outcome(expect = FORBIDDEN, desc = "a read through a stale translation after the unmap returned")
    @State
    public static class CommWindowAll extends Rig {
        @Actor
        public void pager() {
            unmap(TlbShootdown.Policy.ALL);
        }

        @Actor
        public void receiverCpu(II_Result r) {
            copy(r);
        }
    }
}
