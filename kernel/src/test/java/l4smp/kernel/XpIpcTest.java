package l4smp.kernel;

import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;
import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.thread.ThreadId;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Cross-processor IPC (thesis 8.3.3 - 8.4) on deterministic and parallel machines. */
class XpIpcTest {

    static Machine.RunOutcome pingPong(MachineConfig config, int rounds, AtomicLong sum, Kernel[] out) {
        Machine machine = new Machine(config);
        Kernel kernel = Kernel.boot(machine);
        out[0] = kernel;
        ThreadId server = kernel.createThread(ThreadSpec.daemon("server", 1, () -> {
            int tag = L4.waitAny();
            while (true) {
                ThreadId client = L4.from();
                L4.setMr(1, L4.mr(1) + 1);
                tag = L4.replyWait(client, MsgTag.make(0, 1));
            }
        }));
        kernel.createThread(ThreadSpec.of("client", 0, () -> {
            for (int i = 0; i < rounds; i++) {
                L4.setMr(1, i);
                int tag = L4.call(server, MsgTag.make(1, 1));
                if (MsgTag.isError(tag)) {
                    throw new AssertionError("call failed: " + L4.errorCode());
                }
                if (!MsgTag.crossedProcessors(tag)) {
                    throw new AssertionError("reply not marked cross-processor: " + MsgTag.toString(tag));
                }
                sum.addAndGet(L4.mr(1));
            }
        }));
        return machine.run();
    }

    @Test
    void crossProcessorPingPongDeterministic() {
        AtomicLong sum = new AtomicLong();
        Kernel[] k = new Kernel[1];
        Machine.RunOutcome outcome = pingPong(MachineConfig.builder().cpus(2).deterministic(3).build(), 200, sum, k);
        assertTrue(outcome.ok(), () -> "run failed: " + outcome);
        assertEquals(0, k[0].failures().size(), () -> k[0].failures().toString());
        assertEquals(200L * 201 / 2, sum.get());
        assertEquals(400, k[0].machine().counterTotal(Kernel.C_IPC_XCPU));
    }
}
