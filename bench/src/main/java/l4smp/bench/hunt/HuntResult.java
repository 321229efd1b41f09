package l4smp.bench.hunt;

import l4smp.bench.report.Json;

import java.io.IOException;
import java.io.UncheckedIOException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The outcome of a hunt (or of one shard of it, or of several merged): how many seeded runs,
 * and the first failing one if any. Written as {@code hunt --json FILE}; {@link #merge} combines
 * the files of a sharded hunt: found if any shard found, the lowest failing seed's failure.
 * Immutable.
 *
 * @param scenario     the scenario hunted
 * @param plant        the planted race, or {@code "none"}
 * @param strategy     the stepper's strategy (with PCT's depth and steps)
 * @param from         the hunt's first seed
 * @param seeds        the hunt's seeds (all shards)
 * @param shards       the shards merged, as {@code I/N} labels
 * @param runs         the runs done (a shard stops at its first failure)
 * @param found        whether a run failed
 * @param seed         the failing seed ({@code found} only)
 * @param failureKind  deadlock, stall, exception, invariant, lost-or-duplicated, check
 * @param failure      the failure, one line
 * @param replay       the command that replays the failing run
 * @param shrunkReplay the smallest failing command the shrinker found (or the replay)
 * @param seconds      host seconds spent (the sum over shards)
 */
public record HuntResult(String scenario, String plant, String strategy, long from, long seeds, List<String> shards,
                         long runs, boolean found, Long seed, String failureKind, String failure, String replay,
                         String shrunkReplay, double seconds) {

    public HuntResult {
        shards = List.copyOf(shards);
    }

    /** Runs per host second. */
    public double seedsPerSecond() {
        return seconds > 0 ? runs / seconds : 0;
    }

    /** The result as a JSON document (indented). */
    public String toJson() {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("scenario", scenario);
        j.put("plant", plant);
        j.put("strategy", strategy);
        j.put("from", from);
        j.put("seeds", seeds);
        j.put("shards", shards);
        j.put("runs", runs);
        j.put("found", found);
        j.put("seed", seed);
        j.put("failure_kind", failureKind);
        j.put("failure", failure);
        j.put("replay", replay);
        j.put("shrunk_replay", shrunkReplay);
        j.put("seconds", seconds);
        j.put("seeds_per_s", seedsPerSecond());
        try {
            return Json.MAPPER.writeValueAsString(j);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serialise the hunt result", e);
        }
    }

    /** Reads a result written by {@link #toJson}. */
    public static HuntResult fromJson(String text) {
        Object parsed;
        try {
            parsed = Json.parse(text);
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage(), e);
        }
        if (!(parsed instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException("not a JSON object");
        }
        List<String> shards = new ArrayList<>();
        if (m.get("shards") instanceof List<?> l) {
            for (Object o : l) {
                shards.add(String.valueOf(o));
            }
        }
        return new HuntResult(str(m, "scenario", true), str(m, "plant", false), str(m, "strategy", false),
                num(m, "from").longValue(), num(m, "seeds").longValue(), shards, num(m, "runs").longValue(),
                Boolean.TRUE.equals(m.get("found")),
                m.get("seed") == null ? null : num(m, "seed").longValue(), str(m, "failure_kind", false),
                str(m, "failure", false), str(m, "replay", false), str(m, "shrunk_replay", false),
                m.get("seconds") == null ? 0 : num(m, "seconds").doubleValue());
    }

    private static String str(Map<?, ?> m, String key, boolean required) {
        Object v = m.get(key);
        if (v == null && required) {
            throw new IllegalArgumentException("missing \"" + key + "\"");
        }
        return v == null ? null : v.toString();
    }

    private static Number num(Map<?, ?> m, String key) {
        if (!(m.get(key) instanceof Number n)) {
            throw new IllegalArgumentException("\"" + key + "\" is not a number");
        }
        return n;
    }

    /**
     * Combines the results of the shards of one hunt: same scenario, plant, strategy, first seed
     * and seed count (else an {@link IllegalArgumentException} naming the difference); runs and
     * seconds add up; found if any found, with the lowest failing seed's failure and replays.
     */
    public static HuntResult merge(List<HuntResult> parts) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("nothing to merge");
        }
        HuntResult first = parts.get(0);
        long runs = 0;
        double seconds = 0;
        List<String> shards = new ArrayList<>();
        HuntResult failing = null;
        Map<String, Boolean> seen = new LinkedHashMap<>();
        for (HuntResult p : parts) {
            same("scenario", first.scenario, p.scenario);
            same("plant", first.plant, p.plant);
            same("strategy", first.strategy, p.strategy);
            same("from", String.valueOf(first.from), String.valueOf(p.from));
            same("seeds", String.valueOf(first.seeds), String.valueOf(p.seeds));
            for (String s : p.shards) {
                if (seen.put(s, Boolean.TRUE) != null) {
                    throw new IllegalArgumentException("shard " + s + " is given twice");
                }
                shards.add(s);
            }
            runs += p.runs;
            seconds += p.seconds;
            if (p.found && (failing == null || p.seed < failing.seed)) {
                failing = p;
            }
        }
        return failing == null
                ? new HuntResult(first.scenario, first.plant, first.strategy, first.from, first.seeds, shards, runs,
                false, null, null, null, null, null, seconds)
                : new HuntResult(first.scenario, first.plant, first.strategy, first.from, first.seeds, shards, runs,
                true, failing.seed, failing.failureKind, failing.failure, failing.replay, failing.shrunkReplay, seconds);
    }

    private static void same(String what, String a, String b) {
        if (!java.util.Objects.equals(a, b)) {
            throw new IllegalArgumentException("the results are of different hunts: " + what + " '" + a + "' vs '" + b
                    + "'");
        }
    }
}
