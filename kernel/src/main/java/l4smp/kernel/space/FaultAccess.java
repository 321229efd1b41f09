package l4smp.kernel.space;

/** The facade's access to a fault state (the API package records faults). */
public final class FaultAccess {

    private FaultAccess() {
    }

    /** Records the fault a user access is about to trap with. */
    public static void record(FaultState f, int va, boolean write) {
        f.va = va;
        f.write = write;
    }

    /** Forgets a failure that was reported. */
    public static void clearFailed(FaultState f) {
        f.failed = false;
        f.failedError = 0;
    }
}
