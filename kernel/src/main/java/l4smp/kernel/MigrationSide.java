package l4smp.kernel;

import l4smp.kernel.migrate.Migration;
import l4smp.kernel.migrate.MigrationHost;
import l4smp.kernel.thread.Tcb;

/** One CPU's side of a migration (8.7): only its {@link Migration} holds one. Owner CPU only. */
final class MigrationSide implements MigrationHost {

    private final KernelCpu k;

    MigrationSide(KernelCpu k) {
        this.k = k;
    }

    @Override
    public Tcb kernelPathThread() {
        return k.kernelPath;
    }

    @Override
    public void detachForMigration(Tcb t, boolean leaving) {
        k.detachForMigration(t, leaving);
    }

    @Override
    public void attachAfterMigration(Tcb t) {
        k.attachAfterMigration(t);
    }

    @Override
    public long migrationLock(int cpu) {
        return k.kernel.migrationLocks[cpu];
    }

    @Override
    public long migrationLine(int cpu) {
        return k.kernel.migrationLines[cpu];
    }
}
