package l4smp.kernel;

import java.util.Arrays;
import java.util.Locale;

/**
 * A race of the thesis re-opened on purpose (a negative control for race hunting): each value
 * removes the one protective step that closes its race, at the one place where the kernel takes
 * that step ({@code config.plant() == Plant.X} guards the deviation). {@link #NONE}, the default,
 * is the kernel as designed; a planted kernel is for tests and hunts only, and a report of a
 * planted run names the plant.
 *
 * <p>Adding a plant: a value here (its command-line name and the race it re-opens), the guarded
 * deviation at the protective step, and the scenario that exercises it (the hunt's table of
 * plant scenarios has a case per value).
 */
public enum Plant {
    /** The kernel as designed: no race re-opened. */
    NONE("none", "no race re-opened"),
    /**
     * 8.3.3: sender and receiver enter IPC at once on two CPUs without the TCB lock; the
     * receiver publishes its wait while the sender reads it, and a wake-up is lost
     * ({@code Kernel}: the cross-processor paths run without the TCB lock).
     */
    LOST_WAKEUP("lost-wakeup", "8.3.3: both partners enter IPC at once on two CPUs without the TCB lock"),
    /**
     * 8.5, race 1: the sender migrates between the proxy reading its CPU and the activating
     * IPI ({@code MigrationParts.detach} migrates a thread whose cross-processor send a proxy handles).
     */
    MIGRATE_SENDER("migrate-sender", "8.5 race 1: the sender migrates while a proxy handles its request"),
    /**
     * 8.5, race 2: the receiver migrates after the sender read its CPU and before the proxy
     * starts ({@code XpProxy.arrive} goes on as if the receiver were still on its CPU).
     */
    MIGRATE_RECEIVER("migrate-receiver", "8.5 race 2: the receiver migrates after the sender read its CPU"),
    /**
     * 8.5, race 3: the receiver migrates while a sender waits in its send queue through a proxy
     * ({@code IpcEnds.migrateOut} leaves the senders queued at the old CPU).
     */
    MIGRATE_QUEUED("migrate-queued", "8.5 race 3: the receiver migrates while senders wait in its send queue"),
    /**
     * 8.4.3: exchange-registers aborts an IPC whose transfer is suspended in a page fault, the
     * pager on a fourth CPU; the nested fault IPC is aborted but the suspended transfer is not
     * carried to the partner's CPU ({@code FaultIpc}: the faulting side fails alone).
     */
    ABORT_NESTED_FAULT("abort-nested-fault",
            "8.4.3: canceling a transfer suspended in a page fault aborts the fault IPC only, not the partner's side"),
    /**
     * A deadlock of the kernel's own design, found in parallel runs: an unmap or map completes
     * its TLB shootdown (IPIs to the other CPUs and the wait for their acknowledgements) while it
     * still holds the mapping-database lock; a CPU that spins for that lock takes no interrupts,
     * and with its two LINT slots full the holder waits for a free slot for ever
     * ({@code SpaceMappings}: the shootdown before the unlock, see {@code Spaces}).
     */
    SHOOTDOWN_LINT("shootdown-lint",
            "a TLB shootdown under the mapping-database lock waits for a LINT slot of a CPU spinning for that lock");

    private final String cliName;
    private final String race;

    Plant(String cliName, String race) {
        this.cliName = cliName;
        this.race = race;
    }

    /** The name on the command line ({@code --plant NAME}). */
    public String cliName() {
        return cliName;
    }

    /** The race it re-opens, one line. */
    public String race() {
        return race;
    }

    /** The plant named {@code name} (its command-line name). */
    public static Plant parse(String name) {
        for (Plant p : values()) {
            if (p.cliName.equals(name.toLowerCase(Locale.ROOT))) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown plant '" + name + "' (known: "
                + String.join(", ", Arrays.stream(values()).filter(p -> p != NONE).map(Plant::cliName).toList()) + ")");
    }
}
