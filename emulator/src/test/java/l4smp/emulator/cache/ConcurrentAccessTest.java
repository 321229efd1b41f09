package l4smp.emulator.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;

import l4smp.emulator.cost.CostModel;
import l4smp.emulator.memory.PhysicalMemory;

import org.junit.jupiter.api.Test;

/** Real threads, one per simulated CPU, racing on a few lines; then the invariants must hold. */
class ConcurrentAccessTest {

    @Test
    void racingCpusKeepTheDirectoryConsistent() throws Exception {
        CostModel tiny = CostModel.PIII_450.withMemory(CostModel.PIII_450.memory().withCaches(256, 2, 1024, 2));
        int cpus = 3;
        MemorySystem m = new MemorySystem(tiny, cpus, new PhysicalMemory(1 << 20));
        int perCpu = 100_000;
        CountDownLatch start = new CountDownLatch(1);
        Thread[] threads = new Thread[cpus];
        Throwable[] failure = new Throwable[1];
        for (int c = 0; c < cpus; c++) {
            final int cpu = c;
            threads[c] = new Thread(() -> {
                SplittableRandom rnd = new SplittableRandom(cpu);
                try {
                    start.await();
                    for (int i = 0; i < perCpu; i++) {
                        long pa = 0x4000 + 32L * rnd.nextInt(64);
                        m.access(cpu, pa, AccessKind.values()[rnd.nextInt(3)]);
                    }
                } catch (Throwable t) {
                    failure[0] = t;
                }
            });
            threads[c].start();
        }
        start.countDown();
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(null, failure[0]);
        InvariantReport report = m.checkInvariants();
        assertTrue(report.ok(), report.toString());
        long[] t = m.totalsOpaque();
        assertEquals((long) cpus * perCpu, t[MemoryEvent.L1_HITS.ordinal()] + t[MemoryEvent.L2_HITS.ordinal()]
                + t[MemoryEvent.MEMORY_FILLS.ordinal()]);
    }
}
