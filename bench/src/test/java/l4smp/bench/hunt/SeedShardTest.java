package l4smp.bench.hunt;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shard arithmetic of a sharded hunt: disjoint shards that together cover every seed once. */
class SeedShardTest {

    @Test
    void shardsAreDisjointAndCoverEverySeed() {
        for (long count : new long[]{1, 2, 7, 10, 100, 1001}) {
            for (int n : new int[]{1, 2, 3, 4, 7, 16, 2000}) {
                Set<Long> seen = new HashSet<>();
                long total = 0;
                for (int i = 0; i < n; i++) {
                    SeedShard s = new SeedShard(5, count, i, n);
                    total += s.size();
                    for (long j = 0; j < s.size(); j++) {
                        long seed = s.seed(j);
                        assertTrue(seen.add(seed), "seed " + seed + " twice (count " + count + ", " + n + " shards)");
                        assertTrue(s.contains(seed));
                        assertTrue(seed >= 5 && seed < 5 + count);
                    }
                }
                assertEquals(count, total, "count " + count + ", " + n + " shards");
                assertEquals(count, seen.size());
            }
        }
    }

    @Test
    void aShardTakesEveryNthSeedFromItsIndex() {
        SeedShard s = SeedShard.parse(1, 10, "1/3");
        List<Long> seeds = new ArrayList<>();
        for (long j = 0; j < s.size(); j++) {
            seeds.add(s.seed(j));
        }
        assertEquals(List.of(2L, 5L, 8L), seeds);
        assertEquals(List.of(1L, 4L, 7L, 10L), List.of(new SeedShard(1, 10, 0, 3).seed(0), new SeedShard(1, 10, 0, 3).seed(1),
                new SeedShard(1, 10, 0, 3).seed(2), new SeedShard(1, 10, 0, 3).seed(3)));
        assertFalse(s.contains(1));
        assertFalse(s.contains(11));
        assertEquals("1/3", s.label());
    }

    @Test
    void aMillionSeedsOverAThousandShards() {
        // The docs' example: 1,000,000 seeds as a job array of 1000 tasks.
        SeedShard last = SeedShard.parse(1, 1_000_000, "999/1000");
        assertEquals(1000, last.size());
        assertEquals(1000, last.seed(0));
        assertEquals(1_000_000, last.seed(999));
        assertThrows(IndexOutOfBoundsException.class, () -> last.seed(1000));
    }

    @Test
    void moreShardsThanSeedsLeavesSomeEmpty() {
        assertEquals(1, new SeedShard(1, 3, 2, 5).size());
        assertEquals(0, new SeedShard(1, 3, 3, 5).size());
    }

    @Test
    void badShardsAreRefusedWithTheirOption() {
        for (String bad : new String[]{"3/3", "-1/3", "1/0", "a/b", "1", "/2", "2/"}) {
            String m = assertThrows(IllegalArgumentException.class, () -> SeedShard.parse(1, 10, bad)).getMessage();
            assertTrue(m.contains("--shard"), m);
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SeedShard.whole(1, 0)).getMessage().contains("--seeds"));
        assertThrows(IllegalArgumentException.class, () -> SeedShard.whole(Long.MAX_VALUE, 2));
    }
}
