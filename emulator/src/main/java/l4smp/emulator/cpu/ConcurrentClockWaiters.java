package l4smp.emulator.cpu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * Parked CPUs waiting for another CPU's effective clock to reach a cycle (parallel mode with
 * exact timing: a CPU at an interleaving point waits until the CPUs behind it have caught up,
 * and a spin-waiting CPU until the CPU that can still change what it polls has moved on). A
 * waiter that parks is unparked by the CPU it waits for when that CPU's effective clock has
 * reached the waiter's cycle, instead of sleeping out its park period: parking and unparking
 * cost some microseconds of host time each, a park period tens to hundreds.
 *
 * <h2>Algorithm</h2>
 * Per CPU a mask of the CPUs parked on it (bit {@code w}: CPU {@code w} waits) and per CPU the
 * cycle it waits for, each word on its own 128 bytes.
 * <ul>
 *   <li>Waiter {@code w} on target {@code t} for cycle {@code c} ({@link #registerVolatile}):
 *       stores {@code c}, sets its bit in {@code t}'s mask (a volatile read-modify-write), then
 *       reads {@code t}'s effective clock again and parks only if it is still below {@code c};
 *       after the park it clears its bit ({@link #deregisterVolatile}).</li>
 *   <li>Target {@code t}, whose effective clock is {@code e} after its own stores (clock, run
 *       state; {@link #wakeReachedVolatile}): a full fence, then reads its mask and unparks
 *       every waiter whose cycle is at most {@code e}.</li>
 * </ul>
 * Both sides store, then load, with a full barrier between (a Dekker handshake, as in
 * {@link InterruptLine}): either the waiter's re-read sees the target's clock at {@code c} or
 * later and it does not park, or the target's read of its mask sees the waiter's bit and unparks
 * it. An unpark that comes after the waiter stopped waiting leaves a permit: its next park
 * returns at once and its loop reads the clocks again.
 *
 * <p>A target calls {@link #wakeReachedVolatile} where its effective clock may have passed a
 * waiter's cycle and it looks at the others anyway: at an interleaving point above its order
 * horizon (the waiter's clock bounds that horizon from above, so the first interleaving point
 * past a waiter's cycle is one), in each spin-wait iteration and slack wait, on going idle and on
 * stopping. Every wait stays bounded by its park period regardless: the wake-up saves host time,
 * the order of simulated events does not depend on it.
 *
 * <p>Thread contract: {@link #registerVolatile}, {@link #deregisterVolatile} from the waiter's own
 * host thread; {@link #wakeReachedVolatile} from the target's; {@link #bindThreadVolatile} by
 * each CPU's host thread at its start. Up to 64 CPUs (one bit each).
 */
public final class ConcurrentClockWaiters {

    /** Longs per slot: 128 bytes, so that no two CPUs' words share a host cache line (or its pair). */
    private static final int STRIDE = 16;

    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle THREADS = MethodHandles.arrayElementVarHandle(Thread[].class);

    /** Slot {@code t}: the mask of CPUs parked on CPU {@code t}'s effective clock. */
    private final long[] waitersOf;
    /** Slot {@code w}: the cycle CPU {@code w} waits for while its bit is set somewhere. */
    private final long[] untilOf;
    /** The host thread of each CPU, to unpark. */
    private final Thread[] threads;

    /** For {@code cpus} CPUs (1 to 64). */
    public ConcurrentClockWaiters(int cpus) {
        if (cpus < 1 || cpus > 64) {
            throw new IllegalArgumentException("clock waiters need 1 to 64 CPUs, got " + cpus);
        }
        this.waitersOf = new long[(cpus + 2) * STRIDE];
        this.untilOf = new long[(cpus + 2) * STRIDE];
        this.threads = new Thread[cpus];
    }

    private static int slot(int cpu) {
        return (cpu + 1) * STRIDE;
    }

    /** Binds CPU {@code cpu}'s host thread (the thread a wake-up unparks). That thread, at its start. */
    public void bindThreadVolatile(int cpu, Thread thread) {
        THREADS.setVolatile(threads, cpu, thread);
    }

    /**
     * Registers {@code waiter} as parked on {@code target} until that CPU's effective clock reaches
     * {@code until}. The caller then reads the target's effective clock again and parks only if
     * it is still below {@code until}. The waiter's thread.
     */
    public void registerVolatile(int waiter, int target, long until) {
        LONGS.setRelease(untilOf, slot(waiter), until); // published by the read-modify-write below
        // Volatile read-modify-write: ordered before the caller's re-read of the target's clock
        // (partner: the full fence in wakeReachedVolatile).
        LONGS.getAndBitwiseOr(waitersOf, slot(target), 1L << waiter);
    }

    /** Ends {@code waiter}'s registration on {@code target}. The waiter's thread. */
    public void deregisterVolatile(int waiter, int target) {
        LONGS.getAndBitwiseAnd(waitersOf, slot(target), ~(1L << waiter));
    }

    /**
     * Unparks the CPUs parked on {@code target} whose cycle is at most {@code effective}, the
     * target's effective clock after its stores so far. The target's thread.
     */
    public void wakeReachedVolatile(int target, long effective) {
        // Full fence: the target's earlier stores of its clock and run state (release or
        // volatile) come before the read of its mask (partner: the read-modify-write in
        // registerVolatile, then the waiter's re-read of those stores).
        VarHandle.fullFence();
        long mask = (long) LONGS.getVolatile(waitersOf, slot(target));
        if (mask != 0) {
            wakeSlowPath(mask, effective);
        }
    }

    private void wakeSlowPath(long mask, long effective) {
        while (mask != 0) {
            int w = Long.numberOfTrailingZeros(mask);
            mask &= mask - 1;
            if ((long) LONGS.getAcquire(untilOf, slot(w)) <= effective) {
                Thread t = (Thread) THREADS.getVolatile(threads, w);
                if (t != null) {
                    LockSupport.unpark(t);
                }
            }
        }
    }

    /** Whether {@code waiter} is registered on {@code target} now (diagnostics and tests). Any thread. */
    public boolean registeredVolatile(int waiter, int target) {
        return ((long) LONGS.getVolatile(waitersOf, slot(target)) & (1L << waiter)) != 0;
    }
}
