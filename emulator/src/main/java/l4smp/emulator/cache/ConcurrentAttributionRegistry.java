package l4smp.emulator.cache;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Who owns which physical addresses: disjoint address ranges, each with a tag ("TCB local",
 * "mailbox", "spinlock", ...), so that coherence misses can be attributed to a named owner.
 *
 * <p>Tags are interned to small ids; id 0 is {@link AttributionTags#UNTAGGED}. At most
 * {@value #MAX_TAGS} tags.
 *
 * <h2>Algorithm</h2>
 * The ranges are kept sorted by start in three parallel arrays with spare capacity; a snapshot
 * is those arrays and a count, published with a release store. Entries below a published count
 * are never written again while readers may hold that snapshot: a range that starts at or after
 * the end of the last one (the kernel region's bump allocator registers in address order) is
 * written into the spare slot {@code count} and published by a new snapshot of count + 1, so a
 * registration costs O(1) amortised (the arrays double when full, into fresh arrays). A range
 * that must go between two registered ones is a slow path: fresh arrays with it inserted, O(n).
 * Readers see a consistent prefix: the slots of a snapshot were written before its release.
 *
 * <p><b>Thread contract.</b> Thread-safe. Registration (setup time) is serialised by the
 * object's monitor and publishes a snapshot with a release store; lookups
 * ({@link #tagOfAcquire}, {@link #tagAndRangeOfAcquire}) read the snapshot with an acquire
 * load and binary-search its first {@code count} entries without locking or allocating.
 */
public final class ConcurrentAttributionRegistry {

    /** Most distinct tags. */
    public static final int MAX_TAGS = 64;

    private static final VarHandle SNAPSHOT;

    static {
        try {
            SNAPSHOT = MethodHandles.lookup().findVarHandle(ConcurrentAttributionRegistry.class, "snapshot", Snapshot.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * Sorted, disjoint ranges [starts[i], ends[i]) with tag ids, for i below {@code count}; those
     * entries are immutable once published (slots from {@code count} on may be filled later).
     */
    private record Snapshot(long[] starts, long[] ends, int[] tagIds, int count, String[] names) { }

    /** Initial capacity of the range arrays. */
    private static final int INITIAL_CAPACITY = 16;

    @SuppressWarnings("unused") // accessed through SNAPSHOT
    private Snapshot snapshot = new Snapshot(new long[INITIAL_CAPACITY], new long[INITIAL_CAPACITY],
            new int[INITIAL_CAPACITY], 0, new String[] {AttributionTags.UNTAGGED});

    /** Registrations that went into fresh arrays (growth or an insertion between ranges); under the monitor. */
    private long copies;

    /** The id of {@code tag}, interning it if new. */
    public synchronized int tagId(String tag) {
        Snapshot s = snapshotAcquire();
        for (int i = 0; i < s.names.length; i++) {
            if (s.names[i].equals(tag)) {
                return i;
            }
        }
        if (s.names.length >= MAX_TAGS) {
            throw new IllegalStateException("more than " + MAX_TAGS + " attribution tags");
        }
        String[] names = Arrays.copyOf(s.names, s.names.length + 1);
        names[s.names.length] = tag;
        // Release: publishes the new immutable snapshot to lock-free readers.
        SNAPSHOT.setRelease(this, new Snapshot(s.starts, s.ends, s.tagIds, s.count, names));
        return s.names.length;
    }

    /**
     * Registers {@code [start, start + length)} as owned by {@code tag}.
     *
     * @return the tag's id
     * @throws IllegalArgumentException if the range is empty or overlaps a registered one
     */
    public synchronized int register(long start, long length, String tag) {
        if (start < 0 || length <= 0) {
            throw new IllegalArgumentException("bad range " + start + "+" + length);
        }
        int id = tagId(tag);
        Snapshot s = snapshotAcquire();
        long end = start + length;
        int n = s.count;
        if (n == 0 || start >= s.ends[n - 1]) {
            // Fast path: after every registered range (address order, the bump allocator's).
            long[] starts = s.starts;
            long[] ends = s.ends;
            int[] ids = s.tagIds;
            if (n == starts.length) {
                int capacity = 2 * n;
                starts = Arrays.copyOf(starts, capacity);
                ends = Arrays.copyOf(ends, capacity);
                ids = Arrays.copyOf(ids, capacity);
                copies++;
            }
            starts[n] = start;
            ends[n] = end;
            ids[n] = id;
            // Release: publishes slot n (written above) with the new count to lock-free readers.
            SNAPSHOT.setRelease(this, new Snapshot(starts, ends, ids, n + 1, s.names));
            return id;
        }
        return insertSlowPath(s, start, end, length, tag, id);
    }

    /** A range that goes before the last registered one: fresh arrays with it inserted. */
    private int insertSlowPath(Snapshot s, long start, long end, long length, String tag, int id) {
        int n = s.count;
        int pos = lowerBound(s.starts, n, start);
        if ((pos > 0 && s.ends[pos - 1] > start) || (pos < n && s.starts[pos] < end)) {
            throw new IllegalArgumentException("range 0x" + Long.toHexString(start) + "+" + length
                    + " (" + tag + ") overlaps a registered range");
        }
        int capacity = n == s.starts.length ? 2 * n : s.starts.length;
        long[] starts = new long[capacity];
        long[] ends = new long[capacity];
        int[] ids = new int[capacity];
        System.arraycopy(s.starts, 0, starts, 0, pos);
        System.arraycopy(s.ends, 0, ends, 0, pos);
        System.arraycopy(s.tagIds, 0, ids, 0, pos);
        starts[pos] = start;
        ends[pos] = end;
        ids[pos] = id;
        System.arraycopy(s.starts, pos, starts, pos + 1, n - pos);
        System.arraycopy(s.ends, pos, ends, pos + 1, n - pos);
        System.arraycopy(s.tagIds, pos, ids, pos + 1, n - pos);
        copies++;
        // Release: publishes the fresh arrays to lock-free readers.
        SNAPSHOT.setRelease(this, new Snapshot(starts, ends, ids, n + 1, s.names));
        return id;
    }

    /** The first index below {@code n} whose start is not below {@code start} (n if none). */
    private static int lowerBound(long[] starts, int n, long start) {
        int lo = 0;
        int hi = n;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (starts[mid] < start) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** Registered ranges. */
    public synchronized int rangeCount() {
        return snapshotAcquire().count;
    }

    /**
     * Registrations that copied the range arrays (a growth by doubling, or an insertion before
     * the last range): about log2 of the ranges for registrations in address order.
     */
    public synchronized long arrayCopies() {
        return copies;
    }

    /** The tag id owning {@code physAddr}, 0 (untagged) if none. Lock-free, no allocation. */
    public int tagOfAcquire(long physAddr) {
        Snapshot s = snapshotAcquire();
        int i = rangeIndex(s, physAddr);
        return i >= 0 ? s.tagIds[i] : 0;
    }

    /**
     * {@link #tagOfAcquire}, and for an address in a registered range, that range: its start in
     * {@code out[at]} and its end in {@code out[at + 1]} (untouched for an untagged address).
     * A registered range never changes its tag and is never removed, so a caller may keep the
     * answer for every address of the range; an untagged answer may change (a later
     * registration). Lock-free, no allocation.
     */
    int tagAndRangeOfAcquire(long physAddr, long[] out, int at) {
        Snapshot s = snapshotAcquire();
        int i = rangeIndex(s, physAddr);
        if (i >= 0) {
            out[at] = s.starts[i];
            out[at + 1] = s.ends[i];
            return s.tagIds[i];
        }
        return 0;
    }

    /** The index in {@code s} of the registered range holding {@code physAddr}, -1 if none (binary search). */
    private static int rangeIndex(Snapshot s, long physAddr) {
        long[] starts = s.starts;
        int lo = 0;
        int hi = s.count - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (starts[mid] <= physAddr) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return hi >= 0 && physAddr < s.ends[hi] ? hi : -1;
    }

    /** The name of a tag id. */
    public String tagNameAcquire(int tagId) {
        return snapshotAcquire().names[tagId];
    }

    /** All tag names, index = id. */
    public List<String> tagNamesAcquire() {
        return List.of(snapshotAcquire().names);
    }

    /** The registered ranges, for reports: "start-end tag". */
    public List<String> describeRangesAcquire() {
        Snapshot s = snapshotAcquire();
        List<String> out = new ArrayList<>();
        for (int i = 0; i < s.count; i++) {
            out.add(String.format("0x%x-0x%x %s", s.starts[i], s.ends[i], s.names[s.tagIds[i]]));
        }
        return out;
    }

    private Snapshot snapshotAcquire() {
        // Acquire: pairs with the release in register/tagId.
        return (Snapshot) SNAPSHOT.getAcquire(this);
    }
}
