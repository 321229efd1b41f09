package l4smp.kernel;

import l4smp.emulator.ExecutionMode;
import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;
import l4smp.emulator.cache.AccessKind;
import l4smp.emulator.cache.SingleWriterAccessPlan;
import l4smp.kernel.api.L4;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.TcbLayout;
import l4smp.kernel.thread.TcbLayout.Field;
import l4smp.kernel.thread.ThreadId;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link KernelCpu#chargePlan} and {@link KernelCpu#chargeMrCopy} charge exactly the
 * {@link KernelCpu#touchTcb}, {@link KernelCpu#touchReadyList} and {@link KernelCpu#touchMr}
 * calls they stand for, in their order: with both TCBs this CPU's (one CPU run), and with one
 * of another CPU (each word charged as touchTcb charges it: an interleaving point for the
 * other CPU's TCB), in both TCB layouts (in the naive one a TCB's fields lie elsewhere), seeded
 * and in parallel mode. Compared: the clocks after each step, every counter of both CPUs and
 * both CPUs' trace hashes. A plan that charged the other CPU's TCB words as its own data (no
 * order point) changes the parallel run's coherence figures, as does one charged at the wrong
 * TCB's addresses.
 */
@Timeout(60)
class ChargePlanTest {

    /** A plan's entries: TCB a or b (or the ready list), field, kind. */
    private static final Object[][] ENTRIES = {
            {KernelCpu.PLAN_A, Field.STATE, AccessKind.READ},
            {KernelCpu.PLAN_B, Field.STATE, AccessKind.WRITE},
            {KernelCpu.PLAN_B, Field.PARTNER, AccessKind.READ},
            {null, null, AccessKind.WRITE}, // the ready list
            {KernelCpu.PLAN_A, Field.PARTNER, AccessKind.WRITE},
            {KernelCpu.PLAN_B, Field.MYSELF, AccessKind.READ},
            {KernelCpu.PLAN_A, Field.STACK, AccessKind.WRITE},
            {KernelCpu.PLAN_B, Field.STATE, AccessKind.READ},
    };

    static Stream<Arguments> cases() {
        List<Arguments> list = new ArrayList<>();
        for (ExecutionMode mode : ExecutionMode.values()) {
            for (TcbLayout layout : TcbLayout.values()) {
                list.add(Arguments.of(mode, layout));
            }
        }
        return list.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void aPlanChargesAsTheSingleCalls(ExecutionMode mode, TcbLayout layout) {
        assertEquals(figures(mode, layout, false), figures(mode, layout, true));
    }

    private static String figures(ExecutionMode mode, TcbLayout layout, boolean planned) {
        MachineConfig.Builder b = MachineConfig.builder().cpus(2).pinning(false).accounting(true)
                .stuckTimeout(Duration.ofSeconds(10));
        Machine machine = new Machine((mode == ExecutionMode.DETERMINISTIC ? b.deterministic(7) : b).build());
        Kernel kernel = Kernel.boot(machine, new KernelConfig(1000.0, 10, 300, layout));
        ThreadId local = kernel.createThread(ThreadSpec.daemon("local", 0, L4::waitAny));
        ThreadId remote = kernel.createThread(ThreadSpec.daemon("remote", 1, L4::waitAny));
        List<Long> clocks = new ArrayList<>();
        kernel.createThread(ThreadSpec.of("charger", 0, () -> {
            Tcb self = kernel.lookup(L4.myself());
            KernelCpu k = KernelCpu.of(self);
            Tcb own = kernel.lookup(local);
            Tcb other = kernel.lookup(remote);
            int[] entries = new int[ENTRIES.length];
            for (int i = 0; i < entries.length; i++) {
                Object[] e = ENTRIES[i];
                entries[i] = e[0] == null ? k.planReadyList((AccessKind) e[2])
                        : k.planTcb((Integer) e[0], (Field) e[1], (AccessKind) e[2]);
            }
            SingleWriterAccessPlan plan = new SingleWriterAccessPlan(entries); // CPU 0's
            for (Tcb partner : new Tcb[] {own, other, self}) {
                for (int round = 0; round < 2; round++) {
                    if (planned) {
                        k.chargePlan(self, partner, plan);
                        k.chargeMrCopy(self, partner, 5);
                        k.chargeMrCopy(partner, self, 3);
                    } else {
                        for (Object[] e : ENTRIES) {
                            if (e[0] == null) {
                                k.touchReadyList((AccessKind) e[2]);
                            } else {
                                k.touchTcb((Integer) e[0] == KernelCpu.PLAN_A ? self : partner, (Field) e[1], (AccessKind) e[2]);
                            }
                        }
                        for (int i = 1; i <= 5; i++) {
                            k.touchMr(self, i, AccessKind.READ);
                            k.touchMr(partner, i, AccessKind.WRITE);
                        }
                        for (int i = 1; i <= 3; i++) {
                            k.touchMr(partner, i, AccessKind.READ);
                            k.touchMr(self, i, AccessKind.WRITE);
                        }
                    }
                    clocks.add(k.cpu().clock());
                }
            }
        }));
        Machine.RunOutcome outcome = machine.run();
        if (!outcome.ok() || !kernel.failures().isEmpty()) {
            throw new AssertionError("run failed: " + outcome.failure() + " " + kernel.failures(), outcome.failureCause());
        }
        StringBuilder s = new StringBuilder("clocks " + clocks);
        for (int cpu = 0; cpu < 2; cpu++) {
            Map<String, Long> counters = new LinkedHashMap<>(machine.counterSnapshot(cpu));
            if (mode == ExecutionMode.PARALLEL) {
                // Host-time counts of a parallel run, not simulated figures.
                counters.remove("cpu.idle_parks");
                counters.remove("cpu.order_waits");
            }
            s.append(" cpu ").append(cpu).append(' ').append(counters).append(" trace ").append(machine.cpu(cpu).log().hash());
        }
        return s.toString();
    }
}
