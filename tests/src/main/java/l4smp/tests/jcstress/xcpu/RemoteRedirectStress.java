package l4smp.tests.jcstress.xcpu;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
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
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * X.2 propagation across processors: the receiver's CPU redirects the published wait of a
 * virtual sender V of another CPU (V waits in a closed receive from the propagator, OLD; it now
 * waits for the receiver, NEW), with the kernel's own steps on real host threads over
 * {@link HostXcpuMemory}: {@link XpSendHandshake#redirectWaitFor} as {@code XpIpc.redirectWait}
 * runs it, V's CPU's {@link XpSendHandshake#withdrawWaitFor} as {@code XpIpc.unpublishWait} runs it
 * when V stops waiting (its timeout, a cancel), and V's CPU's receive phase of a call at its
 * XP RETURN ({@code XpMailboxCheck.beginReceive} adopting the published word, then
 * {@code endReceive} publishing it) as those paths run the steps:
 *
 * <pre>
 *   receiver's CPU:  lock(V); CAS V.WAIT_FOR: OLD -> NEW; unlock(V)      the redirection
 *                    lock(V); w = V.WAIT_FOR; unlock(V)                  the receiver's reply (XP send)
 *   V's CPU:         V.WAIT_FOR = 0                                      V's timeout
 *              or:   lock(V); w = V.WAIT_FOR, adopted if the recorded redirection says OLD -> w;
 *                    V.WAIT_FOR = whom V waits for; unlock(V)            V's call's receive phase
 * </pre>
 * Properties: a V that stopped waiting never stays published as waiting for the receiver, and a
 * redirection never gets lost against V's own receive phase. Each has a planted variant (a load
 * and a store instead of the compare-and-set; no TCB lock) that reaches the forbidden outcome;
 * {@code RedirectNegativeControlTest} shows it over seeded schedules.
 */
public final class RemoteRedirectStress {
    private RemoteRedirectStress() { }

    static final long LOCK = 0x1000;
    static final long WAIT_FOR = 0x1004;
    /** The raw ids V waits for before and after the redirection (small values for readable outcomes). */
    static final int OLD = 7;
    static final int NEW = 9;
    static final int V_CPU = 2;

    /** V waiting for OLD on CPU 2, and the steps of both sides; {@code atomic}/{@code locking} false are the plants. */
    abstract static class Redirection {
        final HostXcpuMemory mem = new HostXcpuMemory(new PhysicalMemory(16 * 1024));
        final Tcb v = new Tcb(ThreadId.of(40, 1), "V", V_CPU, 100, false, () -> { });
        final boolean atomic;
        final boolean locking;

        Redirection(boolean atomic, boolean locking) {
            this.atomic = atomic;
            this.locking = locking;
            XpSendHandshake.publishWaitFor(mem, WAIT_FOR, OLD); // V waits in a closed receive
        }

        /** The redirection on the receiver's CPU: 1 when V's wait moved. */
        int redirect() {
            return XpSendHandshake.redirectWaitFor(mem, LOCK, WAIT_FOR, v, OLD, NEW, locking, atomic) ? 1 : 0;
        }

        /** The receiver's reply, after the transfer: its XP send reads V's wait under V's lock. */
        int replyReads() {
            if (!XpSendHandshake.lockOnCpu(mem, LOCK, locking, v, V_CPU)) {
                throw new IllegalStateException("V never moves in this test");
            }
            int w = XpSendHandshake.readWaitFor(mem, WAIT_FOR);
            XpSendHandshake.unlock(mem, LOCK, locking);
            return w;
        }

        /**
         * V's call's receive phase on its CPU: under the lock, adopt a recorded redirection of the
         * published wait (as Propagation.adoptRedirectedCall), then publish whom V waits for.
         */
        int receivePhase() {
            XpSendHandshake.lockForReceive(mem, LOCK, locking);
            int w = XpSendHandshake.readWaitFor(mem, WAIT_FOR);
            int from = w != OLD && v.redirectedAcquire() == XpSendHandshake.redirection(OLD, w) ? w : OLD;
            XpSendHandshake.publishWaitFor(mem, WAIT_FOR, from);
            XpSendHandshake.unlock(mem, LOCK, locking);
            return from;
        }
    }

    /** The redirection and the receiver's reply against V's timeout. */
    @JCStressTest
    @Outcome(id = "1, 9, 0", expect = ACCEPTABLE, desc = "redirected, the reply saw V wait for it, then V timed out")
    @Outcome(id = "1, 0, 0", expect = ACCEPTABLE, desc = "redirected, V timed out, the reply saw V not waiting")
    @Outcome(id = "0, 0, 0", expect = ACCEPTABLE, desc = "V timed out first: nothing redirected, the reply saw V not waiting")
    @Outcome(expect = FORBIDDEN, desc = "anything else: a V that stopped waiting still published as waiting, or a reply that saw a wait not redirected")
    @State
    public static class AgainstTheTimeout extends Redirection {
        public AgainstTheTimeout() {
            super(true, true);
        }

        @Actor
        public void receiverCpu(III_Result r) {
            r.r1 = redirect();
            r.r2 = replyReads();
        }

        @Actor
        public void virtualSenderCpu() {
            XpSendHandshake.withdrawWaitFor(mem, WAIT_FOR);
        }

        @Arbiter
        public void after(III_Result r) {
            r.r3 = mem.loadAcquire(WAIT_FOR);
        }
    }

    /** The planted variant: a load and a store instead of the compare-and-set (negative control). */
    @JCStressTest
    @Outcome(id = "1, 9, 0", expect = ACCEPTABLE, desc = "redirected, the reply saw V wait for it, then V timed out")
    @Outcome(id = "1, 0, 0", expect = ACCEPTABLE, desc = "redirected, V timed out, the reply saw V not waiting")
    @Outcome(id = "0, 0, 0", expect = ACCEPTABLE, desc = "V timed out first: nothing redirected, the reply saw V not waiting")
    @Outcome(id = "1, 9, 9", expect = ACCEPTABLE_INTERESTING,
            desc = "V's timeout came between the load and the store: V stopped waiting and stays published as waiting for the receiver")
    @Outcome(expect = FORBIDDEN, desc = "anything else")
    @State
    public static class NaiveWithoutTheCas extends Redirection {
        public NaiveWithoutTheCas() {
            super(false, true);
        }

        @Actor
        public void receiverCpu(III_Result r) {
            r.r1 = redirect();
            r.r2 = replyReads();
        }

        @Actor
        public void virtualSenderCpu() {
            XpSendHandshake.withdrawWaitFor(mem, WAIT_FOR);
        }

        @Arbiter
        public void after(III_Result r) {
            r.r3 = mem.loadAcquire(WAIT_FOR);
        }
    }

    /** The redirection against V's call's receive phase (V's XP RETURN, thesis 8.4.1). */
    @JCStressTest
    @Outcome(id = "1, 9", expect = ACCEPTABLE, desc = "the redirection came first or after V's publication: V waits for the receiver")
    @Outcome(expect = FORBIDDEN, desc = "anything else: the redirection was lost, V waits for the propagator")
    @State
    public static class AgainstTheCallsReceivePhase extends Redirection {
        public AgainstTheCallsReceivePhase() {
            super(true, true);
        }

        @Actor
        public void receiverCpu(II_Result r) {
            r.r1 = redirect();
        }

        @Actor
        public void virtualSenderCpu() {
            receivePhase();
        }

        @Arbiter
        public void after(II_Result r) {
            r.r2 = mem.loadAcquire(WAIT_FOR);
        }
    }

    /** The planted variant without V's TCB lock (negative control): the receive phase republishes OLD. */
    @JCStressTest
    @Outcome(id = "1, 9", expect = ACCEPTABLE, desc = "V waits for the receiver")
    @Outcome(id = "1, 7", expect = ACCEPTABLE_INTERESTING,
            desc = "the redirection came between V's read and its publication: lost, V waits for the propagator")
    @Outcome(expect = FORBIDDEN, desc = "anything else")
    @State
    public static class NaiveWithoutTheLock extends Redirection {
        public NaiveWithoutTheLock() {
            super(true, false);
        }

        @Actor
        public void receiverCpu(II_Result r) {
            r.r1 = redirect();
        }

        @Actor
        public void virtualSenderCpu() {
            receivePhase();
        }

        @Arbiter
        public void after(II_Result r) {
            r.r2 = mem.loadAcquire(WAIT_FOR);
        }
    }
}
