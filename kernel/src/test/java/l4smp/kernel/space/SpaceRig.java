package l4smp.kernel.space;

import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;
import l4smp.kernel.Kernel;
import l4smp.kernel.KernelConfig;
import l4smp.kernel.ThreadSpec;
import l4smp.kernel.UserProgram;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.user.AnonymousPager;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A deterministic machine with accounting, the kernel, its spaces and sigma0 on CPU 0. */
final class SpaceRig {
    final Machine machine;
    final Kernel kernel;
    final Spaces spaces;
    final ThreadId sigma0;
    final List<String> log = new CopyOnWriteArrayList<>();

    SpaceRig(int cpus, long seed, TlbShootdown.Policy policy) {
        this(cpus, seed, policy, 64L << 20);
    }

    SpaceRig(int cpus, long seed, TlbShootdown.Policy policy, long memory) {
        this(cpus, seed, policy, memory, false);
    }

    /** {@code copyOnSender}: the sender-side copy experiment (D4) of cross-processor IPC. */
    SpaceRig(int cpus, long seed, TlbShootdown.Policy policy, long memory, boolean copyOnSender) {
        this(cpus, seed, policy, memory, copyOnSender, l4smp.emulator.ScheduleStrategy.LOWEST_CLOCK);
    }

    /** With the deterministic stepper's {@code strategy} (RANDOM: interleavings by seed). */
    SpaceRig(int cpus, long seed, TlbShootdown.Policy policy, long memory, boolean copyOnSender,
             l4smp.emulator.ScheduleStrategy strategy) {
        machine = new Machine(MachineConfig.builder().cpus(cpus).pinning(false).deterministic(seed).strategy(strategy)
                .memoryBytes(memory).stuckTimeout(Duration.ofSeconds(20)).build());
        kernel = Kernel.boot(machine, KernelConfig.DEFAULT.withShootdownPolicy(policy).withCopyOnSender(copyOnSender));
        spaces = kernel.spaces();
        sigma0 = spaces.startSigma0(0);
    }

    AddressSpace space(String name) {
        return spaces.createSpace(name);
    }

    ThreadId thread(String name, int cpu, AddressSpace s, ThreadId pager, UserProgram p) {
        return spaces.createThread(ThreadSpec.of(name, cpu, p), s, pager);
    }

    ThreadId daemon(String name, int cpu, AddressSpace s, ThreadId pager, UserProgram p) {
        return spaces.createThread(ThreadSpec.daemon(name, cpu, p), s, pager);
    }

    ThreadId pager(int cpu) {
        AddressSpace ps = space("pager" + cpu);
        return daemon("pager" + cpu, cpu, ps, sigma0, new AnonymousPager(sigma0));
    }

    void runClean() {
        Machine.RunOutcome o = machine.run();
        assertTrue(o.ok(), () -> "run failed: " + o.failure());
        assertEquals(List.of(), kernel.failures());
        assertConsistent();
    }

    void assertConsistent() {
        assertEquals(List.of(), spaces.check(), "mapping database and TLB invariants");
    }
}
