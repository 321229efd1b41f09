package l4smp.tests.jcstress.space;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.util.concurrent.atomic.AtomicInteger;

import l4smp.emulator.memory.PhysicalMemory;
import l4smp.kernel.space.MappingDatabase;
import l4smp.kernel.space.TlbShootdown;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * The mapping-database lock against a TLB shootdown's IPI (thesis 3.3.1: two LINT slots per
 * local APIC), on real host threads with the kernel's lock and shootdown objects and a fake
 * two-CPU machine. CPU 1 starts with both LINT slots occupied (interrupts pending) and spins for
 * the database lock with interrupts disabled -- it services shootdown requests from their
 * pending word, as the kernel's waiter does, but takes no IPI, so its slots are freed only after
 * it got the lock and left the kernel path. CPU 0 unmaps a page: it revokes under the lock and
 * shoots the page down, which needs a free LINT slot of CPU 1.
 *
 * <p>The kernel's order (Spaces.map and unmap: "No lock across a shootdown") revokes under the
 * lock, releases it, then sends the IPI and waits for the acknowledgement: the spinner gets the
 * lock, frees its slots, and the IPI goes out. Whether CPU 0 ever had to give up waiting for a
 * slot is r1 (the wait is bounded: a real CPU would wait for ever), the ack count r2. The planted
 * order (Plant.SHOOTDOWN_LINT: the shootdown under the lock) deadlocks whenever CPU
 * 0 takes the lock first; {@link Rig#plantedOrder} shows it (ShootdownLockOrderTest forces it).
 */
public final class ShootdownLockOrderStress {
    private ShootdownLockOrderStress() { }

    static final int VA = 0x0040_0000;
    /** How long CPU 0 waits for a LINT slot before it reports a deadlock (host nanoseconds). */
    static final long SLOT_WAIT_BOUND_NANOS = 2_000_000_000L;

    /** The fake machine: CPU 1's LINT slots, and the shootdown over the real lock. */
    public static class Rig extends OneSpaceCpus {
        public final MappingDatabase mdb = MappingDatabase.standalone(new PhysicalMemory(1 << 20), 64);
        public final TlbShootdown shootdown = new TlbShootdown(2, 0b11, this);
        /** CPU 1's occupied LINT slots (2: both full). */
        public final AtomicInteger cpu1SlotsInUse = new AtomicInteger(2);
        public volatile boolean gaveUp;
        public volatile boolean cpu0HoldsLock;
        /** CPU 0's unmap returned (CPU 1 takes interrupts until then: a later IPI finds it). */
        public volatile boolean cpu0Done;
        public int acks;

        /** Posting the IPI needs a free LINT slot of CPU 1 (bounded wait: a deadlock is reported). */
        @Override
        public void sendIpi(int from, long mask) {
            long deadline = System.nanoTime() + SLOT_WAIT_BOUND_NANOS;
            while (true) {
                int used = cpu1SlotsInUse.get();
                if (used < 2 && cpu1SlotsInUse.compareAndSet(used, used + 1)) {
                    return;
                }
                if (System.nanoTime() - deadline > 0) {
                    gaveUp = true; // the deadlock: the IPI is dropped here so that the test ends
                    return;
                }
                Thread.onSpinWait();
            }
        }

        /** The kernel's waiter: spins with interrupts disabled, servicing shootdown requests. */
        MappingDatabase.Waiter waiter(int cpu) {
            return (condition, reason) -> {
                while (true) {
                    shootdown.service(cpu);
                    if (condition.isSatisfied()) {
                        return;
                    }
                    Thread.onSpinWait();
                }
            };
        }

        /** CPU 0, the kernel's order: revoke under the lock, shoot down after releasing it. */
        public void kernelOrder() {
            mdb.lock(waiter(0));
            cpu0HoldsLock = true;
            shootdown.add(0, 1, VA);
            mdb.unlock();
            shootdown.complete(0, TlbShootdown.Policy.ALL, waiter(0));
            acks++;
            cpu0Done = true;
        }

        /** CPU 0, the planted order: the shootdown (IPI, acknowledgements) under the lock. */
        public void plantedOrder() {
            mdb.lock(waiter(0));
            cpu0HoldsLock = true;
            shootdown.add(0, 1, VA);
            shootdown.complete(0, TlbShootdown.Policy.ALL, waiter(0));
            mdb.unlock();
            acks++;
            cpu0Done = true;
        }

        /**
         * CPU 1: spins for the lock (interrupts disabled), then leaves the kernel and takes its
         * interrupts (EOI of both pending ones; the shootdown IPI's handler whenever one comes).
         */
        public void spinner() {
            mdb.lock(waiter(1));
            mdb.unlock();
            cpu1SlotsInUse.set(0);
            while (!cpu0Done) {
                shootdown.service(1);
                Thread.onSpinWait();
            }
        }
    }

    /** The kernel's order never waits for a LINT slot with the lock held: no deadlock. */
    @JCStressTest
    @Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "the shootdown went out and was acknowledged")
    @Outcome(expect = FORBIDDEN, desc = "CPU 0 waited for CPU 1's LINT slot while CPU 1 waited for its lock")
    @State
    public static class NoDeadlock extends Rig {
        @Actor
        public void cpu0() {
            kernelOrder();
        }

        @Actor
        public void cpu1() {
            spinner();
        }

        @Arbiter
        public void arbiter(II_Result r) {
            r.r1 = gaveUp ? 1 : 0;
            r.r2 = acks;
        }
    }
}
