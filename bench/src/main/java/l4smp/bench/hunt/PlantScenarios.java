package l4smp.bench.hunt;

import l4smp.kernel.Plant;

import java.util.List;

/**
 * The small scenario of each planted race: what {@code l4smp hunt --plant NAME} runs when no
 * scenario is named. Each exercises the path whose protective step the plant removes, small
 * enough that a seed takes a fraction of a second; the same line on the kernel as designed
 * must pass every seed.
 */
public final class PlantScenarios {

    private PlantScenarios() {
    }

    /** The scenario and its run options for {@code plant}. */
    public static RunLine of(Plant plant) {
        return switch (plant) {
            // 8.3.3: call and reply-and-wait across two CPUs; each call and reply enters IPC on
            // both CPUs at once.
            case LOST_WAKEUP -> RunLine.parse("pingpong", List.of("--placement", "cross", "--cpus", "2", "--ops", "40"));
            // 8.5 races 1-3: clients call a server while a balancer migrates clients and server
            // in their IPCs (a sender with its proxy in flight, a receiver between the sender's
            // look-up and the proxy, a receiver with senders queued).
            case MIGRATE_SENDER, MIGRATE_RECEIVER, MIGRATE_QUEUED -> RunLine.parse("migration-storm",
                    List.of("--cpus", "3", "--ops", "30", "--clients", "3", "--servers", "1", "--period", "1000"));
            // 8.4.3: a cancel of a transfer suspended in a fault whose pager is on a fourth CPU.
            case ABORT_NESTED_FAULT -> RunLine.parse("abort-fault", List.of("--ops", "2"));
            // Shootdown under the mapping-database lock: clients on four CPUs fault pages in from
            // a pager on another CPU, which maps them (and flushes the clients' windows) while the
            // other CPUs take faults and spin for the lock.
            case SHOOTDOWN_LINT -> RunLine.parse("pager", List.of("--cpus", "4", "--placement", "cross", "--threads", "4",
                    "--window", "8", "--ops", "200"));
            case NONE -> throw new IllegalArgumentException("no race planted: name a scenario to hunt");
        };
    }
}
