package l4smp.tests.jcstress.space;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import l4smp.emulator.memory.PhysicalMemory;
import l4smp.kernel.space.TlbShootdown;
import l4smp.kernel.xcpu.HostXcpuMemory;
import l4smp.kernel.xcpu.SpinLock;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * A TCB lock (8.3.3) against a TLB shootdown of a map installed under it, on real host threads
 * with the kernel's spinlock and shootdown objects. CPU 1 runs the receive path of a map item
 * sent across processors: it takes the receiver's TCB lock, revokes a page (the map replaced a
 * mapping), releases the lock and completes the shootdown; the reply to the sender goes out
 * after the acknowledgement. CPU 0 spins for the same TCB lock with interrupts disabled: a
 * SpinLock spinner services no shootdown request and takes no IPI, so it acknowledges only
 * after it got the lock and left the kernel path.
 *
 * <p>The kernel's order (TlbShootdown.hold / release, as XpMailboxCheck.beginReceive and
 * endReceive use them): while the lock is held the revocation is recorded and applied to CPU 1's
 * own TLB; the IPI and the wait for the acknowledgement come at the release of the last hold,
 * with no lock held. r1: whether CPU 1 gave up waiting for the acknowledgement (the wait is
 * bounded: a real CPU would wait for ever); r2: the acknowledgements CPU 1 saw; r3: whether the
 * reply went out before the acknowledgement (it must not: the sender would learn of the map
 * while CPU 0 may still use the revoked entry). {@link Rig#plantedOrder} completes the shootdown
 * under the lock: the deadlock the fuzzer found (ShootdownTcbLockTest forces that schedule).
 */
public final class ShootdownTcbLockStress {
    private ShootdownTcbLockStress() { }

    static final int VA = 0x0040_0000;
    static final long LOCK = 0x100;
    /** How long CPU 1 waits for the acknowledgement before it reports a deadlock (host nanoseconds). */
    static final long ACK_WAIT_BOUND_NANOS = 2_000_000_000L;

    /** The fake machine: the TCB lock word in host memory, the shootdown of two CPUs. */
    public static class Rig extends OneSpaceCpus {
        public final HostXcpuMemory mem = new HostXcpuMemory(new PhysicalMemory(4096));
        public final TlbShootdown shootdown = new TlbShootdown(2, 0b11, this);
        public volatile boolean gaveUp;
        public volatile boolean cpu1HoldsLock;
        /** CPU 1's path ended (CPU 0 takes interrupts until then: a later IPI finds it). */
        public volatile boolean cpu1Done;
        public volatile boolean acknowledged;
        public volatile boolean repliedEarly;
        public int acks;

        @Override
        public int invalidate(int cpu, int space, int va) {
            if (cpu == 0) {
                acknowledged = true;
            }
            return 1;
        }

        @Override
        public void sendIpi(int from, long mask) {
            // CPU 0 services its pending word once it takes interrupts (spinner below).
        }

        /** CPU 1's wait for acknowledgements (bounded: gives up and reports the deadlock). */
        l4smp.kernel.space.MappingDatabase.Waiter waiter() {
            return (condition, reason) -> {
                long deadline = System.nanoTime() + ACK_WAIT_BOUND_NANOS;
                while (!condition.isSatisfied()) {
                    if (System.nanoTime() - deadline > 0) {
                        gaveUp = true;
                        shootdown.service(0); // drop the request so that the test ends
                        return;
                    }
                    Thread.onSpinWait();
                }
            };
        }

        private void reply() {
            if (!acknowledged) {
                repliedEarly = true;
            }
        }

        /** CPU 1, the kernel's order: hold the shootdowns under the lock, complete after it. */
        public void kernelOrder() {
            SpinLock.lock(mem, LOCK);
            shootdown.hold(1);
            cpu1HoldsLock = true;
            shootdown.add(1, 1, VA); // the map replaced a mapping
            shootdown.applyOwn(1);
            boolean deferReply = shootdown.deferred(1);
            if (!deferReply) {
                reply();
            }
            SpinLock.unlock(mem, LOCK);
            if (shootdown.release(1)) {
                shootdown.complete(1, TlbShootdown.Policy.ALL, waiter());
                acks++;
            }
            if (deferReply) {
                reply();
            }
            cpu1Done = true;
        }

        /** CPU 1, the planted order: the shootdown (IPI, acknowledgement) under the TCB lock. */
        public void plantedOrder() {
            SpinLock.lock(mem, LOCK);
            cpu1HoldsLock = true;
            shootdown.add(1, 1, VA);
            shootdown.complete(1, TlbShootdown.Policy.ALL, waiter());
            acks++;
            reply();
            SpinLock.unlock(mem, LOCK);
            cpu1Done = true;
        }

        /** CPU 0: spins for the TCB lock (interrupts disabled), then takes its interrupts. */
        public void spinner() {
            SpinLock.lock(mem, LOCK);
            SpinLock.unlock(mem, LOCK);
            while (!cpu1Done) {
                shootdown.service(0);
                Thread.onSpinWait();
            }
        }
    }

    /** Never a wait for an acknowledgement under the lock, never a reply before it. */
    @JCStressTest
    @Outcome(id = "0, 1, 0", expect = ACCEPTABLE, desc = "the shootdown was acknowledged after the unlock, then the reply went out")
    @Outcome(id = "1, 1, 0", expect = FORBIDDEN, desc = "CPU 1 waited for CPU 0's acknowledgement while CPU 0 waited for its lock")
    @Outcome(id = "0, 1, 1", expect = FORBIDDEN, desc = "the reply went out before the revoked entry left CPU 0's TLB")
    @Outcome(expect = FORBIDDEN, desc = "any other end")
    @State
    public static class NoDeadlockNoEarlyReply extends Rig {
        @Actor
        public void cpu1() {
            kernelOrder();
        }

        @Actor
        public void cpu0() {
            spinner();
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r1 = gaveUp ? 1 : 0;
            r.r2 = acks;
            r.r3 = repliedEarly ? 1 : 0;
        }
    }
}
