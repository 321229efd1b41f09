package l4smp.emulator.cpu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

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
    private static final VarHandle POST_COUNT;

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
            POST_COUNT = lookup.findVarHandle(ConcurrentRunState.class, "postCount", long.class);
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
    /**
     * The interrupts this CPU has posted to any CPU (single writer: the poster). In this line,
     * which the owner writes on every charge anyway and a pass reads with the clock: no line
     * that every CPU writes.
     */
    @SuppressWarnings("unused") // accessed through POST_COUNT
    private long postCount;

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

    /**
     * Counts an interrupt this CPU has just posted and raised. Call it after raising the
     * target's line and before the next store of the clock or run state: a pass that sees any
     * of those stores then sees the count moved, and a pass that sees the count moved sees the
     * raised line ({@link #minOrderBoundCachedAcquire}, {@link #minEffectiveClockConsistentAcquire},
     * {@link #minSpinOrderBoundConsistentAcquire}). The owner's later stores of its last
     * interaction and spin publication are release stores too, so a spin-wait check's pass
     * that sees one of them also sees the count. Owner only (the one writer).
     */
    public final void countPostRelease() {
        // Release: the target's raised line and posted slot before it (partner: the acquire in
        // postCountAcquire, before the pass reads the target); the poster's next clock or state
        // store is a release or volatile store, so the count is ordered before it.
        POST_COUNT.setRelease(this, (long) POST_COUNT.getOpaque(this) + 1);
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

    /** The interrupts this CPU has posted so far ({@link #countPostRelease}). Any thread. */
    public long postCountAcquire() {
        return (long) POST_COUNT.getAcquire(this);
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
        return effectiveClockInStateAcquire(stateAcquire());
    }

    /**
     * {@link #effectiveClockAcquire}, noting in {@code cache} the run state it was computed
     * from (the kind of entry {@code slot}). Owner of {@code cache} only.
     */
    final long effectiveClockNoteStateAcquire(OrderPassCache cache, int slot) {
        while (true) {
            // Volatile version reads around the pass, as in effectiveClockAcquire (partner: the
            // increment in setStateVolatile).
            long version = stateVersionVolatile();
            int st = stateAcquire();
            long eff = effectiveClockInStateAcquire(st);
            if (stateVersionVolatile() == version) {
                cache.kind[slot] = st == RUNNING ? OrderPassCache.RUNNING_BOUND
                        : st == STOPPED ? OrderPassCache.STOPPED_BOUND : OrderPassCache.IDLE_BOUND;
                return eff;
            }
        }
    }

    /** The effective clock of run state {@code st} (just read) from the other fields. */
    private long effectiveClockInStateAcquire(int st) {
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
     * {@link #minEffectiveClockAcquire} as one consistent pass: repeated until no CPU it reads
     * posted an interrupt while it ran. It reads every CPU's post count first (their sum: a
     * count only grows), then each CPU's effective clock followed by its count, and keeps the
     * pass when the second sum equals the first. The CPUs are read one after the other, not as
     * one snapshot: a pass that reads an idle target before a post and the sender after the
     * sender moved past the arrival counts neither, and its minimum lies above the arrival;
     * such a pass reads the sender's count after a store the sender made after counting the
     * post ({@link #countPostRelease}), so it sees the count moved, while its first read of
     * that count, before it read the target, did not (had it, the target's read after it would
     * have seen the raised line). Lock-free: a pass is repeated only because some CPU posted.
     * Any thread.
     */
    public static long minEffectiveClockConsistentAcquire(ConcurrentRunState[] cpus, ConcurrentRunState self) {
        while (true) {
            long before = postCountSumAcquire(cpus, self);
            long after = 0;
            long min = Long.MAX_VALUE;
            for (ConcurrentRunState cpu : cpus) {
                if (cpu != self) {
                    long eff = cpu.effectiveClockAcquire();
                    // Acquire, after the acquire reads of the effective clock (partner: the
                    // release in countPostRelease, before the poster's next clock or state store).
                    after += cpu.postCountAcquire();
                    if (eff < min) {
                        min = eff;
                    }
                }
            }
            if (after == before) {
                return min;
            }
        }
    }

    /** The sum of the post counts of {@code cpus} other than {@code self}, each read with acquire. */
    private static long postCountSumAcquire(ConcurrentRunState[] cpus, ConcurrentRunState self) {
        long sum = 0;
        for (ConcurrentRunState cpu : cpus) {
            if (cpu != self) {
                sum += cpu.postCountAcquire();
            }
        }
        return sum;
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
     * cycle, so a wait on the bound always has one CPU that goes on.
     *
     * <p>This pass reads only what it must for {@code cycle}: the CPUs whose entry in
     * {@code cache} (what {@code self} last read of them) lies below {@code cycle}, and with
     * {@code cycle} {@code Long.MAX_VALUE} every CPU that has not stopped. The bound it returns
     * is at least {@code cycle} exactly when a pass reading every CPU would return at least
     * {@code cycle}; below that it may be lower (an entry kept from an earlier pass is a lower
     * bound, not the CPU's effective clock now). Owner of {@code cache} ({@code self}) only.
     *
     * <h2>When a cached entry stays a bound</h2>
     * An entry is the effective clock e of CPU j as a consistent read found it, and it is kept
     * as a bound below which j will not act. It stays one:
     * <ul>
     *   <li>read while j ran (e is its clock): for good. j acts only at its clock, which only
     *       grows; going idle does not change that (it wakes at the later of its clock and the
     *       arrival or event that wakes it), nor does any interrupt posted to it later.</li>
     *   <li>read while j was stopped: for good. A stopped CPU never runs again (a failed CPU
     *       stops before it starts; any other stops when the machine does).</li>
     *   <li>read while j idled or was parked (e is its next event, or the earlier arrival of
     *       an interrupt already pending): until an interrupt is posted to j after the read. j
     *       cannot change its next event without running first, and running it starts at e or
     *       later (at the event, or at the later of its clock and the interrupt's arrival); only a
     *       new post, arriving before e, makes it act below e.</li>
     *   <li>an interrupt {@code self} posts to j itself lowers the entry to the arrival
     *       ({@link OrderPassCache#lowerTo}, as {@link OrderHorizon#lowerTo} lowers the horizon),
     *       and the entry counts as an idle one from then on.</li>
     * </ul>
     * So only posts by other CPUs can spoil an entry, and only an idle one. Each CPU counts the
     * interrupts it posts in its own run-state line ({@link #countPostRelease}: single writer,
     * after raising the target's line and before its next store of its clock or run state), and
     * the cache keeps with each entry the count read right after it. A pass that reads a CPU
     * whose count moved since its previous read drops every idle entry (they are read again,
     * after that count, so they see the raised line) and runs again.
     *
     * <p>Why that suffices: suppose the pass returns m and some CPU T later acts at x below m.
     * T's entry is at least m, so it is an idle entry read before some post to T arriving at
     * a, at most x, made by a CPU S at its clock c below a (an arrival lies the IPI or bus
     * latency after the send; with ties, as for the order horizon). If S is {@code self}, the
     * entry was lowered to a, below m: impossible. Otherwise S's entry is at least m, above
     * c. If it was read while S ran, the read saw a clock stored after the post, so the count
     * read after it included the post; the first read of S's count that did so found it moved,
     * after the post, and dropped T's entry, which was read again later: after the post, a
     * contradiction. If S's entry was read while S idled, S acted (posted) below its entry: the
     * same argument for S, with a post to S earlier in host time than the post to T -- a
     * finite chain that ends at a running entry or at {@code self}. Lock-free: a pass is
     * repeated only because some CPU posted.
     */
    public static long minOrderBoundCachedAcquire(ConcurrentRunState[] cpus, ConcurrentRunState self,
                                                  OrderPassCache cache, long cycle) {
        long[] seen = cache.seen;
        byte[] kind = cache.kind;
        long[] posts = cache.posts;
        while (true) {
            cache.passes++;
            boolean posted = false;
            long min = Long.MAX_VALUE;
            int earlier = 1;
            for (int i = 0; i < cpus.length; i++) {
                ConcurrentRunState cpu = cpus[i];
                if (cpu == self) {
                    earlier = 0;
                    continue;
                }
                long eff = seen[i];
                if (eff != Long.MAX_VALUE && eff != Long.MIN_VALUE) { // MIN_VALUE: no entry
                    eff -= earlier;
                }
                if (kind[i] != OrderPassCache.STOPPED_BOUND
                        && (eff < cycle || cycle == Long.MAX_VALUE)) {
                    cache.reads++;
                    long fresh = cpu.effectiveClockNoteStateAcquire(cache, i);
                    // Acquire, after the acquire reads of the effective clock (partner: the
                    // release in countPostRelease, before the poster's next clock or state store).
                    long count = cpu.postCountAcquire();
                    if (count != posts[i]) {
                        posts[i] = count;
                        posted = true;
                    }
                    seen[i] = fresh;
                    eff = fresh == Long.MAX_VALUE ? fresh : fresh - earlier;
                }
                if (eff < min) {
                    min = eff;
                }
            }
            if (!posted) {
                return min;
            }
            cache.invalidateIdleEntries();
        }
    }

    /*
     * The order bound of a spin-wait's check (parallel mode, exact timing).
     *
     * A check only reads, and reads need no order among themselves: what a check at cycle g of
     * CPU s must see is exactly the writes before (g, s) in the order (cycle, index). Every write
     * still waits for every other CPU's clock (the order pass, minOrderBoundCachedAcquire), a
     * spinning CPU's included (its clock is its next check), so no write after (g, s) happens
     * before s's clock passes g. The order pass reads a spinning CPU as any running one: its run
     * state stays RUNNING while it spins, the pass reads its clock and never its spin
     * publication, and the clock only grows, so the pass's cached entry of it (a running entry)
     * stays a bound for good; withdrawing the publication moves the state version on, which
     * only makes a consistent read of that CPU read again. Whether the writes before (g, s) are
     * all done is what the bound tells: no other CPU acts before it from now on. Counting a
     * spinning CPU with its clock there makes two CPUs that spin on each other advance one
     * iteration per host hand-off; but a spinning CPU can act (write anything) only after its
     * condition turned true or an interrupt of its own arrived, so for another spinning CPU's
     * check it counts with the earliest of those.
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
     * spinning with the fields of the CPU acting. The check's own order waits on min over j of
     * L_j (or the effective clock) with the tie rule of the order pass (minOrderBoundCachedAcquire).
     *
     * Interrupt posts. A post lowers what its target can act at (an idle CPU's effective clock,
     * a spinning CPU's a_j) without any store of the target's, so a pass that read the target
     * before the post and the poster after the poster moved past the arrival would count
     * neither. As in minEffectiveClockConsistentAcquire, each CPU counts its own posts
     * (countPostRelease: after raising the target's line, before its next release store of its
     * clock, run state, last interaction or spin publication); the pass sums the counts of the
     * CPUs other than self first, then reads each CPU's count after its fields, and is kept only
     * when the two sums are equal (counts only grow, so equal sums mean no count moved). Such a
     * straddling pass reads the poster's fields after a store made after the count, so its
     * second read of that count sees the post, while its first read, taken before it read the
     * target, did not (had it, the target's read after it would have seen the raised line and
     * the arrival). The asker's own count is left out: it posts nothing while its pass runs.
     *
     * The counts stand for interrupt posts only, and that is all this pass needs them for. The
     * writes that end a spin-wait are plain stores by other CPUs, covered by the last
     * interactions above (recorded before the store, read after the effective clock); a spinning
     * CPU's withdrawal of its publication by its state version; neither a write nor a withdrawal
     * counts as a post, nor needs to.
     */

    /** Longs of scratch per CPU that {@link #minSpinOrderBoundConsistentAcquire} needs. */
    public static final int SPIN_SCRATCH_PER_CPU = 5;

    /**
     * The order bound of a spin-wait check of {@code self} (see the block comment above): as the
     * order bound of a pass over all CPUs ({@link #minOrderBoundCachedAcquire} with cycle
     * {@code Long.MAX_VALUE}), except that a spinning CPU whose last failed check came after
     * every CPU's last interaction counts with the earliest time at which it can act. Repeated
     * until no CPU it reads posted an interrupt while it ran (the sum of the CPUs' post counts
     * before and after, as {@link #minEffectiveClockConsistentAcquire}).
     * {@code scratch}: at least {@link #SPIN_SCRATCH_PER_CPU} longs per CPU, the caller's own.
     * The caller's thread (owner of {@code scratch}); reads any CPU.
     */
    public static long minSpinOrderBoundConsistentAcquire(ConcurrentRunState[] cpus, ConcurrentRunState self,
                                                          long[] scratch) {
        final int n = cpus.length;
        final int eff = 0, arr = n, spin = 2 * n, last = 3 * n, trig = 4 * n;
        while (true) {
            long before = postCountSumAcquire(cpus, self);
            long after = 0;
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
                // Acquire, after the acquire reads of the fields (partner: the release in
                // countPostRelease, before the poster's next release store of any of them).
                after += cpu.postCountAcquire();
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
            if (after == before) {
                return min;
            }
        }
    }
}
