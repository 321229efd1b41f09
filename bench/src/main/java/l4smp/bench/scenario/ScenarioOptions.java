package l4smp.bench.scenario;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parsed values of a scenario's options (given or default). Immutable.
 */
public final class ScenarioOptions {

    private final Map<String, Object> values;

    private ScenarioOptions(Map<String, Object> values) {
        this.values = Collections.unmodifiableMap(values);
    }

    /**
     * Parses {@code given} (name without dashes to text) against {@code specs}; absent options
     * take their defaults. Throws {@link IllegalArgumentException} naming an unknown option or a
     * bad value.
     */
    public static ScenarioOptions parse(String scenario, List<OptionSpec> specs, Map<String, String> given) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (OptionSpec spec : specs) {
            values.put(spec.name(), spec.parse(given.getOrDefault(spec.name(), spec.defaultValue())));
        }
        for (String name : given.keySet()) {
            if (!values.containsKey(name)) {
                throw new IllegalArgumentException("scenario " + scenario + " has no option --" + name
                        + (specs.isEmpty() ? " (it has no options)"
                        : " (its options: " + String.join(", ", specs.stream().map(s -> "--" + s.name()).toList()) + ")"));
            }
        }
        return new ScenarioOptions(values);
    }

    public long getLong(String name) {
        return (Long) require(name);
    }

    public int getInt(String name) {
        return Math.toIntExact(getLong(name));
    }

    public boolean getBoolean(String name) {
        return (Boolean) require(name);
    }

    public String getString(String name) {
        return (String) require(name);
    }

    /** All values, in declaration order (for reports). */
    public Map<String, Object> asMap() {
        return values;
    }

    private Object require(String name) {
        Object v = values.get(name);
        if (v == null) {
            throw new IllegalArgumentException("no option --" + name);
        }
        return v;
    }
}
