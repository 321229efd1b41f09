package l4smp.emulator.cache;

import static l4smp.emulator.cache.ConcurrentMesiDirectory.DIRTY_BIT;
import static l4smp.emulator.cache.ConcurrentMesiDirectory.KIND_EXCLUSIVE;
import static l4smp.emulator.cache.ConcurrentMesiDirectory.KIND_MASK;
import static l4smp.emulator.cache.ConcurrentMesiDirectory.OWNER_MASK;
import static l4smp.emulator.cache.ConcurrentMesiDirectory.SLOTS_PER_LINE;
import static l4smp.emulator.cache.ConcurrentMesiDirectory.STAMP;
import static l4smp.emulator.cache.ConcurrentMesiDirectory.WORDS;
import static l4smp.emulator.cache.ConcurrentMesiDirectory.exclusive;
import static l4smp.emulator.cache.ConcurrentMesiDirectory.holds;
import static l4smp.emulator.cache.ConcurrentMesiDirectory.isExclusive;
import static l4smp.emulator.cache.ConcurrentMesiDirectory.shared;
import static l4smp.emulator.cache.ConcurrentMesiDirectory.isModified;
import static l4smp.emulator.cache.ConcurrentMesiDirectory.owner;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import l4smp.emulator.cost.CostModel;
import l4smp.emulator.memory.PhysicalMemory;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The accounting layer: every simulated CPU's L1 and L2 caches, the global MESI directory, and
 * the per-CPU counters; it classifies each memory access and returns the cycles to charge.
 *
 * <h2>How a CPU uses it</h2>
 * <pre>
 *   // a load of a (translated) physical address, on CPU cpu's own thread:
 *   clock += memory.access(cpu, pa, AccessKind.READ);
 *   int v = phys.intPlain(pa);                       // (or intAcquire, as the program needs)
 *   // a store: data first, then the access (its CAS publishes the store with the transition)
 *   phys.setIntPlain(pa, v);
 *   clock += memory.access(cpu, pa, AccessKind.WRITE);
 *   // xchg / lock cmpxchg / lock xadd:
 *   int old = phys.getAndSetInt(pa, 1);
 *   clock += memory.access(cpu, pa, AccessKind.LOCKED_RMW);
 * </pre>
 * The caches hold tags only; the data are in {@link PhysicalMemory} (always coherent, as the
 * hardware guarantees) and the layer decides what the access <em>costs</em> and counts what
 * it did. Costs come from {@link CostModel#memory()}.
 *
 * <h2>Classification and cost</h2>
 * Each access counts one data source ({@link MemoryEvent#L1_HITS}, {@link MemoryEvent#L2_HITS},
 * {@link MemoryEvent#MEMORY_FILLS}) and at most one transition. Its cost is the transition's
 * figure if it caused one (Table 2), else its level's figure (Table 1), plus a write-back if its
 * L2 fill evicted a modified line, plus a bus lock for {@link AccessKind#LOCKED_RMW}. See
 * {@link AccessOutcome} for the transitions. The L2 is inclusive of the L1 (evicting from L2
 * drops the L1 copy); LRU in both; the L2's LRU order sees only L1 misses.
 *
 * <h2>Fractional cycles</h2>
 * Costs are fixed point in centicycles (1/100 cycle, exact for the thesis's two-decimal
 * figures). Each CPU keeps a remainder: {@code access} adds the access's centicycles to it,
 * returns the whole cycles and keeps the rest, so the sum of returned cycles never differs from
 * the exact sum by a cycle or more, and averages over n accesses are exact to 1/n cycle.
 * {@link MemoryEvent#CENTICYCLES} keeps the exact total.
 *
 * <h2>Threads</h2>
 * {@link #access} and the other methods marked "owner CPU only" must be called by the thread
 * that runs that CPU (or, in deterministic mode, by the one thread stepping all CPUs): each
 * CPU's caches, LRU, remainder and counters are plain single-writer data. The directory is
 * shared ({@link ConcurrentMesiDirectory}), in the {@link DirectoryMode} the layer is built
 * with: {@link DirectoryMode#CONCURRENT} (lock-free, a CAS per transition) when several host
 * threads make accesses at once (parallel mode with two or more CPU threads), or
 * {@link DirectoryMode#SINGLE_WRITER} (an opaque store per transition) when one host thread at
 * a time makes them all (deterministic mode, a parallel run of one CPU, the benchmarks' loops);
 * the figures are the same in both. A layer built {@code SINGLE_WRITER} must never be used
 * by two host threads at once ({@code Machine} checks it before it starts CPU threads).
 * Counters are written by their owner with opaque stores and read by anyone with opaque loads
 * ({@code ...Opaque} methods): exact once the machine is quiescent, a recent snapshot while it
 * runs. Hot paths allocate nothing and throw nothing (an address outside physical memory is a
 * caller bug and throws {@link IndexOutOfBoundsException}).
 *
 * <h2>The L1-hit path</h2>
 * An L1 hit (a read of a valid copy, a write of a line already M) is most of what a kernel path
 * charges, so it does the least: the directory chunk of the CPU's last 4 KB frame is kept (a
 * chunk never moves once created), the directory word is read once, and the hit counts in one
 * counter of its own (L1-hit reads or writes) that the readers add into
 * {@link MemoryEvent#READS}/{@link MemoryEvent#WRITES}, {@link MemoryEvent#L1_HITS} and
 * {@link MemoryEvent#CENTICYCLES}; the remainder of the fractional cycles is kept as for any
 * access. The classification, the LRU order and every counter read are the same as if each hit
 * stored its four counters. A coherence miss finds the owner of its address in the CPU's memo
 * of registered ranges (direct mapped by line; a registered range keeps its tag forever) before
 * it asks the {@link ConcurrentAttributionRegistry}. {@code accessAt} stays one method with the
 * slow path's call in it, compiled once out of line rather than inlined into every charging
 * call site of the CPU. It is a method of the CPU's {@link SingleWriterCpuPort}, which holds
 * the CPU's caches, memos and counters and copies of the layer's constants: a CPU keeps its
 * port ({@link #port}) and charges through it, so a hit starts from that one object instead of
 * the layer, its table of CPUs and the CPU's state, each a dependent load (5-9% of the local
 * round trip's host time). A hit stores no outcome: {@link #lastOutcomePlain} reads L1_HIT when the
 * hit count moved since the last access that was not a hit, which stored its own outcome. A
 * locked access to a line already M in the CPU's L1 passes the same test as a write hit and is
 * charged by a short path of its own (the L1 hit plus the bus lock, the counters and outcome of
 * a locked access served by L1), not by the general path's L2 look-up and transition loop.
 *
 * <h2>The last line</h2>
 * Each CPU keeps the line of its previous access. An access to that line skips the frame memo,
 * the set search and the LRU update, and still reads the line's directory word: the line is in
 * the CPU's L1 and is already the most recently used way of its set, because every access ends
 * with its line in L1, touched or filled last (a hit touches it, a miss fills it, and the L2
 * victim a miss drops is another line), and only the CPU itself changes its caches, between
 * its own accesses nothing but {@link #flushCaches}, which forgets the line. Touching the most
 * recently used way again would give it a newer stamp and change no comparison between stamps,
 * so every victim choice, and with it every counter and cycle, is the same as with the touch.
 * The directory word is read as on any hit: another CPU may have invalidated the copy, and
 * then (or for a write or a locked access to a line not yet M) the access takes the general
 * path. {@code AccountingDifferentialTest} checks every figure access by access against a
 * reference model without these shortcuts.
 *
 * <h2>Ordering of data and accounting</h2>
 * With several CPU threads ({@link DirectoryMode#CONCURRENT}), a transition's CAS (volatile)
 * publishes everything its CPU wrote before it; a CPU's {@code access} reads the line's word
 * with acquire. So store the data <em>before</em> the
 * {@code access(WRITE)}, and load it <em>after</em> the {@code access(READ)}: a read whose
 * access found the line modified by another CPU (M&rarr;S) then sees that CPU's data.
 */
public final class MemorySystem {

    private static final Logger LOG = LoggerFactory.getLogger(MemorySystem.class);

    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    /** Padding (longs) before and after each CPU's counter block: 128 bytes, two host lines. */
    private static final int PAD = 16;
    private static final int EVENTS = MemoryEvent.values().length;
    /** Owner-only slots after the counters (plain). */
    private static final int SLOT_CARRY = PAD + EVENTS;
    /**
     * The outcome and the invalidations of this CPU's last access that was not an L1 hit, and
     * the L1 hits counted at its end: a later hit changes the hit count and stores nothing
     * else ({@link #lastOutcomePlain}).
     */
    private static final int SLOT_LAST_OUTCOME = SLOT_CARRY + 1;
    private static final int SLOT_LAST_INVALIDATIONS = SLOT_CARRY + 2;
    private static final int SLOT_LAST_HITS = SLOT_CARRY + 5;
    /**
     * The L1-hit reads and writes of the hot path, kept apart from the event counters so that
     * such a hit stores one counter instead of four (opaque stores by the owner): readers add
     * them into {@link MemoryEvent#READS} / {@link MemoryEvent#WRITES},
     * {@link MemoryEvent#L1_HITS} and (times the L1 hit's cost) {@link MemoryEvent#CENTICYCLES}.
     */
    private static final int SLOT_HIT_READS = SLOT_CARRY + 3;
    private static final int SLOT_HIT_WRITES = SLOT_CARRY + 4;
    private static final int COUNTER_BLOCK = SLOT_CARRY + 6 + PAD;

    private static final int C_READS = PAD + MemoryEvent.READS.ordinal();
    private static final int C_WRITES = PAD + MemoryEvent.WRITES.ordinal();
    private static final int C_LOCKED = PAD + MemoryEvent.LOCKED_RMWS.ordinal();
    private static final int C_L1 = PAD + MemoryEvent.L1_HITS.ordinal();
    private static final int C_L2 = PAD + MemoryEvent.L2_HITS.ordinal();
    private static final int C_MEM = PAD + MemoryEvent.MEMORY_FILLS.ordinal();
    private static final int C_SILENT = PAD + MemoryEvent.SILENT_E_TO_M.ordinal();
    private static final int C_INV = PAD + MemoryEvent.INVALIDATIONS_SENT.ordinal();
    private static final int C_STALE = PAD + MemoryEvent.INVALIDATED_COPY_MISSES.ordinal();
    private static final int C_COH = PAD + MemoryEvent.COHERENCE_MISSES.ordinal();
    private static final int C_SNOOP_WB = PAD + MemoryEvent.SNOOP_WRITEBACKS.ordinal();
    private static final int C_EVICT_WB = PAD + MemoryEvent.EVICTION_WRITEBACKS.ordinal();
    private static final int C_L1_EVICT = PAD + MemoryEvent.L1_EVICTIONS.ordinal();
    private static final int C_L2_EVICT = PAD + MemoryEvent.L2_EVICTIONS.ordinal();
    private static final int C_BUS_LOCKS = PAD + MemoryEvent.BUS_LOCKS.ordinal();
    private static final int C_RETRIES = PAD + MemoryEvent.DIRECTORY_CAS_RETRIES.ordinal();
    private static final int C_CENTI = PAD + MemoryEvent.CENTICYCLES.ordinal();
    private static final int L1_HIT_ORDINAL = AccessOutcome.L1_HIT.ordinal();
    /** Counter of each outcome's transition, or -1 for the levels. */
    private static final int[] TRANSITION_COUNTER = new int[AccessOutcome.values().length];

    static {
        for (AccessOutcome o : AccessOutcome.values()) {
            TRANSITION_COUNTER[o.ordinal()] = o.isCoherenceTransition()
                    ? PAD + MemoryEvent.valueOf(o.name()).ordinal() : -1;
        }
    }

    /** Entries of each CPU's attribution memo (a power of two). */
    private static final int TAG_MEMO = 256;

    private static final int ATTR_BLOCK = PAD + 2 * ConcurrentAttributionRegistry.MAX_TAGS + PAD;

    /**
     * One CPU's side of the layer: its caches, memos and counters, and its accesses'
     * classification ({@link #accessAt}). Everything an L1 hit reads is a field of this one
     * object (the layer's constants are copied in), so a CPU that keeps its port reaches its
     * caches without going through the layer's table of CPUs. <b>Owner CPU only</b> (plain
     * fields), except the counters, which others read with opaque loads through the layer.
     */
    public static final class SingleWriterCpuPort {
        private final MemorySystem system;
        private final int cpu;
        private final int lineShift;
        private final int frameLineShift;
        private final int frameLineMask;
        private final int l1HitWhole;
        private final int l1HitFraction;
        /** Centicycles of a locked access that hits an M line in L1: the L1 hit plus the bus lock. */
        private final int lockedHitCenti;
        final SingleWriterSetAssociativeCache l1;
        final SingleWriterSetAssociativeCache l2;
        /** Padded counters (opaque stores by the owner) plus owner-only slots. */
        final long[] counters = new long[COUNTER_BLOCK];
        /** Padded: [PAD + 2*tag] coherence misses, [PAD + 2*tag + 1] invalidations sent. */
        final long[] attribution = new long[ATTR_BLOCK];
        /**
         * The frame (line number &gt;&gt; lines-per-frame shift) of this CPU's last access, or -1,
         * and its directory chunk (state words and write stamps); a frame's chunk never changes
         * once created, so the memo stays right without invalidation.
         */
        long memoFrame = -1;
        /**
         * The line of this CPU's last access, or -1: in its L1 as the most recently used way of
         * its set, and in {@link #memoFrame} (see "The last line").
         */
        long lastLine = -1;
        long[] memoChunk;
        /**
         * Attribution memo, direct mapped by {@link #tagMemoEntry}: entry i is the registered range
         * [tagRanges[2i], tagRanges[2i + 1]) with tag tagIds[i] (an empty range at first).
         * Registered ranges keep their tags forever, so an entry never goes stale.
         */
        final long[] tagRanges = new long[2 * TAG_MEMO];
        final int[] tagIds = new int[TAG_MEMO];

        SingleWriterCpuPort(MemorySystem system, int cpu, CostModel.MemoryHierarchy h) {
            this.system = system;
            this.cpu = cpu;
            this.lineShift = system.lineShift;
            this.frameLineShift = system.frameLineShift;
            this.frameLineMask = system.frameLineMask;
            this.l1HitWhole = system.l1HitWhole;
            this.l1HitFraction = system.l1HitFraction;
            this.lockedHitCenti = system.l1HitCenti + h.busLockCenti();
            this.l1 = new SingleWriterSetAssociativeCache(h.l1Sets(), h.l1Ways());
            this.l2 = new SingleWriterSetAssociativeCache(h.l2Sets(), h.l2Ways());
            this.memoising = system.singleWriterDirectory;
        }

        /**
         * {@link MemorySystem#accessAt} of this port's CPU.
         *
         * <p><b>Owner CPU only.</b>
         */
        public int accessAt(long physAddr, AccessKind kind, long now) {
            final long line = physAddr >>> lineShift;
            final int index = ((int) line & frameLineMask) * SLOTS_PER_LINE;
            final long[] chunk;
            int l1slot;
            if (line == lastLine) {
                // The line of this CPU's previous access: in its L1 as the most recently used way
                // of its set, and in the memoised frame (see "The last line").
                chunk = memoChunk;
                l1slot = L1_MRU;
            } else {
                chunk = (line >>> frameLineShift) == memoFrame ? memoChunk : frameSlowPath(line);
                l1slot = l1.find(line);
                lastLine = line;
            }
            if (l1slot != -1) {
                // Acquire: pairs with the CAS of the CPU that last changed this line, so what it
                // stored before that transition is visible after this access.
                final long word = (long) WORDS.getAcquire(chunk, index);
                if (kind == AccessKind.READ ? holdsValid(word, cpu) : word == exclusive(cpu, true)) {
                    if (kind == AccessKind.LOCKED_RMW) {
                        return lockedL1Hit(l1slot == L1_MRU ? -1 : l1slot, chunk, index, now);
                    }
                    // L1 hit: a valid copy, and for a write already M. No bus cycle.
                    if (l1slot >= 0) {
                        l1.touch(l1slot);
                    }
                    final long[] c = counters;
                    increment(c, kind == AccessKind.READ ? SLOT_HIT_READS : SLOT_HIT_WRITES);
                    // The remainder as carry() keeps it: the hit's fraction is below 100.
                    final long sum = c[SLOT_CARRY] + l1HitFraction;
                    final int over = sum >= 100 ? 1 : 0;
                    c[SLOT_CARRY] = sum - 100 * over;
                    final int cycles = l1HitWhole + over;
                    if (kind != AccessKind.READ && now != UNTIMED) {
                        stamp(chunk, index, now + cycles);
                    }
                    return cycles;
                }
            }
            if (l1slot == L1_MRU) {
                l1slot = l1.find(line);
            }
            int cycles = system.accessSlow(this, cpu, physAddr, line, chunk, index, kind, l1slot);
            if (now != UNTIMED) {
                final int outcome = (int) counters[SLOT_LAST_OUTCOME];
                if (outcome == AccessOutcome.M_TO_S.ordinal() || outcome == AccessOutcome.M_TO_M.ordinal()) {
                    // Acquire: pairs with the writer's release of the stamp.
                    final long written = (long) WORDS.getAcquire(chunk, index + STAMP);
                    if (written > now) {
                        cycles += (int) Math.min(Integer.MAX_VALUE / 2, written - now);
                    }
                }
                if (kind != AccessKind.READ) {
                    stamp(chunk, index, now + cycles);
                }
            }
            return cycles;
        }

        /**
         * A locked read-modify-write of a line this CPU holds M in its L1 ({@code l1slot}, or -1
         * for the line of its previous access, already the most recently used way): what the
         * general path makes of it without its L2 look-up and transition loop -- outcome L1_HIT,
         * no transition (the line stays M), the L1 hit's cost plus the bus lock, the counters
         * of a locked access served by L1, and the write stamp. No cache tag or directory word
         * changes, but the access is no plain hit (a replay charges only plain hits), so on a
         * SINGLE_WRITER layer it moves the state epoch on as the general path does: a run with it
         * is never noted (see "Memoised hit runs").
         */
        private int lockedL1Hit(int l1slot, long[] chunk, int index, long now) {
            if (memoising) {
                system.singleWriterEpoch++;
            }
            if (l1slot >= 0) {
                l1.touch(l1slot);
            }
            final long[] c = counters;
            increment(c, C_LOCKED);
            increment(c, C_L1);
            increment(c, C_BUS_LOCKS);
            c[SLOT_LAST_OUTCOME] = L1_HIT_ORDINAL;
            c[SLOT_LAST_INVALIDATIONS] = 0;
            c[SLOT_LAST_HITS] = c[SLOT_HIT_READS] + c[SLOT_HIT_WRITES];
            final int cycles = charge(c, lockedHitCenti);
            if (now != UNTIMED) {
                stamp(chunk, index, now + cycles);
            }
            return cycles;
        }

        /*
         * Memoised hit runs. A run of a plan (accessRun) whose accesses were all L1 hits leaves
         * every cache and directory state as it found it except the L1's LRU stamps, the hit
         * counters, the cycle remainder and the written lines' stamps: a hit changes no tag and
         * no directory word. With the directory in SINGLE_WRITER mode every change of a tag or a
         * word goes through accessSlow or flushCaches on the one host thread, each of which moves
         * the layer's state epoch on. So while the epoch is the one of a run that was all hits,
         * the same accesses (the same plan, bases and entries) are all hits again, each in the L1
         * slot it had: a read finds its copy valid and a write its line M, as they did. The memo
         * (SingleWriterAccessPlan.Memo) keeps what the run found -- the L1 slots it touches, in
         * order, each write's line state word and the line it ends on -- and a replay charges the
         * run as accessAt's hit path charges it access by access: the LRU touches (none where an
         * access repeats the line of the access before it, the last-line rule, the first included),
         * the hit counts, the remainder and the cycles, and each write's stamp at the clock its
         * access completes (each hit adds the same fraction to the remainder, so the clocks follow
         * in closed form). What it leaves out is the classification: the frame memo, the set
         * search, the directory word, access by access. A run whose clock would pass the horizon
         * before its last access is charged call by call, and so is every run on a CONCURRENT
         * directory, which changes under other host threads without an epoch. A locked access
         * that hits an M line in L1 moves the epoch on too (lockedL1Hit): a run with one is never
         * all plain hits, so it is never noted.
         *
         * Recording on second sight. Finding a run's slots and chunks costs about what charging
         * it access by access does, and many runs that were all hits are never asked for again
         * at their epoch: a thread's first IPC charges runs that its own later misses (the first
         * touches of its other TCB and UTCB lines) move the epoch past. So a run that was all
         * hits is only noted in the way it would have been recorded in (its key, length, owner
         * and epoch: what holds() compares), and the way is filled -- the slots, writes and last
         * line found as the run left them -- when the same run is asked for again while the way
         * holds, just before its first replay. That is the same state: while the epoch is the noted one no
         * tag and no directory word has changed, the lines follow from the same bases, and a
         * chunk never changes once created. The ways hold and are replaced exactly as if every
         * noted run had been recorded at once, so every run is replayed or charged as before.
         */

        /** Whether runs may be memoised: the directory is SINGLE_WRITER (see "Memoised hit runs"). */
        private final boolean memoising;
        /** Where the last accessRun stopped: the index of the entry after the last one it charged. */
        private int runNext;
        /** The clock at which the last access of the last accessRun began. */
        private long runLastAt;

        /**
         * {@link #accessAt} of entries {@code from} to {@code end - 1} of {@code plan} in order (the
         * word at {@code bases[base] + offset}, of its kind), each at the clock before it plus the
         * cycles of those before ({@code now}, a clock, for the first): exactly the figures of
         * those single calls. Stops after the first access whose clock passes {@code horizon}
         * (the caller's slack or order check), or after entry {@code end - 1};
         * {@link #runNextPlain} then says where, and {@link #runLastAtPlain} when the last access
         * began. A run that the plan's memo holds is replayed (see "Memoised hit runs"); a run
         * from the first entry that was all hits is noted there, and recorded when it is asked for
         * again (see "Recording on second sight"). At least the entry
         * {@code from} is charged: {@code from < end}.
         *
         * <p><b>Owner CPU only</b>, and {@code plan} one that only this CPU charges.
         * Allocation-free except on a frame's first touch.
         *
         * @return the clock after the last access charged
         */
        public long accessRun(long[] bases, SingleWriterAccessPlan plan, int from, int end, long now, long horizon) {
            if (memoising && from == 0) {
                final long epoch = system.singleWriterEpoch;
                SingleWriterAccessPlan.Memo m = plan.recent;
                if (!holds(m, plan, bases, end, epoch)) {
                    m = plan.older;
                    if (!holds(m, plan, bases, end, epoch)) {
                        return accessRunSingly(bases, plan, 0, end, now, horizon, epoch);
                    }
                    plan.older = plan.recent;
                    plan.recent = m;
                }
                if (!m.filled && !fill(m, plan, bases)) {
                    return accessRunSingly(bases, plan, 0, end, now, horizon, -1);
                }
                final long after = replay(m, now, horizon);
                if (after != REPLAY_PAST_HORIZON) {
                    return after;
                }
            }
            return accessRunSingly(bases, plan, from, end, now, horizon, -1);
        }

        /** Whether memo way {@code m} holds a run of this port with {@code bases}, up to {@code end}, at {@code epoch}. */
        private boolean holds(SingleWriterAccessPlan.Memo m, SingleWriterAccessPlan plan, long[] bases, int end, long epoch) {
            if (m.epoch != epoch || m.owner != this || end != m.count) {
                return false;
            }
            final int[] used = plan.usedBases;
            final long[] key = m.key;
            for (int j = 0; j < used.length; j++) {
                if (key[j] != bases[used[j]]) {
                    return false;
                }
            }
            return true;
        }

        /**
         * accessRun by accessAt calls; then, when the run went from the first entry to {@code end}
         * and the epoch is still {@code epoch} (not -1: a run from the first entry in
         * SINGLE_WRITER mode), every access was a hit and the run is noted in the plan's memo
         * (see "Recording on second sight").
         */
        private long accessRunSingly(long[] bases, SingleWriterAccessPlan plan, int from, int end, long now,
                                     long horizon, long epoch) {
            final int[] entries = plan.entries;
            long lastAt = now;
            int i = from;
            while (i < end) {
                lastAt = now;
                final int e = entries[i++];
                now += accessAt(SingleWriterAccessPlan.address(bases, e), SingleWriterAccessPlan.kind(e), lastAt);
                if (now > horizon) {
                    break;
                }
            }
            runNext = i;
            runLastAt = lastAt;
            if (epoch != -1 && i == end && system.singleWriterEpoch == epoch) {
                note(plan, bases, end, epoch);
            }
            return now;
        }

        /**
         * Notes a run of entries 0 to {@code end - 1} that was all L1 hits at {@code epoch} in the
         * plan's older way, made the recent one: its key, length, owner and epoch; the way is
         * filled at its first replay ({@link #fill}, "Recording on second sight").
         */
        private void note(SingleWriterAccessPlan plan, long[] bases, int end, long epoch) {
            final SingleWriterAccessPlan.Memo m = plan.older;
            final int[] used = plan.usedBases;
            final long[] key = m.key;
            for (int j = 0; j < used.length; j++) {
                key[j] = bases[used[j]];
            }
            m.filled = false;
            if (m.owner != this) {
                m.owner = this; // a reference store (with G1's barrier) only when the owner changes
            }
            m.count = end;
            m.epoch = epoch;
            plan.older = plan.recent;
            plan.recent = m;
        }

        /**
         * Fills way {@code m}, which holds a noted run of {@code plan} with {@code bases} at the
         * layer's current epoch: the L1 slots its accesses touch, its writes' stamp words and
         * the line it ends on, found now as the run left them (see "Recording on second sight").
         * Returns false, the way emptied, if a line is not in the L1 (it cannot be after a hit).
         */
        private boolean fill(SingleWriterAccessPlan.Memo m, SingleWriterAccessPlan plan, long[] bases) {
            final int[] entries = plan.entries;
            final int end = m.count;
            int touches = 0;
            int writes = 0;
            long previous = -1;
            for (int i = 0; i < end; i++) {
                final int e = entries[i];
                final long line = SingleWriterAccessPlan.address(bases, e) >>> lineShift;
                final long[] chunk = system.directory.chunkFor(line);
                if (i == 0 || line != previous) {
                    final int slot = l1.find(line);
                    if (slot == -1) {
                        m.epoch = -1;
                        return false;
                    }
                    if (i == 0) {
                        m.firstLine = line;
                        m.firstSlot = slot;
                    } else {
                        m.touchSlots[touches++] = slot;
                    }
                }
                if (SingleWriterAccessPlan.kind(e) != AccessKind.READ) {
                    m.writePositions[writes] = i + 1;
                    m.writeChunks[writes] = chunk;
                    m.writeIndexes[writes] = ((int) line & frameLineMask) * SLOTS_PER_LINE;
                    writes++;
                }
                m.lastLine = line;
                m.lastChunk = chunk;
                previous = line;
            }
            m.touches = touches;
            m.writes = writes;
            m.filled = true;
            return true;
        }

        /**
         * Charges the memoised hit run {@code m} from its first entry (see "Memoised hit runs"),
         * unless an access before its last would end past {@code horizon}: then nothing is
         * charged and {@link #REPLAY_PAST_HORIZON} returned. The accesses' cycles follow from the
         * remainder alone (each hit adds the same fraction), so the clock after access k is
         * {@code now + k * whole + (carry + k * fraction) / 100}, the sum accessAt's hit path
         * makes access by access.
         */
        private long replay(SingleWriterAccessPlan.Memo m, long now, long horizon) {
            final int n = m.count;
            final long[] c = counters;
            final long carry = c[SLOT_CARRY];
            final int whole = l1HitWhole;
            final int fraction = l1HitFraction;
            // The clock as the last access begins: the run stops there if that is past the horizon.
            final long lastAt = now + (n - 1) * (long) whole + (carry + (n - 1) * (long) fraction) / 100;
            if (lastAt > horizon) {
                return REPLAY_PAST_HORIZON;
            }
            final long sum = carry + n * (long) fraction;
            final long after = now + n * (long) whole + sum / 100;
            // The LRU touches, in order (the first unless it repeats the CPU's previous line).
            final SingleWriterSetAssociativeCache cache = l1;
            final long[] stamps = cache.stamps;
            long lru = cache.lruClock();
            if (m.firstLine != lastLine) {
                stamps[m.firstSlot] = ++lru;
            }
            final int[] touchSlots = m.touchSlots;
            for (int t = 0, touches = m.touches; t < touches; t++) {
                stamps[touchSlots[t]] = ++lru;
            }
            cache.setLruClock(lru);
            // The writes' stamps, each at the clock its access completes.
            final int[] positions = m.writePositions;
            final long[][] chunks = m.writeChunks;
            final int[] indexes = m.writeIndexes;
            final int writes = m.writes;
            for (int w = 0; w < writes; w++) {
                final long k = positions[w];
                stamp(chunks[w], indexes[w], now + k * whole + (carry + k * fraction) / 100);
            }
            c[SLOT_CARRY] = sum % 100;
            if (n != writes) {
                add(c, SLOT_HIT_READS, n - writes);
            }
            if (writes != 0) {
                add(c, SLOT_HIT_WRITES, writes);
            }
            lastLine = m.lastLine;
            memoFrame = m.lastLine >>> frameLineShift;
            memoChunk = m.lastChunk;
            runNext = n;
            runLastAt = lastAt;
            return after;
        }

        /** The index of the entry after the last one the last {@link #accessRun} charged. Owner only. */
        public int runNextPlain() {
            return runNext;
        }

        /** The clock at which the last access of the last {@link #accessRun} began. Owner only. */
        public long runLastAtPlain() {
            return runLastAt;
        }

        /** A frame other than the last one's: its chunk (created on the frame's first touch), memoised. */
        private long[] frameSlowPath(long line) {
            final long[] chunk = system.directory.chunkFor(line);
            memoFrame = line >>> frameLineShift;
            memoChunk = chunk;
            return chunk;
        }
    }
    private final CostModel cost;
    private final CostModel.MemoryHierarchy hierarchy;
    private final PhysicalMemory physicalMemory;
    private final ConcurrentMesiDirectory directory;
    /** The directory's mode is {@link DirectoryMode#SINGLE_WRITER}: tested once per transition. */
    private final boolean singleWriterDirectory;
    private final ConcurrentAttributionRegistry attribution;
    private final SingleWriterCpuPort[] cpus;
    private final int lineShift;
    /** log2 of the lines of a 4 KB frame (the directory's chunk), and the mask of a line's index in it. */
    private final int frameLineShift;
    private final int frameLineMask;
    /** Centicycles of each outcome, by ordinal. */
    private final int[] outcomeCenti;
    private final int l1HitCenti;
    /** An L1 hit's whole cycles and the fraction (centicycles below 100) it adds to the remainder. */
    private final int l1HitWhole;
    private final int l1HitFraction;

    /** A memory system with its own attribution registry, in {@link DirectoryMode#CONCURRENT} mode. */
    public MemorySystem(CostModel cost, int cpus, PhysicalMemory physicalMemory) {
        this(cost, cpus, physicalMemory, new ConcurrentAttributionRegistry());
    }

    /** A memory system with its own attribution registry, in the given directory mode. */
    public MemorySystem(CostModel cost, int cpus, PhysicalMemory physicalMemory, DirectoryMode mode) {
        this(cost, cpus, physicalMemory, new ConcurrentAttributionRegistry(), mode);
    }

    /** A memory system in {@link DirectoryMode#CONCURRENT} mode. */
    public MemorySystem(CostModel cost, int cpus, PhysicalMemory physicalMemory,
                        ConcurrentAttributionRegistry attribution) {
        this(cost, cpus, physicalMemory, attribution, DirectoryMode.CONCURRENT);
    }

    /**
     * @param mode which host threads may use the layer: {@link DirectoryMode#SINGLE_WRITER} only
     *             when one host thread at a time makes every CPU's accesses (see "Threads")
     */
    public MemorySystem(CostModel cost, int cpus, PhysicalMemory physicalMemory,
                        ConcurrentAttributionRegistry attribution, DirectoryMode mode) {
        if (cpus <= 0 || cpus > ConcurrentMesiDirectory.MAX_CPUS) {
            throw new IllegalArgumentException("cpus must be in [1, " + ConcurrentMesiDirectory.MAX_CPUS + "]: " + cpus);
        }
        this.cost = cost;
        this.hierarchy = cost.memory();
        this.physicalMemory = physicalMemory;
        this.attribution = attribution;
        this.directory = new ConcurrentMesiDirectory(physicalMemory.frameCount(), hierarchy.lineBytes(), mode);
        this.singleWriterDirectory = mode == DirectoryMode.SINGLE_WRITER;
        this.lineShift = hierarchy.lineShift();
        this.frameLineShift = 12 - lineShift;
        this.frameLineMask = (1 << frameLineShift) - 1;
        this.outcomeCenti = new int[AccessOutcome.values().length];
        outcomeCenti[AccessOutcome.L1_HIT.ordinal()] = hierarchy.l1HitCenti();
        outcomeCenti[AccessOutcome.L2_HIT.ordinal()] = hierarchy.l2HitCenti();
        outcomeCenti[AccessOutcome.MEMORY.ordinal()] = hierarchy.memoryCenti();
        outcomeCenti[AccessOutcome.E_TO_S.ordinal()] = hierarchy.eToSCenti();
        outcomeCenti[AccessOutcome.E_TO_M.ordinal()] = hierarchy.eToMCenti();
        outcomeCenti[AccessOutcome.M_TO_S.ordinal()] = hierarchy.mToSCenti();
        outcomeCenti[AccessOutcome.M_TO_M.ordinal()] = hierarchy.mToMCenti();
        outcomeCenti[AccessOutcome.S_TO_M.ordinal()] = hierarchy.sToMCenti();
        outcomeCenti[AccessOutcome.S_TO_S.ordinal()] = hierarchy.sharedFillCenti();
        this.l1HitCenti = hierarchy.l1HitCenti();
        this.l1HitWhole = l1HitCenti / 100;
        this.l1HitFraction = l1HitCenti % 100;
        // After the constants: each port copies them.
        this.cpus = new SingleWriterCpuPort[cpus];
        for (int i = 0; i < cpus; i++) {
            this.cpus[i] = new SingleWriterCpuPort(this, i, hierarchy);
        }
        LOG.debug("memory system: {} CPUs, {} directory, {} ({} B lines, L1 {} KB/{}-way, L2 {} KB/{}-way), {} MB physical",
                cpus, mode, cost.name(), hierarchy.lineBytes(), hierarchy.l1Bytes() / 1024, hierarchy.l1Ways(),
                hierarchy.l2Bytes() / 1024, hierarchy.l2Ways(), physicalMemory.sizeBytes() >> 20);
    }

    // =================================================================== the hot path

    /**
     * Charges one access of CPU {@code cpu} to the line of {@code physAddr}: classifies it,
     * changes the directory and the CPU's caches, counts it.
     *
     * <p><b>Owner CPU only.</b> No allocation except on the first touch of a 4 KB frame.
     *
     * @return whole simulated cycles to add to the CPU's clock (the fraction is carried)
     */
    public int access(int cpu, long physAddr, AccessKind kind) {
        return accessAt(cpu, physAddr, kind, UNTIMED);
    }

    /** {@link #accessAt}'s {@code now} when the caller keeps no clock (the section 3.2 procedures). */
    public static final long UNTIMED = Long.MIN_VALUE;

    /**
     * {@link #access} by a CPU whose clock reads {@code now}: in addition, a write stamps the line
     * with the cycle it completes, and an access that takes a modified line from another CPU
     * (M&rarr;S, M&rarr;M) completes no earlier than that stamp plus its own cost, because the
     * data do not exist before they were written. The wait is part of the returned cycles (not
     * of {@link MemoryEvent#CENTICYCLES}, which counts the layer's costs).
     *
     * <p><b>Owner CPU only.</b>
     */
    public int accessAt(int cpu, long physAddr, AccessKind kind, long now) {
        return cpus[cpu].accessAt(physAddr, kind, now);
    }

    /**
     * CPU {@code cpu}'s side of the layer, for the CPU to keep: {@link SingleWriterCpuPort#accessAt}
     * is {@link #accessAt} for that CPU. <b>Owner CPU only</b> (its accesses).
     */
    public SingleWriterCpuPort port(int cpu) {
        return cpus[cpu];
    }

    /** {@code l1slot} of an access to the last line: in L1, already the most recently used way. */
    static final int L1_MRU = -2;

    /** What a replay returns instead of a clock when it charged nothing (no clock is this low). */
    private static final long REPLAY_PAST_HORIZON = Long.MIN_VALUE;

    /**
     * The layer's state epoch in {@link DirectoryMode#SINGLE_WRITER} mode: moved on by every
     * access that is not a plain L1 hit and by every flush: by every change of a cache tag or a
     * directory word, and by a locked access that hits an M line in L1, which changes neither but
     * which a replay cannot charge (see the port's "Memoised hit runs"). Plain: written and read
     * only by the one host thread that makes every access; never written in CONCURRENT mode.
     */
    long singleWriterEpoch;

    /** {@link ConcurrentMesiDirectory#holds}, small enough to be inlined into the hot path. */
    private static boolean holdsValid(long word, int cpu) {
        return (word & KIND_MASK) == KIND_EXCLUSIVE ? (int) (word & OWNER_MASK) == cpu : ((word >>> cpu) & 1L) != 0;
    }

    /** Stores the write stamp of the line whose state word is at {@code index} of {@code chunk}. */
    private static void stamp(long[] chunk, int index, long completedAt) {
        // Release: the stamp is published after the data the caller stored before this access.
        WORDS.setRelease(chunk, index + STAMP, completedAt);
    }

    private int accessSlow(SingleWriterCpuPort s, int cpu, long physAddr, long line, long[] chunk, int index,
                           AccessKind kind, int l1slot) {
        if (singleWriterDirectory) {
            singleWriterEpoch++; // caches or directory may change (see the port's "Memoised hit runs")
        }
        final long[] c = s.counters;
        final boolean write = kind != AccessKind.READ;
        increment(c, kind == AccessKind.READ ? C_READS : kind == AccessKind.WRITE ? C_WRITES : C_LOCKED);

        int extraCenti = 0;
        long l2Victim = SingleWriterSetAssociativeCache.EMPTY;
        int l2slot = s.l2.findOrVictim(line);
        final boolean tagPresent = l2slot >= 0;
        if (!tagPresent) {
            // Make room in L2 first; the directory then lists this CPU only while the tag is there.
            l2slot = -1 - l2slot;
            l2Victim = s.l2.tagAt(l2slot);
            if (l2Victim != SingleWriterSetAssociativeCache.EMPTY) {
                // Its L1 copy goes below, with the L1 fill (inclusive L2: back-invalidate L1).
                extraCenti += evictFromDirectory(s, cpu, l2Victim);
            }
            s.l2.fill(l2slot, line);
        }

        AccessOutcome outcome;
        boolean mine;
        boolean silentUpgrade;
        int invalidations;
        while (true) {
            // Acquire: pairs with the CAS of the last transition of this line.
            final long word = (long) WORDS.getAcquire(chunk, index);
            mine = holds(word, cpu);
            silentUpgrade = false;
            invalidations = 0;
            final long update;
            if (mine) {
                outcome = l1slot >= 0 ? AccessOutcome.L1_HIT : AccessOutcome.L2_HIT;
                if (!write || isModified(word)) {
                    break;                                   // valid copy; a write finds it M
                }
                update = exclusive(cpu, true);
                if (isExclusive(word)) {
                    silentUpgrade = true;                    // own E -> M, no bus cycle
                } else {
                    outcome = AccessOutcome.S_TO_M;          // own S -> M, invalidate the others
                    invalidations = Long.bitCount(word) - 1;
                }
            } else if (!write) {
                if (word == 0) {
                    update = exclusive(cpu, false);
                    outcome = AccessOutcome.MEMORY;
                } else if (isExclusive(word)) {
                    update = (1L << owner(word)) | (1L << cpu); // two sharers: never reads as exclusive
                    outcome = (word & DIRTY_BIT) != 0 ? AccessOutcome.M_TO_S : AccessOutcome.E_TO_S;
                } else {
                    update = shared(word | (1L << cpu), cpu);
                    if (update != (word | (1L << cpu))) {
                        invalidations = 1; // 64 CPUs: a sharer dropped (ConcurrentMesiDirectory)
                    }
                    outcome = AccessOutcome.S_TO_S;
                }
            } else {
                update = exclusive(cpu, true);
                if (word == 0) {
                    outcome = AccessOutcome.MEMORY;
                } else if (isExclusive(word)) {
                    invalidations = 1;
                    outcome = (word & DIRTY_BIT) != 0 ? AccessOutcome.M_TO_M : AccessOutcome.E_TO_M;
                } else {
                    invalidations = Long.bitCount(word);
                    outcome = AccessOutcome.S_TO_M;
                }
            }
            // The transition: a CAS (volatile) in CONCURRENT mode, the line's next one in the
            // global order, publishing this CPU's earlier stores to whoever next reads the word
            // with acquire; an opaque store in SINGLE_WRITER mode (ConcurrentMesiDirectory).
            if (ConcurrentMesiDirectory.transition(singleWriterDirectory, chunk, index, word, update)) {
                break;
            }
            increment(c, C_RETRIES);                         // lost the race: re-read, recompute
        }

        // The caches: the line is now (or still) valid here; fill L1, keep LRU.
        if (l1slot >= 0) {
            s.l1.touch(l1slot);                              // in L1, so in L2: no L2 victim
        } else {
            if (tagPresent) {
                s.l2.touch(l2slot);
            }
            // The L2 victim's L1 copy (if any) is dropped first, in the same pass when it is in
            // this line's set: the slot is then the one victimSlot would pick after a remove.
            final int v;
            if (s.l1.sameSet(l2Victim, line)) {
                v = s.l1.victimSlotDropping(line, l2Victim);
            } else {
                s.l1.remove(l2Victim);
                v = s.l1.victimSlot(line);
            }
            if (s.l1.tagAt(v) != SingleWriterSetAssociativeCache.EMPTY) {
                increment(c, C_L1_EVICT);
            }
            s.l1.fill(v, line);
        }

        // Count.
        final boolean stale = tagPresent && !mine;
        increment(c, mine ? (l1slot >= 0 ? C_L1 : C_L2) : C_MEM);
        final int transitionCounter = TRANSITION_COUNTER[outcome.ordinal()];
        if (transitionCounter >= 0) {
            increment(c, transitionCounter);
        }
        if (silentUpgrade) {
            increment(c, C_SILENT);
        }
        if (invalidations != 0) {
            add(c, C_INV, invalidations);
        }
        if (outcome == AccessOutcome.M_TO_S || outcome == AccessOutcome.M_TO_M) {
            increment(c, C_SNOOP_WB);
        }
        if (stale) {
            increment(c, C_STALE);
        }
        int centi = outcomeCenti[outcome.ordinal()] + extraCenti;
        if (kind == AccessKind.LOCKED_RMW) {
            increment(c, C_BUS_LOCKS);
            centi += hierarchy.busLockCenti();
        }
        if (stale || transitionCounter >= 0) {
            increment(c, C_COH);
            final int tag = tagOf(s, line, physAddr);
            final long[] a = s.attribution;
            add(a, PAD + 2 * tag, 1);
            if (invalidations != 0) {
                add(a, PAD + 2 * tag + 1, invalidations);
            }
        }
        c[SLOT_LAST_OUTCOME] = outcome.ordinal();
        c[SLOT_LAST_INVALIDATIONS] = invalidations;
        c[SLOT_LAST_HITS] = c[SLOT_HIT_READS] + c[SLOT_HIT_WRITES];
        return charge(c, centi);
    }

    /**
     * The attribution tag of {@code physAddr} (in {@code line}): from the CPU's memo when its
     * entry for the line covers the address, else from the registry (memoising a tagged answer;
     * an untagged one may change with a later registration).
     */
    private int tagOf(SingleWriterCpuPort s, long line, long physAddr) {
        final int e = tagMemoEntry(line);
        final long[] r = s.tagRanges;
        if (physAddr >= r[2 * e] && physAddr < r[2 * e + 1]) {
            return s.tagIds[e];
        }
        final int tag = attribution.tagAndRangeOfAcquire(physAddr, r, 2 * e);
        if (tag != 0) {
            s.tagIds[e] = tag;
        }
        return tag;
    }

    /**
     * The memo entry of {@code line}: its low bits, so that the lines of 8 KB of kernel data
     * (with 32 B lines) take different entries. A cross-processor round trip touches two
     * mailboxes 2 KB apart and two TCBs a few KB from them: with 64 entries (2 KB) the mailboxes
     * took the same entry and evicted each other on every coherence miss, each time a binary
     * search of the registry (4 of the round trip's 36 coherence misses).
     */
    static int tagMemoEntry(long line) {
        return (int) line & (TAG_MEMO - 1);
    }

    /**
     * Drops {@code victim} from this CPU's caches and from the directory. Owner CPU only.
     *
     * @return extra centicycles (a write-back of a modified line)
     */
    private int evict(SingleWriterCpuPort s, int cpu, long victim) {
        s.l1.remove(victim);                                 // inclusive L2: back-invalidate L1
        return evictFromDirectory(s, cpu, victim);
    }

    /**
     * Drops {@code victim} from the directory (the caller drops it from this CPU's caches).
     * Owner CPU only.
     *
     * @return extra centicycles (a write-back of a modified line)
     */
    private int evictFromDirectory(SingleWriterCpuPort s, int cpu, long victim) {
        final long[] chunk = directory.chunkFor(victim);
        final int index = directory.indexInChunk(victim);
        final long[] c = s.counters;
        while (true) {
            // Acquire: pairs with the last transition's CAS.
            final long word = (long) WORDS.getAcquire(chunk, index);
            if (!holds(word, cpu)) {
                return 0;                                    // a stale copy: already invalidated
            }
            final long update = isExclusive(word) ? ConcurrentMesiDirectory.INVALID : shared(word & ~(1L << cpu), cpu);
            // Removes only this CPU (a CAS, or an opaque store in SINGLE_WRITER mode); the data
            // (in physical memory) stay valid.
            if (ConcurrentMesiDirectory.transition(singleWriterDirectory, chunk, index, word, update)) {
                increment(c, C_L2_EVICT);
                if (isExclusive(word) && (word & DIRTY_BIT) != 0) {
                    increment(c, C_EVICT_WB);
                    return hierarchy.evictionWritebackCenti();
                }
                return 0;
            }
            increment(c, C_RETRIES);
        }
    }

    /** Adds centicycles to the CPU's exact total and remainder; returns whole cycles. */
    private static int charge(long[] c, int centi) {
        add(c, C_CENTI, centi);
        return carry(c, centi);
    }

    /**
     * Adds centicycles to the CPU's remainder only (the caller counts them in the exact total,
     * directly or as an L1 hit); returns whole cycles.
     */
    private static int carry(long[] c, int centi) {
        final long carry = c[SLOT_CARRY] + centi;
        // The common case (an L1 hit, 98 centicycles) without a division.
        if (carry < 200) {
            final int whole = carry < 100 ? 0 : 1;
            c[SLOT_CARRY] = carry - whole * 100L;
            return whole;
        }
        final long whole = carry / 100;
        c[SLOT_CARRY] = carry - whole * 100;
        return (int) whole;
    }

    private static void increment(long[] c, int slot) {
        // Opaque store by the single writer: readers on other threads get an untorn recent value.
        LONGS.setOpaque(c, slot, c[slot] + 1);
    }

    private static void add(long[] c, int slot, long delta) {
        // Opaque store by the single writer (see increment).
        LONGS.setOpaque(c, slot, c[slot] + delta);
    }

    // =================================================================== owner-side helpers

    /**
     * Counts an event of another part of the CPU (the MMU's TLB and walk counters).
     * <b>Owner CPU only.</b>
     */
    public void incrementCounter(int cpu, MemoryEvent event) {
        increment(cpus[cpu].counters, PAD + event.ordinal());
    }

    /**
     * Charges extra centicycles (e.g. a page walk's own work) through the CPU's remainder.
     * <b>Owner CPU only.</b>
     *
     * @return whole cycles to add to the CPU's clock
     */
    public int chargeCentiCycles(int cpu, int centi) {
        if (centi < 0) {
            throw new IllegalArgumentException("negative charge " + centi);
        }
        return charge(cpus[cpu].counters, centi);
    }

    /**
     * Writes back and invalidates this CPU's whole cache ({@code wbinvd}). <b>Owner CPU only.</b>
     *
     * @return whole cycles of the write-backs
     */
    public int flushCaches(int cpu) {
        SingleWriterCpuPort s = cpus[cpu];
        if (singleWriterDirectory) {
            singleWriterEpoch++; // the caches and the directory change (see the port's "Memoised hit runs")
        }
        int centi = 0;
        for (int slot = 0; slot < s.l2.capacity(); slot++) {
            long tag = s.l2.tagAt(slot);
            if (tag != SingleWriterSetAssociativeCache.EMPTY) {
                centi += evict(s, cpu, tag);
                s.l2.clear(slot);
            }
        }
        for (int slot = 0; slot < s.l1.capacity(); slot++) {
            s.l1.clear(slot);
        }
        s.lastLine = -1;
        return charge(s.counters, centi);
    }

    /** How this CPU's most recent access was served. <b>Owner CPU only</b> (or quiescent). */
    public AccessOutcome lastOutcomePlain(int cpu) {
        final long[] c = cpus[cpu].counters;
        return hitSinceLastOther(c) ? AccessOutcome.L1_HIT : AccessOutcome.ofOrdinal((int) c[SLOT_LAST_OUTCOME]);
    }

    /** Copies the most recent access invalidated. <b>Owner CPU only</b> (or quiescent). */
    public int lastInvalidationsPlain(int cpu) {
        final long[] c = cpus[cpu].counters;
        return hitSinceLastOther(c) ? 0 : (int) c[SLOT_LAST_INVALIDATIONS];
    }

    /** Whether an L1 hit came after the last access that was not one (the hot path stores no outcome). */
    private static boolean hitSinceLastOther(long[] c) {
        return c[SLOT_HIT_READS] + c[SLOT_HIT_WRITES] != c[SLOT_LAST_HITS];
    }

    // =================================================================== any thread

    /** {@code cpu}'s MESI state of the line of {@code physAddr}, per the directory. Any thread. */
    public LineState stateAcquire(int cpu, long physAddr) {
        return directory.stateAcquire(physAddr >>> lineShift, cpu);
    }

    /** The raw directory word of the line of {@code physAddr} (see {@link ConcurrentMesiDirectory}). */
    public long directoryWordAcquire(long physAddr) {
        return directory.stateAcquire(physAddr >>> lineShift);
    }

    /** One counter of one CPU; any thread (a recent value while that CPU runs). */
    public long countOpaque(int cpu, MemoryEvent event) {
        return counterOpaque(cpus[cpu].counters, event.ordinal());
    }

    /** Event {@code e} (by ordinal) of a counter block, with the hot path's L1 hits added in. Any thread. */
    private long counterOpaque(long[] c, int e) {
        final long v = (long) LONGS.getOpaque(c, PAD + e);
        if (e == READS_ORDINAL) {
            return v + (long) LONGS.getOpaque(c, SLOT_HIT_READS);
        }
        if (e == WRITES_ORDINAL) {
            return v + (long) LONGS.getOpaque(c, SLOT_HIT_WRITES);
        }
        if (e == L1_HITS_ORDINAL || e == CENTI_ORDINAL) {
            final long hits = (long) LONGS.getOpaque(c, SLOT_HIT_READS) + (long) LONGS.getOpaque(c, SLOT_HIT_WRITES);
            return v + (e == L1_HITS_ORDINAL ? hits : hits * l1HitCenti);
        }
        return v;
    }

    private static final int READS_ORDINAL = MemoryEvent.READS.ordinal();
    private static final int WRITES_ORDINAL = MemoryEvent.WRITES.ordinal();
    private static final int L1_HITS_ORDINAL = MemoryEvent.L1_HITS.ordinal();
    private static final int CENTI_ORDINAL = MemoryEvent.CENTICYCLES.ordinal();

    /** One counter summed over all CPUs; any thread. */
    public long totalOpaque(MemoryEvent event) {
        long sum = 0;
        for (int i = 0; i < cpus.length; i++) {
            sum += countOpaque(i, event);
        }
        return sum;
    }

    /** All counters of one CPU, indexed by {@link MemoryEvent#ordinal()}; any thread. */
    public long[] snapshotOpaque(int cpu) {
        long[] out = new long[EVENTS];
        for (int e = 0; e < EVENTS; e++) {
            out[e] = counterOpaque(cpus[cpu].counters, e);
        }
        return out;
    }

    /** All counters summed over the CPUs, indexed by {@link MemoryEvent#ordinal()}; any thread. */
    public long[] totalsOpaque() {
        long[] out = new long[EVENTS];
        for (int i = 0; i < cpus.length; i++) {
            long[] one = snapshotOpaque(i);
            for (int e = 0; e < EVENTS; e++) {
                out[e] += one[e];
            }
        }
        return out;
    }

    /** The totals as a readable map (reports); any thread. */
    public Map<MemoryEvent, Long> totalsMapOpaque() {
        long[] t = totalsOpaque();
        Map<MemoryEvent, Long> m = new EnumMap<>(MemoryEvent.class);
        for (MemoryEvent e : MemoryEvent.values()) {
            m.put(e, t[e.ordinal()]);
        }
        return m;
    }

    /** Simulated cycles this layer charged to {@code cpu}, exact (fractional); any thread. */
    public double chargedCyclesOpaque(int cpu) {
        return countOpaque(cpu, MemoryEvent.CENTICYCLES) / 100.0;
    }

    /** Coherence misses of {@code cpu} on addresses owned by tag {@code tagId}; any thread. */
    public long attributedCoherenceMissesOpaque(int cpu, int tagId) {
        return (long) LONGS.getOpaque(cpus[cpu].attribution, PAD + 2 * tagId);
    }

    /** Copies invalidated by {@code cpu}'s accesses to addresses owned by {@code tagId}; any thread. */
    public long attributedInvalidationsOpaque(int cpu, int tagId) {
        return (long) LONGS.getOpaque(cpus[cpu].attribution, PAD + 2 * tagId + 1);
    }

    /**
     * Per tag name, summed over CPUs: {coherence misses, invalidations sent}; tags with no
     * traffic are left out. Any thread.
     */
    public Map<String, long[]> attributionReportOpaque() {
        Map<String, long[]> out = new LinkedHashMap<>();
        List<String> names = attribution.tagNamesAcquire();
        for (int tag = 0; tag < names.size(); tag++) {
            long misses = 0;
            long inv = 0;
            for (int i = 0; i < cpus.length; i++) {
                misses += attributedCoherenceMissesOpaque(i, tag);
                inv += attributedInvalidationsOpaque(i, tag);
            }
            if (misses != 0 || inv != 0) {
                out.put(names.get(tag), new long[] {misses, inv});
            }
        }
        return out;
    }

    // =================================================================== invariants

    /**
     * Checks the MESI invariants: every directory word well formed (at most one M/E owner, and
     * then no sharers; sharers only among existing CPUs); every CPU the directory lists holds
     * the line's tag in its L2; every L1 tag is in L2 (inclusion). Tags the directory no longer
     * lists are counted as stale copies (invalidated by another CPU, noticed lazily), which is
     * allowed.
     *
     * <p>Reads every CPU's private caches: call only while the machine is quiescent (all CPU
     * threads stopped or parked at a barrier, or from the one thread of deterministic mode).
     */
    public InvariantReport checkInvariants() {
        List<String> violations = new ArrayList<>();
        long held = 0;
        final int n = cpus.length;
        for (int ci = 0; ci < directory.chunkCount(); ci++) {
            long[] chunk = directory.chunkAtAcquire(ci);
            if (chunk == null) {
                continue;
            }
            for (int i = 0; i < chunk.length; i += SLOTS_PER_LINE) {
                // Acquire: the checker runs after the CPUs stopped; pairs with their last CAS.
                long word = (long) WORDS.getAcquire(chunk, i);
                if (word == 0) {
                    continue;
                }
                held++;
                long line = directory.lineOf(ci, i);
                String where = "line 0x" + Long.toHexString(line << lineShift) + " "
                        + ConcurrentMesiDirectory.describe(word) + ": ";
                if (isExclusive(word)) {
                    int owner = owner(word); // no sharers by encoding: the marker field is fixed
                    if (owner >= n) {
                        violations.add(where + "owner CPU " + owner + " does not exist");
                    } else if (cpus[owner].l2.find(line) < 0) {
                        violations.add(where + "owner CPU " + owner + " does not hold the line in its caches");
                    }
                } else {
                    if (n < 64 && (word >>> n) != 0) {
                        violations.add(where + "sharers beyond the " + n + " CPUs");
                    }
                    for (int cpu = 0; cpu < n; cpu++) {
                        if (((word >>> cpu) & 1) != 0 && cpus[cpu].l2.find(line) < 0) {
                            violations.add(where + "sharer CPU " + cpu + " does not hold the line in its caches");
                        }
                    }
                }
            }
        }
        long stale = 0;
        for (int cpu = 0; cpu < n; cpu++) {
            SingleWriterCpuPort s = cpus[cpu];
            for (int slot = 0; slot < s.l1.capacity(); slot++) {
                long tag = s.l1.tagAt(slot);
                if (tag != SingleWriterSetAssociativeCache.EMPTY && s.l2.find(tag) < 0) {
                    violations.add("CPU " + cpu + ": line 0x" + Long.toHexString(tag << lineShift)
                            + " in L1 but not in the inclusive L2");
                }
            }
            for (int slot = 0; slot < s.l2.capacity(); slot++) {
                long tag = s.l2.tagAt(slot);
                if (tag != SingleWriterSetAssociativeCache.EMPTY && !holds(directory.stateAcquire(tag), cpu)) {
                    stale++;
                }
            }
        }
        return new InvariantReport(violations, held, stale);
    }

    // =================================================================== accessors

    public CostModel costModel() { return cost; }

    public int cpuCount() { return cpus.length; }

    public int lineBytes() { return hierarchy.lineBytes(); }

    public PhysicalMemory physicalMemory() { return physicalMemory; }

    public ConcurrentAttributionRegistry attribution() { return attribution; }

    public ConcurrentMesiDirectory directory() { return directory; }

    /** Which host threads may use this layer (see "Threads"). */
    public DirectoryMode directoryMode() { return directory.mode(); }
}
