package l4smp.bench;

import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;
import l4smp.kernel.Kernel;
import l4smp.kernel.ThreadSpec;
import l4smp.kernel.api.L4;

import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * Host heap per L4 thread: a kernel on 4 CPUs gets {@code threads} threads that each wait in an
 * open receive; the heap in use (after full collections) is measured before the threads are
 * created, after their creation (TCB with its message and buffer registers, continuation,
 * thread-table entry) and after each has run once up to its wait (its continuation's stack
 * chunk, its host-thread identity). Host figures: they vary a little with the JVM and its
 * collector, not with the host's speed.
 */
public final class ThreadHeapBench {

    private ThreadHeapBench() {
    }

    /** Bytes per thread after creation and after a first run up to a blocking receive. */
    public record Result(int threads, double bytesPerThreadCreated, double bytesPerThreadRun) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "host heap per L4 thread (%,d threads waiting in receive, 4 CPUs): "
                    + "%,.0f bytes created, %,.0f bytes after its first run%n",
                    threads, bytesPerThreadCreated, bytesPerThreadRun);
        }
    }

    public static Result measure(int threads) {
        long base = usedAfterGc();
        Machine machine = new Machine(MachineConfig.builder().cpus(4).deterministic(1).build());
        Kernel kernel = Kernel.boot(machine);
        long booted = usedAfterGc();
        for (int i = 0; i < threads; i++) {
            kernel.createThread(ThreadSpec.daemon("waiter" + i, i % 4, () -> {
                L4.waitAny();
            }));
        }
        long created = usedAfterGc();
        kernel.createThread(ThreadSpec.of("stopper", 0, () -> L4.sleep(1_000_000)));
        Machine.RunOutcome outcome = machine.run();
        if (!outcome.ok()) {
            throw new IllegalStateException("heap measurement run failed: " + outcome);
        }
        long run = usedAfterGc();
        Result r = new Result(threads, (double) (created - booted) / threads, (double) (run - booted) / threads);
        if (base < 0 || kernel.liveNonDaemonThreads() < 0) {
            throw new AssertionError(); // keeps machine and kernel reachable until here
        }
        return r;
    }

    private static long usedAfterGc() {
        var memory = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
