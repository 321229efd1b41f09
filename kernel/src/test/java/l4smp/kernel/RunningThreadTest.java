package l4smp.kernel;

import l4smp.emulator.ExecutionMode;
import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;
import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.ThreadId;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the dispatcher says about the thread it runs: {@link KernelCpu#current()} is the running
 * thread while its guest runs and null once it trapped, and {@link KernelCpu#threadInHand()} is
 * the running thread too -- also after the IPC fast path's direct switch, where neither is a
 * reference written per run but the thread switch's {@code lastRun} with a flag. A call and
 * reply-and-wait pair on one CPU runs almost entirely by direct switches.
 */
class RunningThreadTest {

    private static final int ROUNDS = 200;

    @ParameterizedTest
    @EnumSource(ExecutionMode.class)
    void theRunningThreadIsCurrentAndInHandAcrossDirectSwitches(ExecutionMode mode) {
        MachineConfig.Builder b = MachineConfig.builder().cpus(1).pinning(false).accounting(false)
                .stuckTimeout(Duration.ofSeconds(30));
        Machine machine = new Machine((mode == ExecutionMode.DETERMINISTIC ? b.deterministic(5) : b).build());
        Kernel kernel = Kernel.boot(machine);
        KernelCpu k = kernel.kernelCpu(0);
        List<String> wrong = new CopyOnWriteArrayList<>();
        int[] checked = new int[1];
        ThreadId[] server = new ThreadId[1];
        Runnable check = () -> {
            Tcb me = kernel.lookup(L4.myself());
            if (k.current() != me || k.threadInHand() != me) {
                wrong.add(me.name + ": current " + k.current() + ", in hand " + k.threadInHand());
            }
            checked[0]++;
        };
        server[0] = kernel.createThread(ThreadSpec.daemon("server", 0, () -> {
            int tag = L4.waitAny();
            while (true) {
                check.run();
                L4.setMr(1, L4.mr(1) + 1);
                tag = L4.replyWait(L4.from(), MsgTag.make(MsgTag.label(tag) + 1, 1));
            }
        }));
        kernel.createThread(ThreadSpec.of("client", 0, () -> {
            for (int r = 0; r < ROUNDS; r++) {
                L4.setMr(1, r);
                L4.call(server[0], MsgTag.make(1, 1));
                check.run();
            }
        }));
        Machine.RunOutcome outcome = machine.run();
        assertTrue(outcome.ok(), () -> "run failed: " + outcome.failure());
        assertTrue(kernel.failures().isEmpty(), () -> "user threads failed: " + kernel.failures());
        assertEquals(List.of(), wrong);
        assertEquals(2 * ROUNDS, checked[0]);
        assertTrue(k.ipcPath().fastPathsTaken() >= 2 * ROUNDS - 2, "the pair took the general path: " + k.ipcPath().fastPathsTaken());
        assertNull(k.current(), "no guest runs after the machine stopped");
    }
}
