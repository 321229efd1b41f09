package l4smp.tests;

import l4smp.emulator.DeterministicRandom;
import l4smp.kernel.xcpu.XcpuMemory;

import java.util.concurrent.Semaphore;
import java.util.function.Consumer;

/**
 * Runs two actors of a protocol on two host threads under one seeded interleaving: every memory
 * operation of an actor (each call into its {@link #memory} view, and each explicit
 * {@link #step}) is one atomic step, and the test thread grants the steps one at a time to an
 * actor chosen by the seed. The interleaving is the seed's, never the host's; the memory is
 * sequentially consistent (each step completes before the next is granted), so what a schedule
 * shows is an interleaving race, exactly the kind a lock or a check-after-publish order closes.
 *
 * <p>Thread contract: {@link #run} on the test thread; the actors call the views and
 * {@link #step} on their own threads, which only one runs at a time.
 */
final class SteppedSchedule {

    private final Semaphore[] go = {new Semaphore(0), new Semaphore(0)};
    private final Semaphore back = new Semaphore(0);
    private final boolean[] done = new boolean[2];
    private final XcpuMemory shared;

    SteppedSchedule(XcpuMemory shared) {
        this.shared = shared;
    }

    /** Actor {@code actor} yields to the scheduler and waits for its next step. Actor thread only. */
    void step(int actor) {
        back.release();
        go[actor].acquireUninterruptibly();
    }

    /** Actor {@code actor}'s view of the shared memory: every operation is a step. */
    XcpuMemory memory(int actor) {
        return new XcpuMemory() {
            @Override
            public int loadAcquire(long pa) {
                step(actor);
                return shared.loadAcquire(pa);
            }

            @Override
            public void storeRelease(long pa, int value) {
                step(actor);
                shared.storeRelease(pa, value);
            }

            @Override
            public int xchgVolatile(long pa, int value) {
                step(actor);
                return shared.xchgVolatile(pa, value);
            }

            @Override
            public boolean casVolatile(long pa, int expect, int update) {
                step(actor);
                return shared.casVolatile(pa, expect, update);
            }

            @Override
            public void spinUntilEquals(long pa, int value, String reason) {
                while (loadAcquire(pa) != value) {
                    // each spin iteration is a step: the holder runs when the seed picks it
                }
            }
        };
    }

    /**
     * Runs actors 0 and 1 to their end under the interleaving of {@code seed}, at most
     * {@code maxSteps} steps (a bound on a spinning actor; exceeded, the run fails).
     */
    void run(long seed, Consumer<SteppedSchedule> actor0, Consumer<SteppedSchedule> actor1, int maxSteps) {
        DeterministicRandom random = new DeterministicRandom(seed);
        Thread[] threads = new Thread[2];
        for (int a = 0; a < 2; a++) {
            int id = a;
            Consumer<SteppedSchedule> body = a == 0 ? actor0 : actor1;
            threads[a] = new Thread(() -> {
                go[id].acquireUninterruptibly(); // the first grant starts the actor
                try {
                    body.accept(this);
                } finally {
                    done[id] = true;
                    back.release();
                }
            }, "stepped-actor-" + a);
            threads[a].setDaemon(true);
            threads[a].start();
        }
        int steps = 0;
        while (!done[0] || !done[1]) {
            if (++steps > maxSteps) {
                throw new IllegalStateException("seed " + seed + ": more than " + maxSteps + " steps");
            }
            int a = done[0] ? 1 : done[1] ? 0 : random.nextInt(2);
            go[a].release();
            back.acquireUninterruptibly(); // the actor reached its next step, or ended
        }
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
