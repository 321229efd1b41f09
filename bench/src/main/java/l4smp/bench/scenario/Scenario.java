package l4smp.bench.scenario;

import java.util.List;

/**
 * A stress scenario: a name, typed options, and the programs it starts on a machine. The
 * built-in library and a user's own scenarios are found the same way, through
 * {@link java.util.ServiceLoader} ({@code META-INF/services/l4smp.bench.scenario.Scenario}), so a
 * scenario written in plain Java against the {@code L4} facade runs with the same command line,
 * reports and seeds as the built-in ones.
 *
 * <p>Implementations are stateless: {@link #setup} is called once per run with a fresh context.
 */
public interface Scenario {

    /** The name on the command line ({@code l4smp run NAME}): lower case, words joined by '-'. */
    String name();

    /** One line for {@code l4smp list}. */
    String description();

    /** The scenario's own options ({@code --name value} after the scenario name). */
    default List<OptionSpec> options() {
        return List.of();
    }

    /** The fewest CPUs the scenario needs. */
    default int minCpus() {
        return 1;
    }

    /**
     * The simulated memory the scenario needs with {@code options}, in bytes, or 0 for the
     * machine's default (64 MiB, 16 MiB of it the kernel region: about 39,000 TCBs).
     */
    default long memoryBytes(ScenarioOptions options) {
        return 0;
    }

    /** The CPU count when the command line gives none. */
    default int defaultCpus() {
        return Math.max(1, minCpus());
    }

    /**
     * Builds the run on {@code context}'s machine: boots the kernel and creates user threads
     * ({@link ScenarioContext#kernel()}), or installs dispatchers of its own on the bare machine
     * (an emulator-level scenario). Threads record their operations into recorders from
     * {@link ScenarioContext#recorder(String)} and stop at {@link ScenarioContext#shouldStop}.
     * Throws {@link IllegalArgumentException} with a message naming the option for bad options.
     */
    void setup(ScenarioContext context);
}
