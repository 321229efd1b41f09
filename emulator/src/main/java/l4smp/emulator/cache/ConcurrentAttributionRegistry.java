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
 * <p><b>Thread contract.</b> Thread-safe. Registration (setup time, rare) is serialised by the
 * object's monitor and publishes an immutable sorted snapshot with a release store; lookups
 * ({@link #tagOfAcquire}) read the snapshot with an acquire load and binary-search it without
 * locking or allocating.
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

    /** Sorted, disjoint ranges [starts[i], ends[i]) with tag ids; immutable once published. */
    private record Snapshot(long[] starts, long[] ends, int[] tagIds, String[] names) { }

    @SuppressWarnings("unused") // accessed through SNAPSHOT
    private Snapshot snapshot = new Snapshot(new long[0], new long[0], new int[0],
            new String[] {AttributionTags.UNTAGGED});

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
        SNAPSHOT.setRelease(this, new Snapshot(s.starts, s.ends, s.tagIds, names));
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
        int pos = 0;
        while (pos < s.starts.length && s.starts[pos] < start) {
            pos++;
        }
        if ((pos > 0 && s.ends[pos - 1] > start) || (pos < s.starts.length && s.starts[pos] < end)) {
            throw new IllegalArgumentException("range 0x" + Long.toHexString(start) + "+" + length
                    + " (" + tag + ") overlaps a registered range");
        }
        int n = s.starts.length;
        long[] starts = new long[n + 1];
        long[] ends = new long[n + 1];
        int[] ids = new int[n + 1];
        System.arraycopy(s.starts, 0, starts, 0, pos);
        System.arraycopy(s.ends, 0, ends, 0, pos);
        System.arraycopy(s.tagIds, 0, ids, 0, pos);
        starts[pos] = start;
        ends[pos] = end;
        ids[pos] = id;
        System.arraycopy(s.starts, pos, starts, pos + 1, n - pos);
        System.arraycopy(s.ends, pos, ends, pos + 1, n - pos);
        System.arraycopy(s.tagIds, pos, ids, pos + 1, n - pos);
        // Release: publishes the new immutable snapshot to lock-free readers.
        SNAPSHOT.setRelease(this, new Snapshot(starts, ends, ids, s.names));
        return id;
    }

    /** The tag id owning {@code physAddr}, 0 (untagged) if none. Lock-free, no allocation. */
    public int tagOfAcquire(long physAddr) {
        Snapshot s = snapshotAcquire();
        long[] starts = s.starts;
        int lo = 0;
        int hi = starts.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (starts[mid] <= physAddr) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return hi >= 0 && physAddr < s.ends[hi] ? s.tagIds[hi] : 0;
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
        for (int i = 0; i < s.starts.length; i++) {
            out.add(String.format("0x%x-0x%x %s", s.starts[i], s.ends[i], s.names[s.tagIds[i]]));
        }
        return out;
    }

    private Snapshot snapshotAcquire() {
        // Acquire: pairs with the release in register/tagId.
        return (Snapshot) SNAPSHOT.getAcquire(this);
    }
}
