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

    private static final VarHandle CLOCK;
    private static final VarHandle STATE;
    private static final VarHandle NEXT_EVENT;
    private static final VarHandle STATE_VERSION;
    private static final VarHandle POST_COUNT;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            CLOCK = lookup.findVarHandle(ConcurrentRunState.class, "clock", long.class);
            STATE = lookup.findVarHandle(ConcurrentRunState.class, "state", int.class);
            NEXT_EVENT = lookup.findVarHandle(ConcurrentRunState.class, "nextEvent", long.class);
            STATE_VERSION = lookup.findVarHandle(ConcurrentRunState.class, "stateVersion", long.class);
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
     * Counts an interrupt this CPU has just posted and raised. Call it after raising the
     * target's line and before the next store of the clock or run state: a pass that sees any
     * of those stores then sees the count moved, and a pass that sees the count moved sees the
     * raised line ({@link #minOrderBoundCachedAcquire}). Owner only (the one writer).
     */
    public final void countPostRelease() {
        // Release: the target's raised line and posted slot before it (partner: the acquire in
        // postCountAcquire, before the pass reads the target); the poster's next clock or state
        // store is a release or volatile store, so the count is ordered before it.
        POST_COUNT.setRelease(this, (long) POST_COUNT.getOpaque(this) + 1);
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
}
