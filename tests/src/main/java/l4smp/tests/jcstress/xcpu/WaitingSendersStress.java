package l4smp.tests.jcstress.xcpu;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.lang.invoke.VarHandle;

import l4smp.emulator.cache.ConcurrentAttributionRegistry;
import l4smp.emulator.cache.KernelRegion;
import l4smp.emulator.memory.PhysicalMemory;
import l4smp.kernel.xcpu.HostXcpuMemory;
import l4smp.kernel.xcpu.XcpuFabric;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * "Waiting senders" of {@link XcpuFabric} on the kernel's own fabric words over
 * {@link HostXcpuMemory}: sender A of CPU 0 found no mailbox to CPU 1 and files itself among the
 * senders that wait for an ordinary one unless its receiver R waits for exactly it; R (CPU 1)
 * begins a closed receive from A. As XpMailboxWait.waitForMailbox / park and
 * XpMailboxCheck.endReceive do:
 * <pre>
 *   CPU 0: waiting-senders word |= bit 1; fence; r1 = (R's WAIT_FOR == A)   -- A served by the reply mailbox if r1
 *   CPU 1: R's WAIT_FOR = A; fence; r2 = waiting-senders bit 1 set          -- asks CPU 0 to recheck if r2
 * </pre>
 * (0, 0) is the deadlock: A waits for an ordinary mailbox, which pollers in R's send queue may
 * hold for ever, and nobody tells CPU 0 that R now waits for A. A Dekker pair: the volatile
 * words and the fences forbid it. r3: the recheck request CPU 0 finds (bit 1), when r2.
 */
public final class WaitingSendersStress {
    private WaitingSendersStress() { }

    static final long WAIT_FOR = 0x1000;
    static final int A = 0x4001;

    @JCStressTest
    @Outcome(id = "1, 0, 0", expect = ACCEPTABLE, desc = "R waited first: A sees it and takes the reply mailbox's FIFO")
    @Outcome(id = "0, 1, 2", expect = ACCEPTABLE, desc = "A filed first: R sees it and asks CPU 0 to look again")
    @Outcome(id = "1, 1, 2", expect = ACCEPTABLE, desc = "both saw each other: a recheck that finds A already served (harmless)")
    @Outcome(id = "0, 0, 0", expect = FORBIDDEN, desc = "neither saw the other: A waits for ever among the ordinary senders")
    @Outcome(expect = FORBIDDEN, desc = "anything else")
    @State
    public static class FileThenReadAgainstWaitThenRead {
        final PhysicalMemory pm = new PhysicalMemory(256 * 1024);
        final XcpuFabric fabric = new XcpuFabric(2, new KernelRegion(new ConcurrentAttributionRegistry(), 0x10000, 192 * 1024, 32));
        final HostXcpuMemory mem = new HostXcpuMemory(pm);

        @Actor
        public void sendersCpu(III_Result r) {
            fabric.setSendersWaitVolatile(0, 1L << 1);
            VarHandle.fullFence(); // partner: the receiver's fence below
            r.r1 = mem.loadAcquire(WAIT_FOR) == A ? 1 : 0;
        }

        @Actor
        public void receiversCpu(III_Result r) {
            mem.storeRelease(WAIT_FOR, A);
            VarHandle.fullFence(); // partner: the sender's fence above
            if (fabric.sendersWaitVolatile(0, 1)) {
                r.r2 = 1;
                fabric.requestRecheckVolatile(0, 1);
            }
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r3 = (int) fabric.takeRecheckVolatile(0);
        }
    }
}
