package l4smp.tests.jcstress.xcpu;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import l4smp.emulator.cache.ConcurrentAttributionRegistry;
import l4smp.emulator.cache.KernelRegion;
import l4smp.emulator.memory.PhysicalMemory;
import l4smp.kernel.xcpu.FlagLine;
import l4smp.kernel.xcpu.HostXcpuMemory;
import l4smp.kernel.xcpu.XcpuFabric;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * The idle-time ordering of thesis 8.3.4 on the kernel's own {@link XcpuFabric} and
 * {@link FlagLine} code over {@link HostXcpuMemory}: a CPU about to idle publishes "idle" as its
 * next mailbox check (a release store, {@code XcpuFabric.setNextCheckRelease}, as
 * {@code XpMailboxCheck.publishNextCheck}), then (after a full fence, as
 * {@code XpMailboxCheck.checkAtExit}) checks its flags ({@code DispatchPath.doWorkLocal}); a
 * sender sets its request flag (a locked or) and then reads the CPU's next check, deciding on an
 * IPI when it reads "idle" ({@code XpIpc.trigger}):
 * <pre>
 *   cpu:    nextCheck = IDLE; fence; r2 = check_n_ack   -- sleeps if r2 == 0
 *   sender: set flag; r1 = (nextCheck == IDLE)           -- IPI if r1
 * </pre>
 * (0, 0) is the lost wake-up: the CPU sleeps with a request pending and no IPI comes. It is a
 * Dekker pair (store, then load of the other's word on both sides), so both the interleaving
 * and a store-load reordering could produce it; the fence after the release store, the locked
 * flag store and the sender's volatile load forbid it (the store is not volatile itself: the
 * fence is the StoreLoad barrier). Two actors (runs on a 2-core host). The planted variant (check
 * first, publish after) is shown to lose the wake-up by {@code NegativeControlTest}.
 * {@link PublishClockThenExit} is the same pair at a kernel exit, after the in-kernel publish of
 * the clock (without its fence it shows the forbidden outcome in jcstress's quick mode).
 */
public final class IdleCheckStress {
    private IdleCheckStress() { }

    static final int BIT = 5;
    /** The clock CPU 1 published when it entered the kernel: it checks at its exit. */
    static final long IN_KERNEL = 1_000;

    /** Both tests' state: the fabric of two CPUs over host memory, CPU 1 in the kernel. */
    public abstract static class CpuInTheKernel {
        final PhysicalMemory pm = new PhysicalMemory(256 * 1024);
        final XcpuFabric fabric = new XcpuFabric(2, new KernelRegion(new ConcurrentAttributionRegistry(), 0, 256 * 1024, 32));
        final HostXcpuMemory mem = new HostXcpuMemory(pm);
        final long line = fabric.flagLine(1);

        {
            fabric.setNextCheckRelease(1, IN_KERNEL);
        }
    }

    @JCStressTest
    @Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "the CPU published idle first and missed the flag: the sender sends the IPI")
    @Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "the flag came first: the CPU's check found it, no IPI needed")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "both: the check found the flag and an IPI comes too (a spurious wake-up, harmless)")
    @Outcome(id = "0, 0", expect = FORBIDDEN, desc = "lost wake-up: the CPU sleeps with the request pending and no IPI")
    @Outcome(expect = FORBIDDEN, desc = "anything else")
    @State
    public static class PublishIdleThenCheck extends CpuInTheKernel {

        @Actor
        public void sender(II_Result r) {
            FlagLine.set(mem, line, BIT);
            r.r1 = fabric.nextCheckVolatile(1) == XcpuFabric.IDLE ? 1 : 0;
        }

        @Actor
        public void idlingCpu(II_Result r) {
            fabric.setNextCheckRelease(1, XcpuFabric.IDLE);
            java.lang.invoke.VarHandle.fullFence(); // partner: the sender's locked flag store
            r.r2 = FlagLine.checkAndAck(mem, line, bit -> { });
        }
    }

    /**
     * The kernel exit's publishes (DispatchPath.exitTo after KernelCpu.doWork): in the kernel the
     * CPU has published its clock ("I check at my next exit", no fence after it); at the exit it
     * publishes the next event far ahead, then, after a full fence, checks its flags, and runs
     * its guest until that event if it found none. A sender that sets its flag and then reads
     * the clock publish saves its IPI (the CPU checks soon); the exit's fenced check must then
     * see the flag. (0, 0) is the lost request: the sender read the stale clock publish, the CPU
     * missed the flag and runs on to its far event. Both publishes are release stores: the
     * fence before the check is the StoreLoad barrier of the second.
     */
    @JCStressTest
    @Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "the sender read the exit's publish (far ahead) and sends the IPI; the check missed the flag")
    @Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "the sender read the in-kernel clock publish and saved its IPI; the exit's check found the flag")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "both: the check found the flag and an IPI comes too (harmless)")
    @Outcome(id = "0, 0", expect = FORBIDDEN, desc = "lost request: the sender saved its IPI on the stale clock publish and the exit's check missed the flag")
    @Outcome(expect = FORBIDDEN, desc = "anything else")
    @State
    public static class PublishClockThenExit extends CpuInTheKernel {
        static final long FAR_AHEAD = 1_000_000_000L;

        @Actor
        public void sender(II_Result r) {
            FlagLine.set(mem, line, BIT);
            r.r1 = fabric.nextCheckVolatile(1) == FAR_AHEAD ? 1 : 0;
        }

        @Actor
        public void exitingCpu(II_Result r) {
            fabric.setNextCheckRelease(1, IN_KERNEL + 10); // KernelCpu.doWork: the clock, no fence after it
            fabric.setNextCheckRelease(1, FAR_AHEAD); // DispatchPath.exitTo: the next event
            java.lang.invoke.VarHandle.fullFence(); // partner: the sender's locked flag store
            r.r2 = FlagLine.checkAndAck(mem, line, bit -> { });
        }
    }
}
