package l4smp.kernel.conformance;

import l4smp.emulator.ExecutionMode;
import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;
import l4smp.kernel.Kernel;
import l4smp.kernel.KernelConfig;
import l4smp.kernel.KernelInvariants;
import l4smp.kernel.ThreadSpec;
import l4smp.kernel.UserProgram;
import l4smp.kernel.thread.ThreadId;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A booted kernel for one {@link Variant} of a conformance case (its CPUs, mode, seed and ABI),
 * with a log the case's threads write to. Accounting is off (a conformance case checks what an L4
 * call does, not what it costs), except in {@link #accounted} rigs.
 */
public final class ConformanceRig {

    public final Variant variant;
    public final Machine machine;
    public final Kernel kernel;
    /** What the case's threads noted (thread-safe). */
    public final List<String> log = new CopyOnWriteArrayList<>();

    public ConformanceRig(Variant variant) {
        this(variant, KernelConfig.DEFAULT);
    }

    /** Boots with {@code config} in the variant's ABI. */
    public ConformanceRig(Variant variant, KernelConfig config) {
        this(variant, config, false, variant.cpus());
    }

    /**
     * A rig with the accounting layer on, for cases whose outcome depends on what a transfer
     * costs (a transfer timeout against a copy that takes simulated time).
     */
    public static ConformanceRig accounted(Variant variant) {
        return new ConformanceRig(variant, KernelConfig.DEFAULT, true, variant.cpus());
    }

    /**
     * A rig whose cross-processor placement has {@code cpus} CPUs, for cases with more parties
     * than the two CPUs of {@link Variant.Placement#CROSS}: {@link #spawnOn} places each party
     * on a CPU of its own (the local placement still runs everything on CPU 0).
     */
    public static ConformanceRig spread(Variant variant, int cpus) {
        return new ConformanceRig(variant, KernelConfig.DEFAULT, false, variant.cross() ? cpus : 1);
    }

    private ConformanceRig(Variant variant, KernelConfig config, boolean accounting, int cpus) {
        this.variant = variant;
        MachineConfig.Builder b = MachineConfig.builder().cpus(cpus).pinning(false).accounting(accounting)
                .stuckTimeout(Duration.ofSeconds(10));
        if (variant.mode() == ExecutionMode.DETERMINISTIC) {
            b.deterministic(variant.seed());
        }
        this.machine = new Machine(b.build());
        this.kernel = Kernel.boot(machine, config.withAbi(variant.abi()));
    }

    /** Creates a thread of party {@code party} (its CPU comes from the variant). */
    public ThreadId spawn(String name, int party, UserProgram program) {
        return kernel.createThread(ThreadSpec.of(name, variant.cpuOf(party), program));
    }

    /**
     * Creates a thread on CPU {@code cpu} in the cross-processor placement, on CPU 0 in the
     * local one (a rig made by {@link #spread}).
     */
    public ThreadId spawnOn(String name, int cpu, UserProgram program) {
        return kernel.createThread(ThreadSpec.of(name, variant.cross() ? cpu : 0, program));
    }

    /** Creates a daemon thread (the run does not wait for it to end) of party {@code party}. */
    public ThreadId spawnDaemon(String name, int party, UserProgram program) {
        return kernel.createThread(ThreadSpec.daemon(name, variant.cpuOf(party), program));
    }

    /** Starts sigma0 (X.2's root pager, {@link l4smp.kernel.user.Sigma0}) on the CPU of party {@code party}. */
    public ThreadId startSigma0(int party) {
        return kernel.spaces().startSigma0(variant.cpuOf(party));
    }

    /** Creates a thread of party {@code party} in a new address space {@code space}, paged by {@code pager}. */
    public ThreadId spawnInSpace(String name, int party, String space, ThreadId pager, UserProgram program) {
        return kernel.spaces().createThread(ThreadSpec.of(name, variant.cpuOf(party), program),
                kernel.spaces().createSpace(space), pager);
    }

    public void note(String s) {
        log.add(s);
    }

    /** Runs and requires a clean run: the machine ok, no user thread threw, the invariants hold. */
    public Machine.RunOutcome runClean() {
        Machine.RunOutcome outcome = machine.run();
        if (!outcome.ok()) {
            throw new AssertionError(variant + ": run failed: " + outcome.failure(), outcome.failureCause());
        }
        if (!kernel.failures().isEmpty()) {
            throw new AssertionError(variant + ": user threads failed: " + kernel.failures());
        }
        List<String> broken = KernelInvariants.check(kernel);
        if (!broken.isEmpty()) {
            throw new AssertionError(variant + ": kernel invariants broken: " + broken);
        }
        return outcome;
    }
}
