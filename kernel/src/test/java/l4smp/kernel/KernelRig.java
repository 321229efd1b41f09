package l4smp.kernel;

import l4smp.emulator.ExecutionMode;
import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A machine with the kernel booted, for kernel tests. */
final class KernelRig {

    final Machine machine;
    final Kernel kernel;
    /** Things user threads noted (thread-safe; in order of execution on one CPU). */
    final List<String> log = new CopyOnWriteArrayList<>();

    KernelRig(MachineConfig config) {
        this.machine = new Machine(config);
        this.kernel = Kernel.boot(machine);
    }

    static MachineConfig.Builder config(ExecutionMode mode, int cpus, long seed) {
        // Accounting off: these tests pin the kernel's timing semantics to exact cycles (kernel
        // entry + timeout + exit); the memory costs of the kernel's data are tested elsewhere
        // (KernelInterfaceTest, the scenario tests, the reproduction rows).
        MachineConfig.Builder b = MachineConfig.builder().cpus(cpus).pinning(false).accounting(false)
                .stuckTimeout(Duration.ofSeconds(10));
        return mode == ExecutionMode.DETERMINISTIC ? b.deterministic(seed) : b;
    }

    static KernelRig deterministic(int cpus) {
        return new KernelRig(config(ExecutionMode.DETERMINISTIC, cpus, 1).build());
    }

    static KernelRig of(ExecutionMode mode, int cpus) {
        return new KernelRig(config(mode, cpus, 1).build());
    }

    l4smp.kernel.thread.ThreadId spawn(String name, int cpu, UserProgram program) {
        return kernel.createThread(ThreadSpec.of(name, cpu, program));
    }

    l4smp.kernel.thread.ThreadId spawnDaemon(String name, int cpu, UserProgram program) {
        return kernel.createThread(ThreadSpec.daemon(name, cpu, program));
    }

    void note(String s) {
        log.add(s);
    }

    /** Runs and requires a clean run: the machine ok and no user thread threw. */
    Machine.RunOutcome runClean() {
        Machine.RunOutcome outcome = machine.run();
        if (!outcome.ok()) {
            throw new AssertionError("run failed: " + outcome.failure(), outcome.failureCause());
        }
        if (!kernel.failures().isEmpty()) {
            throw new AssertionError("user threads failed: " + kernel.failures());
        }
        return outcome;
    }
}
