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

    /** {@link #spinCheckAcquire()} of a CPU that is not between two checks of a spin-wait. */
    public static final long NOT_SPINNING = Long.MIN_VALUE;
    /** {@link #lastInteractionAcquire()} of a CPU that has not interacted yet. */
    public static final long NO_INTERACTION = Long.MIN_VALUE;

    private static final VarHandle CLOCK;
    private static final VarHandle STATE;
    private static final VarHandle NEXT_EVENT;
    private static final VarHandle STATE_VERSION;
    private static final VarHandle LAST_INTERACTION;
    private static final VarHandle SPIN_CHECK;
    private static final VarHandle SPIN_INTERRUPTIBLE;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            CLOCK = lookup.findVarHandle(ConcurrentRunState.class, "clock", long.class);
            STATE = lookup.findVarHandle(ConcurrentRunState.class, "state", int.class);
            NEXT_EVENT = lookup.findVarHandle(ConcurrentRunState.class, "nextEvent", long.class);
            STATE_VERSION = lookup.findVarHandle(ConcurrentRunState.class, "stateVersion", long.class);
            LAST_INTERACTION = lookup.findVarHandle(ConcurrentRunState.class, "lastInteraction", long.class);
            SPIN_CHECK = lookup.findVarHandle(ConcurrentRunState.class, "spinCheck", long.class);
            SPIN_INTERRUPTIBLE = lookup.findVarHandle(ConcurrentRunState.class, "spinInterruptible", boolean.class);
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
    @SuppressWarnings("unused") // accessed through LAST_INTERACTION
    private long lastInteraction = NO_INTERACTION;
    @SuppressWarnings("unused") // accessed through SPIN_CHECK
    private long spinCheck = NOT_SPINNING;
    @SuppressWarnings("unused") // accessed through SPIN_INTERRUPTIBLE
    private boolean spinInterruptible;

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

    /**
     * Records an interaction (an interleaving or order point of parallel mode with exact timing)
     * at {@code time}, before the interaction's store. Release: ordered before the owner's next
     * store of its clock or run state, so that a reader that sees that store sees this one
     * (partner: the acquire reads of {@link #minSpinOrderBoundConsistentAcquire}). Owner only.
     */
    public final void setLastInteractionRelease(long time) {
        // Release, before the owner's later clock and run-state stores (partner: the acquire
        // read after the effective clock in minSpinOrderBoundConsistentAcquire).
        LAST_INTERACTION.setRelease(this, time);
    }

    /**
     * Publishes that the last check of this CPU's spin-wait, at cycle {@code failedCheck}, failed
     * and that the CPU does nothing but its next check at its clock (and, with
     * {@code interruptible}, takes interrupts between checks). A later check of the same wait
     * only raises the cycle: a reader that combines an older cycle with a newer clock reads an
     * earlier failed check, the cautious side (see {@link #minSpinOrderBoundConsistentAcquire}).
     * Owner only.
     */
    public final void setSpinningRelease(long failedCheck, boolean interruptible) {
        SPIN_INTERRUPTIBLE.setRelease(this, interruptible);
        // Release: a reader that sees the cycle sees the clock stored before it (partner: the
        // acquire read of the cycle before the clock in minSpinOrderBoundConsistentAcquire).
        SPIN_CHECK.setRelease(this, failedCheck);
    }

    /**
     * Withdraws the spin-wait publication, then moves the state version on: before the owner
     * acts again (its condition held, or it takes an interrupt), a reader either sees the
     * withdrawal or reads again (partner: the version reads of
     * {@link #minSpinOrderBoundConsistentAcquire}). Owner only.
     */
    public final void clearSpinningVolatile() {
        if ((long) SPIN_CHECK.getOpaque(this) == NOT_SPINNING) {
            return;
        }
        // Volatile: ordered before the version increment below (partner: the version reads
        // around a reader's fields in minSpinOrderBoundConsistentAcquire).
        SPIN_CHECK.setVolatile(this, NOT_SPINNING);
        // Volatile increment (single writer): after the withdrawal, before the owner's next
        // store a reader reads.
        STATE_VERSION.setVolatile(this, (long) STATE_VERSION.getOpaque(this) + 1);
    }

    // ---- the readers' side --------------------------------------------------------------------

    /** The cycle of the last interaction recorded ({@link #NO_INTERACTION} if none). Any thread. */
    public long lastInteractionAcquire() {
        return (long) LAST_INTERACTION.getAcquire(this);
    }

    /** The cycle of the last failed check of the spin-wait in progress, or {@link #NOT_SPINNING}. Any thread. */
    public long spinCheckAcquire() {
        return (long) SPIN_CHECK.getAcquire(this);
    }

    /** Whether the spin-wait in progress takes interrupts between its checks. Any thread. */
    public boolean spinInterruptibleAcquire() {
        return (boolean) SPIN_INTERRUPTIBLE.getAcquire(this);
    }

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

    /*
     * The order bound of a spin-wait's check (parallel mode, exact timing).
     *
     * A check only reads, and reads need no order among themselves: what a check at cycle g of
     * CPU s must see is exactly the writes before (g, s) in the order (cycle, index). Every write
     * still waits for every other CPU's clock (minOrderBoundConsistentAcquire), a spinning CPU's
     * included (its clock is its next check), so no write after (g, s) happens before s's clock
     * passes g. Whether the writes before (g, s) are all done is what the bound tells: no other
     * CPU acts before it from now on. Counting a spinning CPU with its clock there makes two
     * CPUs that spin on each other advance one iteration per host hand-off; but a spinning CPU
     * can act (write anything) only after its condition turned true or an interrupt of its own
     * arrived, so for another spinning CPU's check it counts with the earliest of those.
     *
     * Spinning CPU j (it published the cycle g_j of its last failed check, and its clock c_j is
     * its next check) is "settled" when every CPU's last interaction k (including j's own and the
     * asker's) lies before (g_j, j): every write that can change what j reads lies either before
     * its failed check -- seen, and not enough -- or in the future. Then j acts no earlier than
     *     L_j = max(c_j, min(a_j, min over k not in {self, j} of T_k + [j < k]))
     * where a_j is the arrival of j's earliest pending interrupt (interruptible waits; none
     * otherwise) and T_k what lets k act: a running or idle CPU's effective clock, a settled
     * spinning CPU's own interrupt (anything that triggers it later triggers it through another
     * CPU, counted there), an unsettled one's clock. [j < k]: j sees a write of k at cycle w only
     * at a check after (w, k). The asker itself is left out: it writes nothing before its check,
     * and what it writes afterwards reaches j after (g, self). An unsettled spinning CPU counts
     * with its clock: a write may lie between its failed check and its next one (done by a CPU
     * that has since moved its clock on by local work), and its next check would see it.
     *
     * Why the last interactions suffice: a CPU records each interaction before its store and
     * before its next store of its clock or run state (release), and the pass reads a CPU's
     * effective clock before its last interaction (acquire). A write by k in j's window that the
     * pass does not see in k's last interaction was made after the pass read k's effective clock,
     * at a cycle at or above it, so T_k bounds it and L_j stays at or below the check that sees it.
     *
     * Each CPU's fields are read between two reads of its state version (the owner moves it on
     * when it withdraws its spin publication, before it acts), so a pass never counts a CPU as
     * spinning with the fields of the CPU acting; the whole pass is repeated while an interrupt
     * is posted during it (as in minEffectiveClockConsistentAcquire). The check's own order waits
     * on min over j of L_j (or the effective clock) with the tie rule of minOrderBoundConsistentAcquire.
     */

    /** Longs of scratch per CPU that {@link #minSpinOrderBoundConsistentAcquire} needs. */
    public static final int SPIN_SCRATCH_PER_CPU = 5;

    /**
     * The order bound of a spin-wait check of {@code self} (see the block comment above): as
     * {@link #minOrderBoundConsistentAcquire}, except that a spinning CPU whose last failed check
     * came after every CPU's last interaction counts with the earliest time at which it can act.
     * {@code scratch}: at least {@link #SPIN_SCRATCH_PER_CPU} longs per CPU, the caller's own.
     * The caller's thread (owner of {@code scratch}); reads any CPU.
     */
    public static long minSpinOrderBoundConsistentAcquire(ConcurrentRunState[] cpus, ConcurrentRunState self,
                                                          AtomicLong posts, long[] scratch) {
        final int n = cpus.length;
        final int eff = 0, arr = n, spin = 2 * n, last = 3 * n, trig = 4 * n;
        while (true) {
            long before = posts.getAcquire();
            int si = -1;
            for (int j = 0; j < n; j++) {
                ConcurrentRunState cpu = cpus[j];
                if (cpu == self) {
                    si = j;
                    scratch[last + j] = self.lastInteractionAcquire();
                    continue;
                }
                while (true) {
                    // Volatile version reads around the fields (partner: the increments of
                    // setStateVolatile and clearSpinningVolatile).
                    long version = cpu.stateVersionVolatile();
                    // The spin cycle before the clock: a newer clock with an older cycle reads as
                    // an earlier failed check (cautious); the clock stored before a cycle is seen
                    // with it (release/acquire).
                    long g = cpu.spinCheckAcquire();
                    long e = cpu.effectiveClockSinglePassAcquire();
                    long a = g != NOT_SPINNING && cpu.spinInterruptibleAcquire()
                            ? cpu.earliestPendingArrivalAcquire() : Long.MAX_VALUE;
                    // After the effective clock (see the block comment: a write not seen here
                    // lies at or above the clock read).
                    long li = cpu.lastInteractionAcquire();
                    if (cpu.stateVersionVolatile() == version) {
                        scratch[eff + j] = e;
                        scratch[arr + j] = a;
                        scratch[spin + j] = g;
                        scratch[last + j] = li;
                        break;
                    }
                }
            }
            // Settled spinning CPUs keep their cycle in 'spin'; the others get NOT_SPINNING.
            for (int j = 0; j < n; j++) {
                if (j == si) {
                    continue;
                }
                long g = scratch[spin + j];
                if (g != NOT_SPINNING) {
                    for (int k = 0; k < n; k++) {
                        long li = scratch[last + k];
                        if (li > g || (li == g && k >= j)) {
                            g = NOT_SPINNING;
                            break;
                        }
                    }
                    scratch[spin + j] = g;
                }
                scratch[trig + j] = g != NOT_SPINNING ? scratch[arr + j] : scratch[eff + j];
            }
            long min = Long.MAX_VALUE;
            for (int j = 0; j < n; j++) {
                if (j == si) {
                    continue;
                }
                long b = scratch[eff + j];
                if (scratch[spin + j] != NOT_SPINNING) {
                    long t = scratch[arr + j];
                    for (int k = 0; k < n; k++) {
                        if (k == si || k == j) {
                            continue;
                        }
                        long tk = scratch[trig + k];
                        if (tk != Long.MAX_VALUE && j < k) {
                            tk++;
                        }
                        if (tk < t) {
                            t = tk;
                        }
                    }
                    if (t > b) {
                        b = t;
                    }
                }
                if (b != Long.MAX_VALUE && j < si) {
                    b--;
                }
                if (b < min) {
                    min = b;
                }
            }
            if (posts.getAcquire() == before) {
                return min;
            }
        }
    }
}
