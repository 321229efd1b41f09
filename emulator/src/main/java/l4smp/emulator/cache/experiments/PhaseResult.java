package l4smp.emulator.cache.experiments;

import java.util.Map;

import l4smp.emulator.cache.MemoryEvent;

/**
 * One measured phase of an experiment: what the measuring CPU's clock advanced by, per line,
 * and the counters the phase produced (deltas), so a reader can see <em>why</em>.
 *
 * @param name          the phase, as the thesis names it (e.g. "L1 hit", "E to S")
 * @param lines         lines accessed in the phase
 * @param cycles        whole cycles the accesses returned (what the CPU clock advanced by)
 * @param cyclesPerLine {@code cycles / lines}
 * @param counters      counter deltas of the measuring CPU over the phase (non-zero only)
 */
public record PhaseResult(String name, int lines, long cycles, double cyclesPerLine,
                          Map<MemoryEvent, Long> counters) {

    public PhaseResult {
        counters = Map.copyOf(counters);
    }

    /** A counter delta of the phase (0 if absent). */
    public long count(MemoryEvent event) {
        return counters.getOrDefault(event, 0L);
    }
}
