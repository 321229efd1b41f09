package l4smp.kernel.migrate;

import l4smp.kernel.thread.Tcb;

/**
 * What a migration (thesis 8.7, {@link Migration}) may do to its CPU's kernel beyond the paths'
 * port: take a thread out of the CPU's structures (part B), put it in (part C), name the thread
 * whose kernel path runs now, and find the migration lock word and barrier line of a CPU. The
 * CPU's kernel hands an implementation to its migration at construction; no other code holds one.
 *
 * <p>Owner CPU only (the lock words and barrier lines are shared simulated memory, used through
 * {@link l4smp.kernel.xcpu.XcpuMemory}).
 */
public interface MigrationHost {

    /** The thread whose kernel path runs now on this CPU, or null. */
    Tcb kernelPathThread();

    /**
     * Part B (8.7.1, 8.7.2): {@code t} leaves the ready list; if it leaves this CPU
     * ({@code leaving}), also the mailbox wait, the FPU and the last-run stack.
     */
    void detachForMigration(Tcb t, boolean leaving);

    /** Part C: {@code t} enters this CPU's ready list if it is ready. */
    void attachAfterMigration(Tcb t);

    /** The migration lock word of CPU {@code cpu} (8.7.2). */
    long migrationLock(int cpu);

    /** The migration barrier line of initiator CPU {@code cpu} (8.7.2). */
    long migrationLine(int cpu);
}
