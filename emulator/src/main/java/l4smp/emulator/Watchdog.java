package l4smp.emulator;

import l4smp.emulator.cpu.Cpu;

/**
 * Watches a parallel-mode machine from the thread that waits for it: reports a CPU that makes
 * no progress outside a spin-wait (a user thread that computes in plain Java without calling
 * L4 cannot be preempted: it is named here), and detects quiescence (every CPU idle with
 * nothing pending, confirmed by two samples with no progress in between).
 *
 * <p>Spin-waits time themselves out on their own CPU ({@link Cpu#spinWaitUntil}).
 * Single thread: the machine's waiting thread.
 */
final class Watchdog {

    private final Machine machine;
    private final long[] lastProgress;
    private final long[] lastChangeNanos;
    private final long stuckNanos;
    private long quiescentSinceProgressSum = -1;

    Watchdog(Machine machine) {
        this.machine = machine;
        int n = machine.cpuCount();
        this.lastProgress = new long[n];
        this.lastChangeNanos = new long[n];
        long now = System.nanoTime();
        for (int i = 0; i < n; i++) {
            lastChangeNanos[i] = now;
        }
        this.stuckNanos = machine.config().stuckTimeout().toNanos();
    }

    void check() {
        long now = System.nanoTime();
        long progressSum = 0;
        for (int i = 0; i < machine.cpuCount(); i++) {
            Cpu cpu = machine.cpu(i);
            long p = cpu.progressOpaque();
            progressSum += p;
            int st = cpu.stateAcquire();
            if (p != lastProgress[i] || st != Cpu.RUNNING || cpu.waitReasonOpaque() != null) {
                lastProgress[i] = p;
                lastChangeNanos[i] = now;
            } else if (now - lastChangeNanos[i] > stuckNanos) {
                machine.fail("CPU " + i + " is stuck: no duty cycle completed for "
                        + machine.config().stuckTimeout().toSeconds() + " s while running (a user thread "
                        + "that never calls L4 cannot be preempted); " + machine.describeCpus(), null);
                return;
            }
        }
        if (machine.looksQuiescent()) {
            if (quiescentSinceProgressSum == progressSum) {
                machine.quiescent();
            } else {
                quiescentSinceProgressSum = progressSum;
            }
        } else {
            quiescentSinceProgressSum = -1;
        }
    }
}
