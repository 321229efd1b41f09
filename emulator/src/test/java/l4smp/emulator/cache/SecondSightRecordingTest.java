package l4smp.emulator.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import l4smp.emulator.cost.CostModel;
import l4smp.emulator.memory.PhysicalMemory;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The memo's recording on second sight (MemorySystem's "Recording on second sight"): a run of a
 * plan that was all L1 hits is only noted in a way of the plan's memo (its bases, length and
 * epoch), and the way is filled, then replayed, when the same run is asked for again at the
 * same epoch. Each step charges the plan's run on one layer and the same accesses one
 * {@link MemorySystem.SingleWriterCpuPort#accessAt} call at a time on another, and compares the
 * clocks and every counter; timed reads by CPU 1 of the runs' written lines pay the write stamps
 * of the run that wrote them last, so a replay of another run's stamps (a way filled or
 * replayed under another key, or at another epoch) changes their cycles. The memo's ways are
 * checked too: noted and not filled after a run's first sight, filled after its second.
 */
class SecondSightRecordingTest {

    private static final CostModel COST = CostModel.PIII_450;
    /** Writes the base-0 word, reads base 1's line and writes the next word there, reads another line of base 0. */
    private static final int[] ENTRIES = {
            SingleWriterAccessPlan.entry(0, AccessKind.WRITE, 0),
            SingleWriterAccessPlan.entry(1, AccessKind.READ, 0),
            SingleWriterAccessPlan.entry(1, AccessKind.WRITE, 4),
            SingleWriterAccessPlan.entry(0, AccessKind.READ, 64),
    };
    private static final long[] A = {0x10000, 0x11000};
    private static final long[] B = {0x20040, 0x21080};

    private MemorySystem runs;
    private MemorySystem singles;
    private SingleWriterAccessPlan plan;
    private final long[] clock = new long[2];

    @BeforeEach
    void layers() {
        runs = new MemorySystem(COST, 2, new PhysicalMemory(1 << 20), DirectoryMode.SINGLE_WRITER);
        singles = new MemorySystem(COST, 2, new PhysicalMemory(1 << 20), DirectoryMode.SINGLE_WRITER);
        plan = new SingleWriterAccessPlan(ENTRIES);
        // First touches: every run's lines miss once, so later runs are all hits.
        run(A);
        run(B);
    }

    @Test
    void aRunIsNotedAtItsFirstSightAndFilledAtItsSecond() {
        final long epoch = runs.singleWriterEpoch;
        run(A);
        assertWay(plan.recent, A, epoch, false);
        run(B);
        assertWay(plan.recent, B, epoch, false);
        assertWay(plan.older, A, epoch, false);
        run(A); // second sight of A: filled, replayed
        assertWay(plan.recent, A, epoch, true);
        assertWay(plan.older, B, epoch, false);
        run(B);
        assertWay(plan.recent, B, epoch, true);
        run(A);
        run(B);
        assertEquals(epoch, runs.singleWriterEpoch, "all of these runs were hits");
        // The stamps: CPU 1 reads each written line at a clock before the writes completed.
        timedReads();
    }

    @Test
    void aWayFilledUnderOneKeyIsNotReplayedForAnother() {
        run(A);
        run(A); // A filled and replayed
        assertWay(plan.recent, A, runs.singleWriterEpoch, true);
        for (int i = 0; i < 3; i++) {
            run(B); // first sight, then filled: B's own slots and stamp words, never A's
            run(B);
            timedReads();
            run(A);
            run(A);
            timedReads();
        }
    }

    @Test
    void aNoteMadeStaleByAMissIsNotFilled() {
        run(A); // noted
        final long noted = runs.singleWriterEpoch;
        single(0, 0x30000, AccessKind.WRITE); // a miss: the epoch moves on
        assertTrue(runs.singleWriterEpoch != noted);
        run(A); // charged access by access again, noted at the new epoch
        assertWay(plan.recent, A, runs.singleWriterEpoch, false);
        run(A);
        assertWay(plan.recent, A, runs.singleWriterEpoch, true);
        // A miss between a run's first and second sight: CPU 1's write invalidates CPU 0's copy of
        // the first entry's line (its tag still in CPU 0's L1, the directory word no longer a
        // hit for it): the second sight must charge the run, not fill the way and replay a miss.
        run(B);
        single(1, B[0], AccessKind.WRITE);
        run(B);
        run(B);
        timedReads();
    }

    /** The plan's run with {@code bases} on both layers: clocks, stops and counters equal. */
    private void run(long[] bases) {
        final MemorySystem.SingleWriterCpuPort port = runs.port(0);
        long now = clock[0];
        int next = 0;
        do {
            now = port.accessRun(bases, plan, next, ENTRIES.length, now, Long.MAX_VALUE);
            next = port.runNextPlain();
        } while (next < ENTRIES.length);
        long ref = clock[0];
        long lastAt = ref;
        for (int e : ENTRIES) {
            lastAt = ref;
            ref += singles.port(0).accessAt(SingleWriterAccessPlan.address(bases, e), SingleWriterAccessPlan.kind(e), ref);
        }
        assertEquals(ref, now, "clock after the run of " + Arrays.toString(bases));
        assertEquals(lastAt, port.runLastAtPlain(), "clock of the run's last access");
        clock[0] = now;
        sameCounters();
    }

    /** One access by {@code cpu} on both layers, at that CPU's clock. */
    private void single(int cpu, long addr, AccessKind kind) {
        final int a = runs.accessAt(cpu, addr, kind, clock[cpu]);
        final int b = singles.accessAt(cpu, addr, kind, clock[cpu]);
        assertEquals(b, a, "cycles of CPU " + cpu + "'s " + kind + " of " + Long.toHexString(addr));
        clock[cpu] += a;
        sameCounters();
    }

    /**
     * CPU 1 reads both runs' written words at a clock just before CPU 0's: each read of a line
     * CPU 0 wrote waits for that write's stamp. Then CPU 1's clock catches up again.
     */
    private void timedReads() {
        for (long[] bases : new long[][] {A, B}) {
            for (int e : ENTRIES) {
                if (SingleWriterAccessPlan.kind(e) == AccessKind.WRITE) {
                    clock[1] = clock[0] - 7;
                    single(1, SingleWriterAccessPlan.address(bases, e), AccessKind.READ);
                }
            }
        }
        // CPU 0 takes its lines back (misses), so the next runs write them again.
        for (long[] bases : new long[][] {A, B}) {
            run(bases);
        }
    }

    private void sameCounters() {
        for (int c = 0; c < 2; c++) {
            assertArrayEquals(singles.snapshotOpaque(c), runs.snapshotOpaque(c), "counters of CPU " + c);
            assertEquals(singles.lastOutcomePlain(c), runs.lastOutcomePlain(c), "last outcome of CPU " + c);
        }
    }

    private void assertWay(SingleWriterAccessPlan.Memo way, long[] bases, long epoch, boolean filled) {
        assertSame(runs.port(0), way.owner, "the way's owner");
        assertEquals(epoch, way.epoch, "the way's epoch");
        assertEquals(ENTRIES.length, way.count, "the way's length");
        for (int j = 0; j < plan.usedBases.length; j++) {
            assertEquals(bases[plan.usedBases[j]], way.key[j], "the way's key at base " + plan.usedBases[j]);
        }
        if (filled) {
            assertTrue(way.filled, "filled at the run's second sight");
        } else {
            assertFalse(way.filled, "only noted at the run's first sight");
        }
    }
}
