package l4smp.tests.jcstress.xcpu;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import l4smp.emulator.memory.PhysicalMemory;
import l4smp.kernel.xcpu.FlagLine;
import l4smp.kernel.xcpu.HostXcpuMemory;
import l4smp.kernel.xcpu.SpinLock;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * The lost wake-up of thesis 8.3.3, with and without the TCB lock, on the kernel's own
 * {@link SpinLock} and {@link FlagLine} code over {@link HostXcpuMemory}. The sender sets its
 * request flag and sends an IPI only if the receiver is already waiting; the receiver checks its
 * flags and, finding none, publishes that it waits (and sleeps until an IPI):
 * <pre>
 *   sender:   [lock(B)] r1 = B.waiting; set flag [unlock(B)]     -- IPI if r1
 *   receiver: [lock(B)] r2 = check_n_ack; if (!r2) B.waiting = 1 [unlock(B)]
 * </pre>
 * (r1, r2) = (0, 0) is the lost wake-up: the sender sent no IPI because the receiver was not yet
 * waiting, and the receiver sleeps because it checked before the flag was set. It is an
 * interleaving race (possible even under sequential consistency), which the lock closes:
 * {@link WithTheLock} forbids it; {@link NaiveWithoutTheLock}, the negative control, shows it.
 */
public final class TcbLockRaceStress {
    private TcbLockRaceStress() { }

    static final long LOCK = 0x1000;
    static final long WAITING = 0x1004;
    static final long FLAGS = 0x1080;

    /** The production protocol: check-and-publish and set-and-read are atomic under the lock. */
    @JCStressTest
    @Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "the receiver waited first; the sender saw it and sends the IPI")
    @Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "the sender set the flag first; the receiver's check found it")
    @Outcome(id = "0, 0", expect = FORBIDDEN, desc = "lost wake-up: no IPI, and the receiver sleeps with the request pending")
    @Outcome(expect = FORBIDDEN, desc = "anything else")
    @State
    public static class WithTheLock {
        final HostXcpuMemory mem = new HostXcpuMemory(new PhysicalMemory(16 * 1024));

        @Actor
        public void sender(II_Result r) {
            SpinLock.lock(mem, LOCK);
            r.r1 = mem.loadAcquire(WAITING) != 0 ? 1 : 0;
            FlagLine.set(mem, FLAGS, 5);
            SpinLock.unlock(mem, LOCK);
        }

        @Actor
        public void receiver(II_Result r) {
            SpinLock.lock(mem, LOCK);
            int found = FlagLine.checkAndAck(mem, FLAGS, bit -> { });
            if (found == 0) {
                mem.storeRelease(WAITING, 1);
            }
            SpinLock.unlock(mem, LOCK);
            r.r2 = found;
        }
    }

    /** The naive variant without the TCB lock (test only): the lost wake-up happens. */
    @JCStressTest
    @Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "the receiver waited first; the sender saw it and sends the IPI")
    @Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "the sender set the flag first; the receiver's check found it")
    @Outcome(id = "0, 0", expect = ACCEPTABLE_INTERESTING,
            desc = "the lost wake-up of 8.3.3: without the lock, both checked before the other acted")
    @Outcome(expect = FORBIDDEN, desc = "anything else")
    @State
    public static class NaiveWithoutTheLock {
        final HostXcpuMemory mem = new HostXcpuMemory(new PhysicalMemory(16 * 1024));

        @Actor
        public void sender(II_Result r) {
            r.r1 = mem.loadAcquire(WAITING) != 0 ? 1 : 0;
            FlagLine.set(mem, FLAGS, 5);
        }

        @Actor
        public void receiver(II_Result r) {
            int found = FlagLine.checkAndAck(mem, FLAGS, bit -> { });
            if (found == 0) {
                mem.storeRelease(WAITING, 1);
            }
            r.r2 = found;
        }
    }
}
