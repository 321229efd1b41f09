package l4smp.tests.jcstress.migrate;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import l4smp.emulator.memory.PhysicalMemory;
import l4smp.kernel.sched.ReadyList;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.xcpu.HostXcpuMemory;
import l4smp.kernel.xcpu.MigrationHandshake;
import l4smp.kernel.xcpu.SpinLock;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * Two migrations of one thread at once, to two different CPUs (thesis 8.7.2, with the
 * deadlock-free locking of {@code Migration}), on real host threads with the kernel's own
 * migration steps ({@link MigrationHandshake}: the lock order, the re-check of the target's
 * processor number under the locks, the unlock), {@link SpinLock}, the {@link Tcb} processor
 * word and {@link ReadyList}:
 * <pre>
 *   initiator A to C:  loop { b = t1.cpu; lock the migration locks of {A, b, C} in
 *                      MigrationHandshake.lockOrder; if !stillOn(t1, b): unlockAll, again;
 *                      B's part: t1 leaves b's ready list; C's part: t1 enters C's;
 *                      t1.cpu = C (release); unlockAll }
 * </pre>
 * Each CPU's ready list is touched only by the holder of that CPU's migration lock here (in the
 * kernel, by the CPU itself while the operation that includes it holds its lock). t1 starts on
 * CPU 1; initiator A1 (CPU 0) moves it to CPU 2, A2 (CPU 4) to CPU 3. The later operation wins:
 * t1 ends on exactly one of them, in exactly that CPU's ready list, and neither initiator
 * deadlocks the other. {@link NaiveWithoutTheRecheck}, the negative control, skips the re-check
 * under the locks: the later initiator then works on the list of a CPU t1 has left.
 */
public final class ConcurrentMigrationStress {
    private ConcurrentMigrationStress() { }

    static final int CPUS = 5;
    /** Migration lock words, one per CPU (one line each, as Kernel.migrationLock lays them out). */
    static final long LOCKS = 0x1000;

    static long lockWord(int cpu) {
        return LOCKS + 0x20L * cpu;
    }

    /** t1 on CPU 1, in CPU 1's ready list; the migration locks; the kernel's migration steps. */
    abstract static class Machine {
        final HostXcpuMemory mem = new HostXcpuMemory(new PhysicalMemory(16 * 1024));
        final Tcb t1 = new Tcb(ThreadId.of(40, 1), "t1", 1, 100, false, () -> { });
        final ReadyList[] ready = new ReadyList[CPUS];
        private final boolean recheck;

        Machine(boolean recheck) {
            this.recheck = recheck;
            for (int i = 0; i < CPUS; i++) {
                ready[i] = new ReadyList();
            }
            ready[1].enqueueTail(t1);
        }

        /** Initiator {@code a} moves t1 to {@code c} (Migration.schedule's loop, parts inline). */
        void migrate(int a, int c) {
            int[] order = new int[3];
            while (true) {
                int b = t1.cpuAcquire();
                int n = MigrationHandshake.lockOrder(a, b, c, order);
                for (int i = 0; i < n; i++) {
                    SpinLock.lock(mem, lockWord(order[i]));
                }
                boolean moved = recheck && !MigrationHandshake.stillOn(t1, b);
                if (!moved && b != c) {
                    ready[b].remove(t1);        // B's part (8.7.2)
                    ready[c].enqueueTail(t1);   // C's part
                    t1.setCpuRelease(c);        // B sets the processor number
                }
                MigrationHandshake.unlockAll(mem, a, b, c, lockWord(a), lockWord(b), lockWord(c));
                if (!moved) {
                    return;
                }
            }
        }

        void arbiter(III_Result r) {
            int cpu = t1.cpuAcquire();
            int lists = 0;
            int inOwn = 0;
            for (int i = 0; i < CPUS; i++) {
                int n = ready[i].occurrences(t1);
                lists += n;
                if (i == cpu) {
                    inOwn = n;
                }
            }
            r.r1 = cpu;
            r.r2 = lists;
            r.r3 = inOwn;
        }
    }

    /** The two migrations from CPU 1: A1 on CPU 0 to CPU 2, A2 on CPU 4 to CPU 3. */
    @JCStressTest
    @Outcome(id = "2, 1, 1", expect = ACCEPTABLE, desc = "A1 moved it last: on CPU 2, in CPU 2's ready list only")
    @Outcome(id = "3, 1, 1", expect = ACCEPTABLE, desc = "A2 moved it last: on CPU 3, in CPU 3's ready list only")
    @Outcome(id = ".*, 0, .*", expect = FORBIDDEN, desc = "lost: in no ready list")
    @Outcome(id = ".*, 2, .*", expect = FORBIDDEN, desc = "in two ready lists")
    @Outcome(expect = FORBIDDEN, desc = "anything else (the list it is in is not its CPU's, or it stayed on CPU 1)")
    @State
    public static class TwoMigrationsOfOneThread extends Machine {
        public TwoMigrationsOfOneThread() {
            super(true);
        }

        @Actor
        public void a1() {
            migrate(0, 2);
        }

        @Actor
        public void a2() {
            migrate(4, 3);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            super.arbiter(r);
        }
    }

    /**
     * The planted variant (negative control): no re-check of t1's processor number under the
     * locks. The later initiator's locks are those of CPU 1, which t1 has left: it removes t1
     * from a list it is not in and enters it in a second one.
     */
    @JCStressTest
    @Outcome(id = "2, 1, 1", expect = ACCEPTABLE, desc = "A1 moved it last: on CPU 2, in CPU 2's ready list only")
    @Outcome(id = "3, 1, 1", expect = ACCEPTABLE, desc = "A2 moved it last: on CPU 3, in CPU 3's ready list only")
    @Outcome(id = ".*, 2, .*", expect = ACCEPTABLE_INTERESTING,
            desc = "without the re-check both moved it from CPU 1: it is in two ready lists")
    @Outcome(expect = ACCEPTABLE_INTERESTING, desc = "without the re-check: another broken placement")
    @State
    public static class NaiveWithoutTheRecheck extends Machine {
        public NaiveWithoutTheRecheck() {
            super(false);
        }

        @Actor
        public void a1() {
            migrate(0, 2);
        }

        @Actor
        public void a2() {
            migrate(4, 3);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            super.arbiter(r);
        }
    }
}
