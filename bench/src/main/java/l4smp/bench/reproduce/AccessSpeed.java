package l4smp.bench.reproduce;

import l4smp.emulator.cache.AccessKind;
import l4smp.emulator.cache.DirectoryMode;
import l4smp.emulator.cache.MemorySystem;
import l4smp.emulator.cost.CostModel;
import l4smp.emulator.memory.PhysicalMemory;

/**
 * A JMH-free micro-measurement of the accounting layer's host speed: simulated accesses per
 * host second on one host thread, for an L1-hit workload (reads, then writes to M lines) and a
 * miss-heavy one (every access an L2 miss with an eviction). {@code l4smp bench --what memory}
 * prints it.
 *
 * <p>The layer is built as a machine of one host thread builds it (a seeded run, or a parallel
 * run of one CPU): {@link DirectoryMode#SINGLE_WRITER}, each directory transition a plain
 * store. The miss-heavy loop runs again, after those rounds, on a
 * {@link DirectoryMode#CONCURRENT} layer, each transition a compare-and-set, which is what each
 * CPU thread of a parallel run of two or more CPUs pays per miss (uncontended: the loop's lines
 * are its own). L1 hits change no directory word, so they cost the same in both modes.
 */
public final class AccessSpeed {
    private AccessSpeed() { }

    /**
     * The figures of one round: simulated accesses per host second, in millions; the first three
     * on a single-writer layer, the last on a concurrent one.
     */
    public record Speed(double l1HitReadsMps, double l1HitWritesMps, double l2MissReadsMps,
                        double l2MissReadsConcurrentMps) {
    }

    /**
     * Measures {@code rounds} rounds of {@code n} accesses each (the first a warm-up of the JIT
     * counts as a round too; take the last) on one host thread: first every round of the
     * single-writer layer, then as many rounds of the miss-heavy loop on a concurrent layer.
     * The concurrent rounds come last so that the single-writer figures are measured with code
     * the JIT compiled for one mode, as in a run, which uses one; the first concurrent round
     * then warms the JIT up again.
     */
    public static java.util.List<Speed> measure(long n, int rounds) {
        CostModel model = CostModel.PIII_450;
        PhysicalMemory phys = new PhysicalMemory(64L << 20);
        int line = model.lineBytes();
        long sink = 0;
        long missN = n / 10;
        double[][] single = new double[rounds][];
        for (int round = 0; round < rounds; round++) {
            MemorySystem m = new MemorySystem(model, 2, phys, DirectoryMode.SINGLE_WRITER);
            sink += run(m, AccessKind.READ, 0x10000, 64 * line, line, n / 5);          // warm-up
            long t0 = System.nanoTime();
            sink += run(m, AccessKind.READ, 0x10000, 64 * line, line, n);
            long t1 = System.nanoTime();
            sink += run(m, AccessKind.WRITE, 0x10000, 64 * line, line, n);
            long t2 = System.nanoTime();
            // Miss-heavy: 8 MB stride-walk, 16x the L2: every access misses and evicts.
            sink += run(m, AccessKind.READ, 0x100000, 8L << 20, line, missN);
            long t3 = System.nanoTime();
            single[round] = new double[] {n * 1e3 / (t1 - t0), n * 1e3 / (t2 - t1), missN * 1e3 / (t3 - t2)};
        }
        java.util.List<Speed> out = new java.util.ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            MemorySystem m = new MemorySystem(model, 2, phys, DirectoryMode.CONCURRENT);
            sink += run(m, AccessKind.READ, 0x10000, 64 * line, line, n / 5);          // the same start
            long t0 = System.nanoTime();
            sink += run(m, AccessKind.READ, 0x100000, 8L << 20, line, missN);
            long t1 = System.nanoTime();
            out.add(new Speed(single[round][0], single[round][1], single[round][2], missN * 1e3 / (t1 - t0)));
        }
        blackhole = sink;
        return out;
    }

    /** Keeps the measured loops' results alive. */
    static volatile long blackhole;

    private static long run(MemorySystem m, AccessKind kind, long base, long span, int stride, long count) {
        long cycles = 0;
        long offset = 0;
        for (long i = 0; i < count; i++) {
            cycles += m.access(0, base + offset, kind);
            offset += stride;
            if (offset == span) {
                offset = 0;
            }
        }
        return cycles;
    }
}
