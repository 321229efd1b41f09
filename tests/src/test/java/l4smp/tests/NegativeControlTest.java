package l4smp.tests;

import l4smp.emulator.cache.ConcurrentAttributionRegistry;
import l4smp.emulator.cache.KernelRegion;
import l4smp.emulator.memory.PhysicalMemory;
import l4smp.kernel.xcpu.FlagLine;
import l4smp.kernel.xcpu.HostXcpuMemory;
import l4smp.kernel.xcpu.SpinLock;
import l4smp.kernel.xcpu.XcpuFabric;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The negative controls can fail: each protocol's planted variant shows its forbidden outcome
 * under some seeded interleaving, and the real protocol never does, over the same schedules
 * ({@link SteppedSchedule}: the kernel's own {@link SpinLock}, {@link FlagLine} and
 * {@link XcpuFabric} code, every memory operation one step). The jcstress tests of the same
 * protocols run them on real threads and weak hardware ordering; these show that the outcome the
 * jcstress controls call "interesting" is reachable, and that the real protocol forbids it.
 */
class NegativeControlTest {

    private static final int SCHEDULES = 1500;
    private static final long LOCK = 0x1000;
    private static final long WAITING = 0x1004;
    private static final long FLAGS = 0x1080;
    private static final int BIT = 5;

    // ---- the lost wake-up of 8.3.3 (TcbLockRaceStress) ----------------------------------------

    /** Runs the rendezvous once; returns {IPI decided, flag found}. */
    private static int[] rendezvous(long seed, boolean withLock) {
        HostXcpuMemory mem = new HostXcpuMemory(new PhysicalMemory(16 * 1024));
        SteppedSchedule s = new SteppedSchedule(mem);
        int[] r = new int[2];
        s.run(seed, sch -> {
            var m = sch.memory(0); // the sender: reads whether B waits, sets its flag
            if (withLock) {
                SpinLock.lock(m, LOCK);
            }
            r[0] = m.loadAcquire(WAITING) != 0 ? 1 : 0;
            FlagLine.set(m, FLAGS, BIT);
            if (withLock) {
                SpinLock.unlock(m, LOCK);
            }
        }, sch -> {
            var m = sch.memory(1); // the receiver: checks its flags, publishes that it waits
            if (withLock) {
                SpinLock.lock(m, LOCK);
            }
            int found = FlagLine.checkAndAck(m, FLAGS, bit -> { });
            if (found == 0) {
                m.storeRelease(WAITING, 1);
            }
            if (withLock) {
                SpinLock.unlock(m, LOCK);
            }
            r[1] = found;
        }, 100_000);
        return r;
    }

    @Test
    void withoutTheTcbLockTheLostWakeupHappens() {
        int lost = 0;
        for (long seed = 1; seed <= SCHEDULES; seed++) {
            int[] r = rendezvous(seed, false);
            if (r[0] == 0 && r[1] == 0) {
                lost++;
            }
        }
        assertTrue(lost > 0, "the naive rendezvous never lost a wake-up in " + SCHEDULES + " schedules");
    }

    @Test
    void withTheTcbLockNoWakeupIsLost() {
        for (long seed = 1; seed <= SCHEDULES; seed++) {
            int[] r = rendezvous(seed, true);
            assertEquals(1, r[0] + r[1], "seed " + seed + ": exactly one of IPI and found flag");
        }
    }

    // ---- the idle-time ordering of 8.3.4 (IdleCheckStress) ------------------------------------

    /**
     * A CPU about to idle against a sender (KernelCpu.doWorkLocal against XpIpc.trigger): the
     * CPU publishes "idle" as its next check and then checks its flags; the sender sets its flag
     * and then reads the next check, deciding on an IPI when it reads "idle". The planted
     * variant checks first and publishes after. Returns {IPI decided, flag found}.
     */
    private static int[] idle(long seed, boolean publishFirst) {
        PhysicalMemory pm = new PhysicalMemory(256 * 1024);
        KernelRegion region = new KernelRegion(new ConcurrentAttributionRegistry(), 0, 256 * 1024, 32);
        XcpuFabric fabric = new XcpuFabric(2, region);
        HostXcpuMemory mem = new HostXcpuMemory(pm);
        fabric.setNextCheckVolatile(1, 1_000); // CPU 1 is in the kernel: it checks at its exit
        SteppedSchedule s = new SteppedSchedule(mem);
        int[] r = new int[2];
        long line = fabric.flagLine(1);
        s.run(seed, sch -> {
            var m = sch.memory(0); // the sender on CPU 0
            FlagLine.set(m, line, BIT);
            sch.step(0);
            r[0] = fabric.nextCheckVolatile(1) == XcpuFabric.IDLE ? 1 : 0;
        }, sch -> {
            var m = sch.memory(1); // CPU 1, about to idle
            if (publishFirst) {
                sch.step(1);
                fabric.setNextCheckVolatile(1, XcpuFabric.IDLE);
                java.lang.invoke.VarHandle.fullFence();
                r[1] = FlagLine.checkAndAck(m, line, bit -> { });
            } else {
                r[1] = FlagLine.checkAndAck(m, line, bit -> { });
                sch.step(1);
                fabric.setNextCheckVolatile(1, XcpuFabric.IDLE);
            }
        }, 100_000);
        return r;
    }

    @Test
    void checkingBeforePublishingIdleLosesAWakeup() {
        int lost = 0;
        for (long seed = 1; seed <= SCHEDULES; seed++) {
            int[] r = idle(seed, false);
            if (r[0] == 0 && r[1] == 0) {
                lost++;
            }
        }
        assertTrue(lost > 0, "checking before publishing never lost a wake-up in " + SCHEDULES + " schedules");
    }

    @Test
    void publishingIdleBeforeTheCheckLosesNoWakeup() {
        for (long seed = 1; seed <= SCHEDULES; seed++) {
            int[] r = idle(seed, true);
            assertTrue(r[0] + r[1] >= 1, "seed " + seed + ": no IPI and no flag found (a lost wake-up)");
        }
    }
}
