package l4smp.tests.jcstress.xcpu;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import l4smp.emulator.memory.PhysicalMemory;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.xcpu.HostXcpuMemory;
import l4smp.kernel.xcpu.XpSendHandshake;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * The redirection of a waiting thread's published receive specifier (X.2 propagation: a virtual
 * sender waiting for the propagator now waits for the receiver), run with the kernel's own steps
 * on real host threads over {@link HostXcpuMemory}: the owner CPU of the waiting thread V runs
 * {@link XpSendHandshake#republishWaitFor} (as {@code XpIpc.republishWait} does), a sender of
 * another CPU runs its handshake's read of V's WAIT_FOR under V's TCB lock (as {@code XpSendPath}
 * does):
 *
 * <pre>
 *   V's CPU:  lock(V); V.WAIT_FOR = receiver; unlock(V)
 *   sender:   lock(V); w = V.WAIT_FOR; unlock(V)
 * </pre>
 * The sender sees V waiting for the old or for the new partner, never a V that does not wait;
 * afterwards V waits for the new partner and its lock is free.
 */
public final class RedirectedWaitStress {
    private RedirectedWaitStress() { }

    static final long LOCK = 0x1000;
    static final long WAIT_FOR = 0x1004;
    /** The raw ids V waits for before and after the redirection (small values for readable outcomes). */
    static final int OLD = 7;
    static final int NEW = 9;

    /** A redirection and a remote sender's read of V's WAIT_FOR at once. */
    @JCStressTest
    @Outcome(id = "7, 9, 0", expect = ACCEPTABLE, desc = "the sender read the wait before the redirection")
    @Outcome(id = "9, 9, 0", expect = ACCEPTABLE, desc = "the sender read the redirected wait")
    @Outcome(expect = FORBIDDEN, desc = "anything else: V seemed not to wait, or the redirection was lost, or a lock stayed held")
    @State
    public static class RedirectAgainstRemoteRead {
        final HostXcpuMemory mem = new HostXcpuMemory(new PhysicalMemory(16 * 1024));
        /** V's TCB (its CPU word: the sender re-reads it under the lock). */
        final Tcb v = new Tcb(ThreadId.of(40, 1), "V", 0, 100, false, () -> { });

        public RedirectAgainstRemoteRead() {
            XpSendHandshake.publishWaitFor(mem, WAIT_FOR, OLD); // V waits in a closed receive
        }

        @Actor
        public void ownerCpu() {
            XpSendHandshake.republishWaitFor(mem, LOCK, WAIT_FOR, NEW, true);
        }

        @Actor
        public void sender(III_Result r) {
            if (!XpSendHandshake.lockOnCpu(mem, LOCK, true, v, 0)) {
                throw new IllegalStateException("V never moves in this test");
            }
            r.r1 = XpSendHandshake.readWaitFor(mem, WAIT_FOR);
            XpSendHandshake.unlock(mem, LOCK, true);
        }

        @Arbiter
        public void after(III_Result r) {
            r.r2 = mem.loadAcquire(WAIT_FOR);
            r.r3 = mem.loadAcquire(LOCK);
        }
    }
}
