package l4smp.bench.hunt;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The JSON of a hunt's result and the merge of a sharded hunt's results. */
class HuntResultTest {

    private static HuntResult clean(String shard, long runs, double seconds) {
        return new HuntResult("pingpong", "none", "pct, depth 3, steps 100", 1, 1000, List.of(shard), runs, false, null,
                null, null, null, null, seconds);
    }

    private static HuntResult found(String shard, long runs, long seed) {
        return new HuntResult("pingpong", "none", "pct, depth 3, steps 100", 1, 1000, List.of(shard), runs, true, seed,
                "deadlock", "deadlock: \"quoted\"\nnext line", "scripts/l4smp run pingpong --seed " + seed,
                "scripts/l4smp run pingpong --ops 1 --seed " + seed, 2.5);
    }

    @Test
    void theJsonReadsBackEqual() {
        for (HuntResult r : List.of(clean("0/1", 1000, 12.5), found("3/4", 17, 42))) {
            assertEquals(r, HuntResult.fromJson(r.toJson()));
        }
        String j = found("0/1", 3, 7).toJson();
        for (String key : List.of("\"scenario\"", "\"found\"", "\"seed\"", "\"runs\"", "\"failure\"", "\"replay\"",
                "\"shrunk_replay\"")) {
            assertTrue(j.contains(key), key);
        }
    }

    @Test
    void aCleanMergeAddsTheRuns() {
        HuntResult m = HuntResult.merge(List.of(clean("0/2", 500, 10), clean("1/2", 500, 20)));
        assertFalse(m.found());
        assertNull(m.seed());
        assertEquals(1000, m.runs());
        assertEquals(30.0, m.seconds());
        assertEquals(List.of("0/2", "1/2"), m.shards());
    }

    @Test
    void theMergeReportsTheLowestFailingSeed() {
        HuntResult m = HuntResult.merge(List.of(found("0/3", 40, 118), clean("1/3", 333, 1), found("2/3", 3, 9)));
        assertTrue(m.found());
        assertEquals(9L, m.seed());
        assertEquals(376, m.runs());
        assertEquals("scripts/l4smp run pingpong --ops 1 --seed 9", m.shrunkReplay());
        // merging merged results again changes nothing
        assertEquals(m, HuntResult.merge(List.of(HuntResult.fromJson(m.toJson()))));
    }

    @Test
    void resultsOfDifferentHuntsOrATwiceGivenShardAreRefused() {
        HuntResult other = new HuntResult("soak", "none", "pct, depth 3, steps 100", 1, 1000, List.of("1/2"), 1, false,
                null, null, null, null, null, 0);
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> HuntResult.merge(List.of(clean("0/2", 1, 1), other))).getMessage().contains("scenario"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> HuntResult.merge(List.of(clean("0/2", 1, 1), clean("0/2", 1, 1)))).getMessage().contains("twice"));
        assertThrows(IllegalArgumentException.class, () -> HuntResult.merge(List.of()));
        assertThrows(IllegalArgumentException.class, () -> HuntResult.fromJson("{\"scenario\": }"));
        assertThrows(IllegalArgumentException.class, () -> HuntResult.fromJson("[1]"));
    }
}
