package l4smp.bench.jmh;

import l4smp.emulator.cache.AccessKind;
import l4smp.emulator.cache.DirectoryMode;
import l4smp.emulator.cache.MemorySystem;
import l4smp.emulator.cost.CostModel;
import l4smp.emulator.memory.PhysicalMemory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Host nanoseconds per simulated memory access of the MESI/TLB accounting layer
 * ({@link MemorySystem}, cost model PIII_450, two CPUs), one host thread:
 * <ul>
 * <li>{@code l1HitRead}, {@code l1HitWrite}: a walk over 64 lines that stay in L1 (reads; writes
 *     to lines already M), untimed as the section 3.2 procedures charge them;</li>
 * <li>{@code l1HitWriteTimed}: the same writes with a clock, as a CPU charges the kernel's TCB
 *     accesses (each write stamps its line with the cycle it completes);</li>
 * <li>{@code l2MissRead}: an 8 MB stride walk, 16 times the L2, so every read misses and
 *     evicts a line;</li>
 * <li>{@code coherenceTransition}: CPUs 0 and 1 write one line by turns, each write an M&rarr;M
 *     transition (the line moves with its data), timed.</li>
 * </ul>
 * {@code l4smp bench --what memory} is the quick view of the first and the L2-miss figure, in
 * million accesses per host second (1000 / ns per access).
 *
 * <p>{@code mode} is the directory's {@link DirectoryMode}: {@code SINGLE_WRITER} is the layer
 * of a machine of one host thread (a seeded run, a parallel run of one CPU), each transition a
 * plain store; {@code CONCURRENT} the layer of a parallel run of two or more CPUs, each
 * transition a compare-and-set (here uncontended). Only transitions differ: the L1 hits change
 * no directory word.
 *
 * <p>Thread contract: JMH's one benchmark thread per fork (plays both CPUs' owner threads), so
 * either mode is legal here.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2)
public class AccountingBenchmark {

    private static final long HIT_BASE = 0x10000;
    private static final long MISS_BASE = 0x100000;
    private static final long MISS_SPAN = 8L << 20;

    /** The directory's mode (see the class comment). */
    @Param({"SINGLE_WRITER", "CONCURRENT"})
    public DirectoryMode mode;

    private MemorySystem memory;
    private int line;
    private long hitSpan;
    private long hitOffset;
    private long missOffset;
    private long clock;
    private int writer;

    @Setup
    public void setup() {
        CostModel model = CostModel.PIII_450;
        memory = new MemorySystem(model, 2, new PhysicalMemory(64L << 20), mode);
        line = model.lineBytes();
        hitSpan = 64L * line;
        for (long a = 0; a < hitSpan; a += line) {
            memory.access(0, HIT_BASE + a, AccessKind.WRITE); // M in CPU 0's L1
        }
        for (long a = 0; a < MISS_SPAN; a += line) {
            memory.access(0, MISS_BASE + a, AccessKind.READ); // the walk's lines exist in the directory
        }
    }

    private long nextHit() {
        long a = HIT_BASE + hitOffset;
        hitOffset += line;
        if (hitOffset == hitSpan) {
            hitOffset = 0;
        }
        return a;
    }

    @Benchmark
    public int l1HitRead() {
        return memory.access(0, nextHit(), AccessKind.READ);
    }

    @Benchmark
    public int l1HitWrite() {
        return memory.access(0, nextHit(), AccessKind.WRITE);
    }

    @Benchmark
    public int l1HitWriteTimed() {
        int cycles = memory.accessAt(0, nextHit(), AccessKind.WRITE, clock);
        clock += cycles;
        return cycles;
    }

    @Benchmark
    public int l2MissRead() {
        long a = MISS_BASE + missOffset;
        missOffset += line;
        if (missOffset == MISS_SPAN) {
            missOffset = 0;
        }
        return memory.access(0, a, AccessKind.READ);
    }

    @Benchmark
    public int coherenceTransition() {
        writer ^= 1;
        int cycles = memory.accessAt(writer, HIT_BASE - line, AccessKind.WRITE, clock);
        clock += cycles;
        return cycles;
    }
}
