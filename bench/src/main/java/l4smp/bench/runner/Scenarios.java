package l4smp.bench.runner;

import l4smp.bench.scenario.Scenario;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * The scenarios on the class path, found by {@link ServiceLoader} (the built-in library and a
 * user's own, the same way), sorted by name. Two scenarios with one name are an error.
 *
 * <p>Immutable once loaded; any thread.
 */
public final class Scenarios {

    private final Map<String, Scenario> byName;

    private Scenarios(Map<String, Scenario> byName) {
        this.byName = Collections.unmodifiableMap(byName);
    }

    /** Loads the scenarios visible to the thread's context class loader. */
    public static Scenarios load() {
        Map<String, Scenario> map = new TreeMap<>();
        try {
            for (Scenario s : ServiceLoader.load(Scenario.class)) {
                Scenario previous = map.putIfAbsent(s.name(), s);
                if (previous != null && previous.getClass() != s.getClass()) {
                    throw new IllegalStateException("two scenarios are named '" + s.name() + "': "
                            + previous.getClass().getName() + " and " + s.getClass().getName());
                }
            }
        } catch (ServiceConfigurationError e) {
            throw new IllegalStateException("a scenario on the class path could not be loaded: " + e.getMessage(), e);
        }
        return new Scenarios(map);
    }

    /** Every scenario, by name. */
    public List<Scenario> all() {
        return List.copyOf(byName.values());
    }

    /** The scenario of that name, or {@code null}. */
    public Scenario find(String name) {
        return byName.get(name);
    }

    /**
     * The scenario of that name; an unknown name fails with a message that lists the known ones.
     */
    public Scenario require(String name) {
        Scenario s = byName.get(name);
        if (s == null) {
            throw new IllegalArgumentException("unknown scenario '" + name + "' (known: "
                    + String.join(", ", byName.keySet()) + "; see 'l4smp list')");
        }
        return s;
    }
}
