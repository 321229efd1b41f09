package l4smp.bench.hunt;

/**
 * Which seeds of a hunt one process runs: the hunt covers {@code count} seeds from {@code from}
 * ({@code from, from + 1, ..., from + count - 1}); shard {@code index} of {@code shards} takes
 * every {@code shards}-th of them starting with the {@code index}-th, so the shards of one hunt
 * are disjoint and together cover every seed (a batch engine runs one shard per node and
 * {@code hunt --merge} combines their results). Immutable.
 *
 * @param from   the hunt's first seed
 * @param count  the hunt's seeds (all shards together)
 * @param index  this shard, 0..shards-1
 * @param shards the number of shards, at least 1
 */
public record SeedShard(long from, long count, int index, int shards) {

    public SeedShard {
        if (count < 1) {
            throw new IllegalArgumentException("option --seeds must be at least 1, got " + count);
        }
        if (shards < 1 || index < 0 || index >= shards) {
            throw new IllegalArgumentException("option --shard must be I/N with 0 <= I < N, got " + index + "/" + shards);
        }
        if (from > Long.MAX_VALUE - count) {
            throw new IllegalArgumentException("option --from " + from + " plus --seeds " + count + " overflows");
        }
    }

    /** All seeds in one process. */
    public static SeedShard whole(long from, long count) {
        return new SeedShard(from, count, 0, 1);
    }

    /** Parses {@code I/N} (e.g. {@code 3/16}). */
    public static SeedShard parse(long from, long count, String text) {
        int slash = text.indexOf('/');
        if (slash <= 0 || slash == text.length() - 1) {
            throw new IllegalArgumentException("option --shard must be I/N (e.g. 0/4), got '" + text + "'");
        }
        int i;
        int n;
        try {
            i = Integer.parseInt(text.substring(0, slash).trim());
            n = Integer.parseInt(text.substring(slash + 1).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("option --shard must be I/N with whole numbers, got '" + text + "'");
        }
        return new SeedShard(from, count, i, n);
    }

    /** The seeds this shard runs: {@code ceil((count - index) / shards)}, 0 when index >= count. */
    public long size() {
        return index >= count ? 0 : (count - index + shards - 1) / shards;
    }

    /** The {@code j}-th seed of this shard ({@code 0 <= j < size()}), in increasing order. */
    public long seed(long j) {
        if (j < 0 || j >= size()) {
            throw new IndexOutOfBoundsException("seed " + j + " of a shard of " + size());
        }
        return from + index + j * shards;
    }

    /** Whether {@code seed} belongs to this shard. */
    public boolean contains(long seed) {
        long k = seed - from;
        return k >= 0 && k < count && k % shards == index;
    }

    /** {@code I/N}, as given. */
    public String label() {
        return index + "/" + shards;
    }
}
