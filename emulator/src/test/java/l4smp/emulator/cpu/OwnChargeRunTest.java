package l4smp.emulator.cpu;

import l4smp.emulator.ExecutionMode;
import l4smp.emulator.Machine;
import l4smp.emulator.TimingMode;
import l4smp.emulator.cache.AccessKind;
import l4smp.emulator.cache.MemoryEvent;
import l4smp.emulator.cache.MemorySystem;
import l4smp.emulator.cache.SingleWriterAccessPlan;
import l4smp.emulator.testing.TestMachines;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A run of own-data charges ({@link Cpu#touchOwnPlan}, {@link Cpu#touchOwnCopy}) leaves every
 * figure as the single {@link Cpu#touchOwn} calls it stands for: the clock after each run, the
 * CPU's and the accounting layer's counters, the trace hash, the L1's LRU state (which lines a
 * later sequence of reads finds in the L1) and each written line's write stamp (what another CPU's
 * read of it pays). The sequence mixes reads, writes and locked RMWs, repeats a line (the port's
 * last-line memo), crosses frames and overfills one 4-way L1 set within a run (evictions inside
 * the run), and copies nine words across a line boundary. A planted wrong run -- every access
 * charged at the run's first clock -- must differ, so the comparison can fail.
 */
@Timeout(60)
class OwnChargeRunTest {

    /** Five lines in one L1 set (16 KB, 4 ways, 32-byte lines: a set every 4 KB), and a frame apart. */
    private static final long[] BASES = {0x10000, 0x11000, 0x12000, 0x13000, 0x14000};
    private static final long COPY_SRC = 0x20004;
    private static final long COPY_DST = 0x2101C; // nine words from here cross into the next line
    private static final int COPY_WORDS = 9;

    private static final int[] PLAN = {
            SingleWriterAccessPlan.entry(0, AccessKind.READ, 0),
            SingleWriterAccessPlan.entry(0, AccessKind.WRITE, 4), // the last line again, now written
            SingleWriterAccessPlan.entry(1, AccessKind.WRITE, 8),
            SingleWriterAccessPlan.entry(2, AccessKind.READ, 16),
            SingleWriterAccessPlan.entry(3, AccessKind.LOCKED_RMW, 20),
            SingleWriterAccessPlan.entry(4, AccessKind.WRITE, 28), // a fifth line in the set: evicts the LRU one
            SingleWriterAccessPlan.entry(0, AccessKind.READ, 12),
            SingleWriterAccessPlan.entry(2, AccessKind.WRITE, 24),
            SingleWriterAccessPlan.entry(1, AccessKind.READ, 0),
            SingleWriterAccessPlan.entry(4, AccessKind.READ, 36), // the line after base 4's
            SingleWriterAccessPlan.entry(3, AccessKind.WRITE, 4),
    };

    /** How the sequence is charged. */
    enum Way { SINGLES, RUN, PLANTED_WRONG_CLOCK }

    static Stream<Arguments> machines() {
        return Stream.of(Arguments.of(ExecutionMode.DETERMINISTIC, TimingMode.EXACT),
                Arguments.of(ExecutionMode.PARALLEL, TimingMode.LAX),
                Arguments.of(ExecutionMode.PARALLEL, TimingMode.EXACT));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("machines")
    void aRunLeavesEveryFigureAsTheSingleCalls(ExecutionMode mode, TimingMode timing) {
        String singles = figures(mode, timing, Way.SINGLES);
        assertEquals(singles, figures(mode, timing, Way.RUN));
        // The control: a run that charged every access at its first clock would be caught.
        assertNotEquals(singles, figures(mode, timing, Way.PLANTED_WRONG_CLOCK));
    }

    @Test
    void aPlanEntryKeepsItsBaseKindAndOffset() {
        int e = SingleWriterAccessPlan.entry(7, AccessKind.LOCKED_RMW, 159);
        assertEquals(7, SingleWriterAccessPlan.base(e));
        assertEquals(AccessKind.LOCKED_RMW, SingleWriterAccessPlan.kind(e));
        assertEquals(159, SingleWriterAccessPlan.offset(e));
        assertThrows(IllegalArgumentException.class, () -> SingleWriterAccessPlan.entry(8, AccessKind.READ, 0));
        assertThrows(IllegalArgumentException.class, () -> SingleWriterAccessPlan.entry(0, AccessKind.READ, -4));
    }

    /**
     * With exact timing a run stops at the order horizon: CPU 1 reads CPU 0's modified line at
     * cycle 1000 while one run of CPU 0 writes that line again and again from cycle 953 to past
     * 1100. The accesses of the run after cycle 1000 come after the read in simulated time, so
     * one of them finds the line shared and pays S-to-M (the first after the read; at a tie at
     * cycle 1000 the next). A run that went on past the order horizon without its order points
     * would make them all before CPU 1 could act (CPU 1 waits for CPU 0's clock, which the run
     * stores at its end): no S-to-M.
     */
    @Test
    void aRunWithExactTimingStopsAtTheOrderHorizon() {
        final long line = 0x30000;
        final int writes = 150;
        int[] entries = new int[writes];
        Arrays.fill(entries, SingleWriterAccessPlan.entry(0, AccessKind.WRITE, 0));
        SingleWriterAccessPlan plan = new SingleWriterAccessPlan(entries);
        Machine m = new Machine(TestMachines.config(ExecutionMode.PARALLEL, 2, 5).timing(TimingMode.EXACT)
                .accounting(true).build());
        m.cpu(0).install(TestMachines.once(cpu -> {
            cpu.touchOwn(line, AccessKind.WRITE); // modified in CPU 0's L1
            cpu.advance(950 - cpu.clock());
            cpu.touchOwnPlan(new long[] {line}, plan);
        }));
        m.cpu(1).install(TestMachines.once(cpu -> {
            cpu.advance(1000);
            cpu.touch(line, AccessKind.READ);
        }));
        TestMachines.runOk(m);
        MemorySystem ms = m.memorySystem();
        assertEquals(1, ms.countOpaque(1, MemoryEvent.M_TO_S), "CPU 1's read finds the line modified");
        assertEquals(1, ms.countOpaque(0, MemoryEvent.S_TO_M), "one write of the run after the read");
    }

    /** Every figure of one machine that charges the sequence {@code way}, as one string. */
    private static String figures(ExecutionMode mode, TimingMode timing, Way way) {
        Machine m = new Machine(TestMachines.config(mode, 2, 5).timing(timing).accounting(true).build());
        List<Long> clocks = new ArrayList<>();
        SingleWriterAccessPlan plan = new SingleWriterAccessPlan(PLAN); // CPU 0's
        Consumer<Cpu> work = cpu -> {
            cpu.advance(3); // off cycle 0, so that a wrong clock shows in the stamps
            for (int pass = 0; pass < 2; pass++) {
                charge(cpu, way, plan);
                clocks.add(cpu.clock());
            }
        };
        m.cpu(0).install(TestMachines.once(work));
        m.cpu(1).install(TestMachines.idle());
        TestMachines.runOk(m);
        MemorySystem ms = m.memorySystem();
        // The L1's LRU state: which of the set's lines CPU 0 still finds in its L1, in this order.
        List<Integer> lru = new ArrayList<>();
        for (long base : BASES) {
            lru.add(ms.accessAt(0, base, AccessKind.READ, MemorySystem.UNTIMED));
        }
        // The write stamps: CPU 1's read of a line CPU 0 holds modified pays up to its stamp.
        List<Integer> stamps = new ArrayList<>();
        for (long base : BASES) {
            stamps.add(ms.accessAt(1, base, AccessKind.READ, 0));
        }
        for (long a = COPY_DST; a < COPY_DST + 4L * COPY_WORDS; a += 4) {
            stamps.add(ms.accessAt(1, a, AccessKind.READ, 0));
        }
        java.util.Map<String, Long> counters = new java.util.LinkedHashMap<>(m.counterSnapshot(0));
        if (mode == ExecutionMode.PARALLEL) {
            // Host-time counts of a parallel run (how often the idle CPU parked, how often CPU 0
            // waited for it in host time), not simulated figures.
            counters.remove("cpu.idle_parks");
            counters.remove("cpu.order_waits");
        }
        return "clocks " + clocks + " counters " + counters + " memory "
                + Arrays.toString(ms.snapshotOpaque(0)) + " trace " + m.cpu(0).log().hash()
                + " lru " + lru + " stamps " + stamps;
    }

    private static void charge(Cpu cpu, Way way, SingleWriterAccessPlan plan) {
        switch (way) {
            case SINGLES -> {
                for (int e : PLAN) {
                    cpu.touchOwn(BASES[SingleWriterAccessPlan.base(e)] + SingleWriterAccessPlan.offset(e), SingleWriterAccessPlan.kind(e));
                }
                for (int i = 0; i < COPY_WORDS; i++) {
                    cpu.touchOwn(COPY_SRC + 4L * i, AccessKind.READ);
                    cpu.touchOwn(COPY_DST + 4L * i, AccessKind.WRITE);
                }
            }
            case RUN -> {
                cpu.touchOwnPlan(BASES, plan);
                cpu.touchOwnCopy(COPY_SRC, COPY_DST, COPY_WORDS);
            }
            case PLANTED_WRONG_CLOCK -> {
                MemorySystem ms = cpu.machine().memorySystem();
                long start = cpu.clock();
                long cycles = 0;
                for (int e : PLAN) {
                    cycles += ms.accessAt(cpu.index(), BASES[SingleWriterAccessPlan.base(e)] + SingleWriterAccessPlan.offset(e), SingleWriterAccessPlan.kind(e), start);
                }
                cpu.advance(cycles);
                cpu.touchOwnCopy(COPY_SRC, COPY_DST, COPY_WORDS);
            }
        }
    }
}
