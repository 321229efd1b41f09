package l4smp.bench.reproduce;

import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;
import l4smp.emulator.cache.MemoryEvent;
import l4smp.emulator.cache.MemorySystem;
import l4smp.emulator.cost.CostModel;
import l4smp.kernel.Kernel;
import l4smp.kernel.ThreadSpec;
import l4smp.kernel.api.L4;
import l4smp.kernel.thread.ThreadId;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The migration row of docs/thesis-claims.md, from a live run on a deterministic machine (lowest clock
 * first). Nothing here names a target: the figure is what the accounting layer charged.
 *
 * <p>D2 (6.1.1): a thread works on 50 lines it writes and 50 it only reads on CPU B (its working
 * set is then in B's caches: 50 modified, 50 exclusive); a scheduler on CPU A migrates it to CPU
 * C with {@code schedule} (the kernel's 8.7.2 path); the thread touches its working set again on
 * C. The cycles the memory system charges C for that pass are the coherence traffic that the
 * migration costs the destination.
 */
public final class MigrationExperiments {

    private MigrationExperiments() {
    }

    /** Lines of the working set written on B (dirty) and only read (read-only). */
    public static final int DIRTY_LINES = 50;
    public static final int READ_ONLY_LINES = 50;

    /** Result of the D2 run. */
    public record MigrationCost(double cyclesOnDestination, long coherenceMisses, long accesses,
                                int processorBefore, int processorAfter) {
    }

    /** Row D2. */
    public static List<ReproduceRow> d2(CostModel model) {
        MigrationCost r = workingSetOnDestination(model, false);
        double low = 4500;
        double high = 7750;
        double mid = (low + high) / 2;
        boolean holds = r.cyclesOnDestination >= low && r.cyclesOnDestination <= high
                && r.processorBefore != r.processorAfter;
        return List.of(new ReproduceRow("D2", ReproduceRow.Kind.PATH, "working set 50 dirty + 50 RO lines after migration",
                "6.1.1 (4500-7750)", mid, r.cyclesOnDestination, r.cyclesOnDestination / mid, holds,
                "cycles on C"));
    }

    /**
     * The live run: B = CPU 0, C = CPU 1, the scheduler on CPU 2. With {@code writeDirty} the
     * pass on C writes the dirty lines again (M to M) instead of reading them (M to S).
     */
    public static MigrationCost workingSetOnDestination(CostModel model, boolean writeDirty) {
        Machine machine = new Machine(MachineConfig.builder().cpus(3).costModel(model).deterministic(1).build());
        Kernel kernel = Kernel.boot(machine);
        int line = machine.kernelRegion().lineBytes();
        long base = 0x10_0000; // flat user memory (below the kernel region), 1 MB in
        if (base + (long) (DIRTY_LINES + READ_ONLY_LINES) * line > machine.kernelRegion().base()) {
            throw new IllegalStateException("no room for the working set below the kernel region");
        }
        AtomicLong phase = new AtomicLong();
        long[] out = new long[5];
        MemorySystem memory = machine.memorySystem();
        ThreadId worker = kernel.createThread(ThreadSpec.of("worker", 0, () -> {
            int before = L4.processorNumber();
            int sum = 0;
            for (int i = 0; i < DIRTY_LINES; i++) {
                L4.store(base + (long) i * line, i);
            }
            for (int i = 0; i < READ_ONLY_LINES; i++) {
                sum += L4.load(base + (long) (DIRTY_LINES + i) * line);
            }
            phase.set(1);
            while (L4.processorNumber() == before) {
                L4.compute(200); // runs on B until the scheduler moves it
            }
            int cpu = L4.processorNumber() - 1;
            long centi0 = memory.countOpaque(cpu, MemoryEvent.CENTICYCLES);
            long coh0 = memory.countOpaque(cpu, MemoryEvent.COHERENCE_MISSES);
            long acc0 = memory.countOpaque(cpu, MemoryEvent.READS) + memory.countOpaque(cpu, MemoryEvent.WRITES);
            for (int i = 0; i < DIRTY_LINES; i++) {
                long a = base + (long) i * line;
                if (writeDirty) {
                    L4.store(a, i + 1);
                } else {
                    sum += L4.load(a);
                }
            }
            for (int i = 0; i < READ_ONLY_LINES; i++) {
                sum += L4.load(base + (long) (DIRTY_LINES + i) * line);
            }
            out[0] = memory.countOpaque(cpu, MemoryEvent.CENTICYCLES) - centi0;
            out[1] = memory.countOpaque(cpu, MemoryEvent.COHERENCE_MISSES) - coh0;
            out[2] = memory.countOpaque(cpu, MemoryEvent.READS) + memory.countOpaque(cpu, MemoryEvent.WRITES) - acc0;
            out[3] = before;
            out[4] = L4.processorNumber() + (sum & 0); // keep the loads
        }));
        kernel.createThread(new ThreadSpec("scheduler", 2, 200, false, () -> {
            while (phase.get() == 0) {
                if (!kernel.failures().isEmpty()) {
                    return; // the worker failed: the run reports it
                }
                L4.sleep(1_000);
            }
            if (L4.migrate(worker, 2) < 0) {
                throw new IllegalStateException("migration refused: error " + L4.errorCode());
            }
        }));
        Machine.RunOutcome outcome = machine.run();
        if (!outcome.ok() || !kernel.failures().isEmpty()) {
            throw new IllegalStateException("D2 run failed: " + outcome.failure() + " " + kernel.failures());
        }
        return new MigrationCost(out[0] / 100.0, out[1], out[2], (int) out[3], (int) out[4]);
    }
}
