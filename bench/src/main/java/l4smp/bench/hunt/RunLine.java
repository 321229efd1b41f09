package l4smp.bench.hunt;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The command line of one {@code l4smp run}: the scenario and its options in order, each
 * {@code --name value} (or a flag without a value), so that the hunt can set the seed and the
 * shrinker change one option at a time, and print the line that replays a run. Immutable.
 */
public final class RunLine {

    private final String scenario;
    private final LinkedHashMap<String, String> options;

    private RunLine(String scenario, LinkedHashMap<String, String> options) {
        this.scenario = scenario;
        this.options = options;
    }

    /**
     * Reads {@code --name value}, {@code --name=value} and flags ({@code --name} followed by
     * another option or nothing) after the scenario's name. A later option replaces an earlier.
     */
    public static RunLine parse(String scenario, List<String> args) {
        LinkedHashMap<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (!a.startsWith("--") || a.length() == 2) {
                throw new IllegalArgumentException("unexpected argument '" + a + "' (options are --name value)");
            }
            int eq = a.indexOf('=');
            if (eq > 0) {
                map.put(a.substring(0, eq), a.substring(eq + 1));
            } else if (i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
                map.put(a, args.get(++i));
            } else {
                map.put(a, null);
            }
        }
        return new RunLine(scenario, map);
    }

    public String scenario() {
        return scenario;
    }

    /** The value of option {@code name} (with its dashes), or null when absent or a flag. */
    public String get(String name) {
        return options.get(name);
    }

    public boolean has(String name) {
        return options.containsKey(name);
    }

    /** This line with option {@code name} set to {@code value} (appended if absent). */
    public RunLine with(String name, String value) {
        LinkedHashMap<String, String> m = new LinkedHashMap<>(options);
        m.put(name, value);
        return new RunLine(scenario, m);
    }

    /** This line without option {@code name}. */
    public RunLine without(String name) {
        LinkedHashMap<String, String> m = new LinkedHashMap<>(options);
        m.remove(name);
        return new RunLine(scenario, m);
    }

    /** The arguments after {@code run}: the scenario, then the options. */
    public List<String> args() {
        List<String> out = new ArrayList<>();
        out.add(scenario);
        for (Map.Entry<String, String> e : options.entrySet()) {
            out.add(e.getKey());
            if (e.getValue() != null) {
                out.add(e.getValue());
            }
        }
        return out;
    }

    /** The shell command that runs this line ({@code scripts/l4smp run ...}). */
    public String command() {
        return "scripts/l4smp run " + String.join(" ", args());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RunLine r && r.scenario.equals(scenario) && r.options.equals(options);
    }

    @Override
    public int hashCode() {
        return scenario.hashCode() * 31 + options.hashCode();
    }

    @Override
    public String toString() {
        return command();
    }
}
