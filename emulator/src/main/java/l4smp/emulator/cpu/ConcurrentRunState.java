package l4smp.emulator.cpu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A CPU's clock and run state as the other CPUs read them: the owner publishes them, any thread
 * computes the CPU's <em>effective clock</em> from them -- the earliest simulated time at which
 * the CPU can still act on shared state (parallel mode: the slack bound and the conservative
 * order of {@link Cpu} wait for it).
 *
 * <h2>Effective clock</h2>
 * A running CPU counts with its clock; an idle (or parked) one with the earlier of its next
 * timer event and the arrival of an interrupt posted to it (it can act on nothing before); a
 * stopped one not at all ({@code Long.MAX_VALUE}).
 *
 * <h2>The state version (a consistent read)</h2>
 * The effective clock reads several fields -- run state, next event, interrupt flag and the
 * pending arrival, clock -- that the owner changes one after the other when it goes idle or
 * wakes. A reader whose reads straddle a change could combine the old state (idle) with a new
 * field (the event withdrawn on waking: "idle, no event", no bound at all) and a CPU would then
 * cache that bound and run past a CPU about to act. So:
 * <ul>
 *   <li>every store of the run state is followed by an increment of the state version
 *       ({@link #setStateVolatile}), before the owner stores any other field a reader reads;</li>
 *   <li>a reader reads the version before and after one pass over the fields and reads again
 *       when it moved ({@link #effectiveClockAcquire}).</li>
 * </ul>
 * Why that suffices: the owner stores the state first, then the version, then the other fields.
 * A pass that sees a field stored after a state change (acquire of a release store) also sees
 * the version increment before it, so its second version read differs from a first read taken
 * before the change; a pass whose first version read already saw the increment sees the new
 * state. Going idle stores the next event <em>before</em> the state ({@link #setIdleVolatile}):
 * a reader that sees IDLE sees its event. Waking stores RUNNING <em>before</em> withdrawing the
 * event ({@link #setRunningVolatile}): between the two stores the CPU reads as running.
 *
 * <h2>Thread contract</h2>
 * The {@code set...} methods are owner-CPU-only (one writer); the readers ({@code ...Acquire},
 * {@code ...Volatile}) any thread. The owner reads its own clock plainly (the package-private
 * field; {@code Cpu.clock()}).
 *
 * <p>This class is {@link Cpu}'s first field group (laid out with the padding of
 * {@code CpuFields}); its two abstract reads are the CPU's interrupt flag and local APIC.
 */
public abstract class ConcurrentRunState extends CpuPad0 {

    /** Run states, as published in {@link #stateAcquire()}. */
    public static final int RUNNING = 0;
    public static final int IDLE = 1;
    public static final int PARKED = 2;
    public static final int STOPPED = 3;

    private static final VarHandle CLOCK;
    private static final VarHandle STATE;
    private static final VarHandle NEXT_EVENT;
    private static final VarHandle STATE_VERSION;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            CLOCK = lookup.findVarHandle(ConcurrentRunState.class, "clock", long.class);
            STATE = lookup.findVarHandle(ConcurrentRunState.class, "state", int.class);
            NEXT_EVENT = lookup.findVarHandle(ConcurrentRunState.class, "nextEvent", long.class);
            STATE_VERSION = lookup.findVarHandle(ConcurrentRunState.class, "stateVersion", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The simulated clock in cycles: the owner reads it plainly, stores it through {@link #setClockRelease}. */
    long clock;
    @SuppressWarnings("unused") // accessed through STATE
    private int state;
    @SuppressWarnings("unused") // accessed through NEXT_EVENT
    private long nextEvent;
    @SuppressWarnings("unused") // accessed through STATE_VERSION
    private long stateVersion;

    /** A running CPU at clock 0 with no timer event. */
    protected ConcurrentRunState() {
        NEXT_EVENT.setRelease(this, Dispatcher.NO_EVENT);
    }

    // ---- the owner's side ---------------------------------------------------------------------

    /**
     * Stores the clock. Release: a CPU that reads it (acquire) also sees what the owner did
     * before. Owner only.
     */
    public final void setClockRelease(long time) {
        CLOCK.setRelease(this, time);
    }

    /** Publishes run state {@code st}, then moves the state version on. Owner only. */
    public void setStateVolatile(int st) {
        // Volatile: the store of IDLE must not be reordered with the load of the interrupt flag
        // that follows it in Cpu.idle (the other half of the handshake: InterruptLine.raise).
        STATE.setVolatile(this, st);
        // Volatile increment (single writer): ordered after the state store above and before the
        // owner's next store to any field a reader reads (partner: the version reads of
        // effectiveClockAcquire).
        STATE_VERSION.setVolatile(this, (long) STATE_VERSION.getOpaque(this) + 1);
    }

    /** Publishes the next timer event ({@link Dispatcher#NO_EVENT} for none). Owner only. */
    public void setNextEventRelease(long time) {
        // Release: paired with the acquire in nextEventAcquire.
        NEXT_EVENT.setRelease(this, time);
    }

    /**
     * Goes idle with timer event {@code next}: the event first, then the state, so that a reader
     * that sees IDLE sees the event (a stale "no event" would read as no bound). Owner only.
     */
    public final void setIdleVolatile(long next) {
        setNextEventRelease(next);
        setStateVolatile(IDLE); // release part: publishes the event stored above
    }

    /**
     * Runs again: RUNNING first, then the event withdrawn, so that between the two stores no
     * reader reads "idle, no event" (no bound at all) for a CPU about to act. Owner only.
     */
    public final void setRunningVolatile() {
        setStateVolatile(RUNNING);
        setNextEventRelease(Dispatcher.NO_EVENT);
    }

    // ---- the readers' side --------------------------------------------------------------------

    /** The simulated clock, in cycles. Any thread. */
    public long clockAcquire() {
        return (long) CLOCK.getAcquire(this);
    }

    /** The run state ({@link #RUNNING}, {@link #IDLE}, {@link #PARKED}, {@link #STOPPED}). Any thread. */
    public int stateAcquire() {
        return (int) STATE.getAcquire(this);
    }

    /** The published next timer event, or {@link Dispatcher#NO_EVENT}. Any thread. */
    public long nextEventAcquire() {
        return (long) NEXT_EVENT.getAcquire(this);
    }

    /** The state version: moved on by every run-state store. Any thread. */
    public long stateVersionVolatile() {
        return (long) STATE_VERSION.getVolatile(this);
    }

    /** Whether an interrupt is posted to this CPU and not yet taken (its flag is raised). Any thread. */
    public abstract boolean interruptPendingVolatile();

    /** The arrival of the earliest interrupt pending at this CPU, or {@code Long.MAX_VALUE}. Any thread. */
    public abstract long earliestPendingArrivalAcquire();

    /**
     * The effective clock (see the class comment), read consistently: the fields of one run
     * state, never some of the state before a change and some after. Any thread.
     */
    public final long effectiveClockAcquire() {
        while (true) {
            // Volatile version reads around the pass (partner: the increment in setStateVolatile);
            // the pass's acquire reads stay between them.
            long version = stateVersionVolatile();
            long eff = effectiveClockSinglePassAcquire();
            if (stateVersionVolatile() == version) {
                return eff;
            }
        }
    }

    /**
     * One pass over the fields of the effective clock, without the version check: it may
     * combine fields of two run states. Only {@link #effectiveClockAcquire} uses it (and the
     * tests that show why that re-checks). Any thread.
     */
    public final long effectiveClockSinglePassAcquire() {
        int st = stateAcquire();
        if (st == RUNNING) {
            return clockAcquire();
        }
        if (st == IDLE || st == PARKED) {
            long next = nextEventAcquire();
            if (interruptPendingVolatile()) {
                long arrival = earliestPendingArrivalAcquire();
                if (arrival != Long.MAX_VALUE) {
                    next = Math.min(next, Math.max(clockAcquire(), arrival));
                }
            }
            return next;
        }
        return Long.MAX_VALUE;
    }

    /**
     * The lowest effective clock of {@code cpus} other than {@code self} ({@code null}: all of
     * them), {@code Long.MAX_VALUE} if none counts. Each CPU's is read consistently; the CPUs one
     * after the other, in array order. Any thread.
     */
    public static long minEffectiveClockAcquire(ConcurrentRunState[] cpus, ConcurrentRunState self) {
        long min = Long.MAX_VALUE;
        for (ConcurrentRunState cpu : cpus) {
            if (cpu != self) {
                long eff = cpu.effectiveClockAcquire();
                if (eff < min) {
                    min = eff;
                }
            }
        }
        return min;
    }

    /**
     * {@link #minEffectiveClockAcquire} as one consistent pass: repeated until no interrupt was
     * posted while it ran ({@code posts}: the machine-wide count of posted interrupts, which a
     * poster bumps after raising the target's line and before any later store of its own clock
     * or run state). The CPUs are read one after the other, not as one snapshot: a pass that
     * reads an idle target before a post and the sender after the sender moved past the arrival
     * counts neither, and its minimum lies above the arrival; such a pass sees the count move.
     * Acquire loads: a CPU's store seen by the pass happened after every post its CPU counted
     * before it, so the second load of the count sees that post, and it is not moved before the
     * pass's acquire loads. Lock-free: a pass is repeated only because some CPU posted. Any
     * thread.
     */
    public static long minEffectiveClockConsistentAcquire(ConcurrentRunState[] cpus, ConcurrentRunState self,
                                                          AtomicLong posts) {
        while (true) {
            long before = posts.getAcquire();
            long min = minEffectiveClockAcquire(cpus, self);
            if (posts.getAcquire() == before) {
                return min;
            }
        }
    }

    /**
     * The order bound of {@code self}: {@link #minEffectiveClockConsistentAcquire}, except that
     * each CPU before {@code self} in {@code cpus} counts one cycle earlier. An interaction of
     * {@code self} at cycle t may go on when the bound is at least t: every CPU after it has
     * reached t, every CPU before it has passed t. So two CPUs at the same cycle act in index
     * order -- the total order (cycle, index) -- and not in host order: without the tie rule
     * the CPUs released by one IPI (which all take it at the same cycle) or a CPU waking at a
     * timer event that another CPU's clock has just reached would perform their interactions in
     * whatever order the host ran them, and a parallel run's simulated figures would vary from
     * run to run. The CPU with the lowest (cycle, index) always has a bound at or above its
     * cycle, so a wait on the bound always has one CPU that goes on. Any thread.
     */
    public static long minOrderBoundConsistentAcquire(ConcurrentRunState[] cpus, ConcurrentRunState self,
                                                      AtomicLong posts) {
        while (true) {
            long before = posts.getAcquire();
            long min = Long.MAX_VALUE;
            long earlier = 1;
            for (ConcurrentRunState cpu : cpus) {
                if (cpu == self) {
                    earlier = 0;
                    continue;
                }
                long eff = cpu.effectiveClockAcquire();
                if (eff != Long.MAX_VALUE) {
                    eff -= earlier;
                }
                if (eff < min) {
                    min = eff;
                }
            }
            if (posts.getAcquire() == before) {
                return min;
            }
        }
    }
}
