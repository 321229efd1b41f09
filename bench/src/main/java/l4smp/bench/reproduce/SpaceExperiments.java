package l4smp.bench.reproduce;

import l4smp.bench.scenario.ScenarioContext;
import l4smp.bench.scenario.ScenarioOptions;
import l4smp.bench.scenarios.UnmapStormScenario;
import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;
import l4smp.emulator.cost.CostModel;
import l4smp.kernel.Kernel;
import l4smp.kernel.space.Spaces;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The address-space experiment of thesis 9.3 (row D7 of docs/thesis-claims.md): the {@code unmap-storm}
 * scenario on a deterministic four-CPU machine (same seed, same programs), once with TLB
 * shootdowns to every other CPU (implementation decision 5) and once only to CPUs whose current
 * space may cache the page (9.3 option 1). CPU 0 runs the pager and a worker of the shared space,
 * CPU 1 a worker, CPUs 2 and 3 threads of private spaces. Both runs must be equally correct: no
 * worker reads a page through a stale translation after {@code unmap} returned, the mapping
 * database and every TLB agree with the page tables, and both end with the same mappings.
 */
public final class SpaceExperiments {

    private static final int CPUS = 4;
    private static final int UNMAPS = 120;
    private static final long SEED = 7;

    private SpaceExperiments() {
    }

    /** What one run of the storm measured. */
    record StormRun(long unmaps, long ipisSent, long ipisSaved, long staleReads, long workerLoads,
                    List<String> problems, List<String> mappings) {
    }

    /** Rows D7: IPIs per unmap under both policies, and their correctness. */
    public static List<ReproduceRow> d7(CostModel model) {
        StormRun all = storm(model, "all");
        StormRun current = storm(model, "current-space");
        double perAll = (double) all.ipisSent / all.unmaps;
        double perCurrent = (double) current.ipisSent / current.unmaps;
        List<ReproduceRow> rows = new ArrayList<>();
        rows.add(new ReproduceRow("D7", "shootdown IPIs / unmap: current space vs all", "9.3 (fewer than all)",
                perAll, perCurrent, perCurrent / perAll,
                perCurrent < perAll && all.unmaps == UNMAPS && current.unmaps == UNMAPS, "IPIs"));
        boolean same = all.mappings.equals(current.mappings) && !all.mappings.isEmpty();
        long stale = all.staleReads + current.staleReads;
        boolean correct = stale == 0 && all.problems.isEmpty() && current.problems.isEmpty() && same
                && all.workerLoads > 0 && current.workerLoads > 0;
        rows.add(new ReproduceRow("D7", "stale reads after unmap (both policies)", "9.3 (same correctness)",
                0, stale, same ? 1 : 0, correct, "reads"));
        return rows;
    }

    static StormRun storm(CostModel model, String policy) {
        Machine machine = new Machine(MachineConfig.builder().cpus(CPUS).costModel(model).pinning(false)
                .deterministic(SEED).build());
        UnmapStormScenario scenario = new UnmapStormScenario();
        ScenarioContext context = new ScenarioContext(machine, ScenarioOptions.parse(scenario.name(), scenario.options(),
                Map.of("policy", policy, "bystanders", "2")), UNMAPS);
        scenario.setup(context);
        Machine.RunOutcome outcome = machine.run();
        if (!outcome.ok()) {
            throw new IllegalStateException("D7 unmap storm (" + policy + ") failed: " + outcome.failure());
        }
        Kernel kernel = context.kernelIfBooted();
        Spaces spaces = kernel.spaces();
        List<String> problems = new ArrayList<>(spaces.check());
        problems.addAll(kernel.failures().stream().map(Object::toString).toList());
        Map<String, Object> r = context.results();
        return new StormRun(number(r, "unmaps"), spaces.shootdown().ipisSent(0), spaces.shootdown().ipisSaved(0),
                number(r, "stale_reads"), number(r, "worker_loads"), problems, spaces.mappingDatabase().describe());
    }

    private static long number(Map<String, Object> results, String key) {
        Object v = results.get(key);
        if (!(v instanceof Number n)) {
            throw new IllegalStateException("the unmap storm reported no " + key + ": " + results);
        }
        return n.longValue();
    }
}
