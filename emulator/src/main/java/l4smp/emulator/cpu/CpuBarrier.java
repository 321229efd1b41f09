package l4smp.emulator.cpu;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A reusable barrier for a fixed number of CPUs, waited on through {@link Cpu#spinWaitUntil}
 * so that it works in both execution modes (the boot barriers of thesis 8.2 and the migration
 * barriers of 8.7.2 build on it). Any number of CPUs may use one instance concurrently.
 *
 * <p>Algorithm (generation counting): an arriving CPU reads the generation, then decrements
 * {@code remaining}; the last arrival resets {@code remaining} and then increments the
 * generation (both volatile, in that order); the others spin until the generation differs from
 * the one they read. A CPU leaving the barrier cannot race ahead into the next round and count
 * twice, because the reset of {@code remaining} precedes the generation change it waits for.
 */
public final class CpuBarrier {

    private final int parties;
    private final AtomicInteger remaining;
    private final AtomicInteger generation = new AtomicInteger();

    public CpuBarrier(int parties) {
        if (parties < 1) {
            throw new IllegalArgumentException("barrier parties must be >= 1, got " + parties);
        }
        this.parties = parties;
        this.remaining = new AtomicInteger(parties);
    }

    /** Arrives and waits for the other parties. {@code name} appears in a stuck report. */
    public void await(Cpu cpu, String name) {
        int gen = generation.get();
        cpu.interleave();
        if (remaining.decrementAndGet() == 0) {
            remaining.set(parties);
            generation.incrementAndGet();
            cpu.interleave();
            return;
        }
        cpu.spinWaitUntil(() -> generation.get() != gen,
                "barrier '" + name + "' (" + parties + " parties)", false);
    }

    public int parties() {
        return parties;
    }
}
