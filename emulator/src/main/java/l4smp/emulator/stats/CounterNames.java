package l4smp.emulator.stats;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The names of the per-CPU counters of one machine, registered at setup (emulator, kernel and
 * scenario each add theirs) and frozen when the machine starts; each name gets a dense index
 * into every CPU's {@link SingleWriterCounters}.
 *
 * <p>Not thread-safe during registration (setup runs on one thread); immutable once frozen.
 */
public final class CounterNames {

    private final Map<String, Integer> indexByName = new LinkedHashMap<>();
    private final List<String> names = new ArrayList<>();
    private boolean frozen;

    /** Registers a counter (or returns the index it already has). Setup only. */
    public int register(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("counter name must not be blank");
        }
        Integer existing = indexByName.get(name);
        if (existing != null) {
            return existing;
        }
        if (frozen) {
            throw new IllegalStateException("counter '" + name + "' registered after the machine started");
        }
        int index = names.size();
        names.add(name);
        indexByName.put(name, index);
        return index;
    }

    /** The index of a registered counter. */
    public int indexOf(String name) {
        Integer index = indexByName.get(name);
        if (index == null) {
            throw new IllegalArgumentException("no counter named '" + name + "'");
        }
        return index;
    }

    public boolean contains(String name) {
        return indexByName.containsKey(name);
    }

    public int size() {
        return names.size();
    }

    public String name(int index) {
        return names.get(index);
    }

    public List<String> names() {
        return Collections.unmodifiableList(names);
    }

    /** Freezes the set; later registrations of new names fail. */
    public void freeze() {
        frozen = true;
    }
}
