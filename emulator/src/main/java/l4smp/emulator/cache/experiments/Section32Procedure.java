package l4smp.emulator.cache.experiments;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import l4smp.emulator.cache.AccessKind;
import l4smp.emulator.cache.MemoryEvent;
import l4smp.emulator.cache.MemorySystem;
import l4smp.emulator.cost.CostModel;
import l4smp.emulator.memory.PhysicalMemory;

/**
 * The measurements of the thesis's section 3.2, run on the emulated memory system exactly as
 * described there: 256 dwords, each in its own cache line; the caches prepared by reading and
 * writing, or flushed by reading other data that clashes; the measured loop's cycles divided by
 * 256. Nothing here knows the thesis's figures: the cycles are what
 * {@link MemorySystem#access} returns for the outcome each access really has.
 *
 * <p>Runs sequentially on the calling thread (the thesis's procedure is sequential: one CPU
 * prepares, then the other measures, with the first idle).
 */
public final class Section32Procedure {
    private Section32Procedure() { }

    /** Lines per measured loop, as in the thesis. */
    public static final int LINES = 256;
    /** Physical memory of the experiment machine (the thesis's board had 64 MB). */
    private static final long MEMORY_BYTES = 64L << 20;
    /** Where the measured data start (above the first megabyte, line aligned). */
    private static final long DATA = 1L << 20;

    /**
     * Table 1 (3.2.1): on CPU 0 alone, 256 lines read that hit in L1, that miss L1 but hit L2,
     * and that miss both.
     */
    public static List<PhaseResult> table1(CostModel model) {
        List<PhaseResult> out = new ArrayList<>();
        int line = model.lineBytes();
        long block = (long) LINES * line;
        CostModel.MemoryHierarchy h = model.memory();

        // 2. L1 hit: load the lines, then read them again.
        MemorySystem m = newMachine(model);
        readLines(m, 0, DATA, LINES, AccessKind.READ);
        out.add(measure(m, 0, "L1 hit", DATA, LINES, AccessKind.READ));

        // 3. L1 miss, L2 hit: load the lines, flush L1 by reading an L1's worth of other data
        // (it clashes with them in every L1 set but in no L2 set), then read them.
        m = newMachine(model);
        readLines(m, 0, DATA, LINES, AccessKind.READ);
        readLines(m, 0, DATA + block, h.l1Bytes() / line, AccessKind.READ);
        out.add(measure(m, 0, "L1 miss", DATA, LINES, AccessKind.READ));

        // 4. L1 and L2 miss: load the lines, flush both by reading an L2's worth of other data.
        m = newMachine(model);
        readLines(m, 0, DATA, LINES, AccessKind.READ);
        readLines(m, 0, DATA + block, h.l2Bytes() / line, AccessKind.READ);
        out.add(measure(m, 0, "L2 miss", DATA, LINES, AccessKind.READ));
        return out;
    }

    /**
     * Table 2 (3.2.2): CPU 0 prepares two sets of 256 lines exclusive-unmodified (read) and two
     * sets modified (written); then CPU 1, one after the other: reads the first E set (E to S),
     * writes the second E set (E to M), reads the first M set (M to S), writes the second M set
     * (M to M), and writes the first E set again, which both now hold shared (S to M).
     */
    public static List<PhaseResult> table2(CostModel model) {
        long block = (long) LINES * model.lineBytes();
        long e1 = DATA;
        long e2 = DATA + block;
        long m1 = DATA + 2 * block;
        long m2 = DATA + 3 * block;
        MemorySystem m = newMachine(model);
        readLines(m, 0, e1, LINES, AccessKind.READ);
        readLines(m, 0, e2, LINES, AccessKind.READ);
        readLines(m, 0, m1, LINES, AccessKind.WRITE);
        readLines(m, 0, m2, LINES, AccessKind.WRITE);

        List<PhaseResult> out = new ArrayList<>();
        out.add(measure(m, 1, "E to S", e1, LINES, AccessKind.READ));
        out.add(measure(m, 1, "E to M", e2, LINES, AccessKind.WRITE));
        out.add(measure(m, 1, "M to S", m1, LINES, AccessKind.READ));
        out.add(measure(m, 1, "M to M", m2, LINES, AccessKind.WRITE));
        out.add(measure(m, 1, "S to M", e1, LINES, AccessKind.WRITE));
        m.checkInvariants().orThrow();
        return out;
    }

    private static MemorySystem newMachine(CostModel model) {
        return new MemorySystem(model, 2, new PhysicalMemory(MEMORY_BYTES));
    }

    /** Accesses the first dword of {@code count} consecutive lines; returns the cycles. */
    private static long readLines(MemorySystem m, int cpu, long start, int count, AccessKind kind) {
        PhysicalMemory phys = m.physicalMemory();
        int line = m.lineBytes();
        long cycles = 0;
        for (int i = 0; i < count; i++) {
            long pa = start + (long) i * line;
            if (kind == AccessKind.READ) {
                cycles += m.access(cpu, pa, kind);
                phys.intPlain(pa);
            } else {
                phys.setIntPlain(pa, i);
                cycles += m.access(cpu, pa, kind);
            }
        }
        return cycles;
    }

    private static PhaseResult measure(MemorySystem m, int cpu, String name, long start, int count, AccessKind kind) {
        long[] before = m.snapshotOpaque(cpu);
        long cycles = readLines(m, cpu, start, count, kind);
        long[] after = m.snapshotOpaque(cpu);
        Map<MemoryEvent, Long> delta = new EnumMap<>(MemoryEvent.class);
        for (MemoryEvent e : MemoryEvent.values()) {
            long d = after[e.ordinal()] - before[e.ordinal()];
            if (d != 0) {
                delta.put(e, d);
            }
        }
        return new PhaseResult(name, count, cycles, (double) cycles / count, delta);
    }
}
