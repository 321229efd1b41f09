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

class PingPongSmokeTest {

    static long run(MachineConfig config, int rounds, AtomicLong sum) {
        Machine machine = new Machine(config);
        Kernel kernel = Kernel.boot(machine);
        ThreadId[] server = new ThreadId[1];
        server[0] = kernel.createThread(ThreadSpec.daemon("server", 0, () -> {
            int tag = L4.waitAny();
            while (true) {
                ThreadId client = L4.from();
                long v = L4.mr(1);
                L4.setMr(1, v + 1);
                tag = L4.replyWait(client, MsgTag.make(0, 1));
            }
        }));
        kernel.createThread(ThreadSpec.of("client", 0, () -> {
            for (int i = 0; i < rounds; i++) {
                L4.setMr(1, i);
                int tag = L4.call(server[0], MsgTag.make(1, 1));
                if (MsgTag.isError(tag)) {
                    throw new AssertionError("call failed: " + L4.errorCode());
                }
                sum.addAndGet(L4.mr(1));
            }
        }));
        Machine.RunOutcome outcome = machine.run();
        assertTrue(outcome.ok(), () -> "run failed: " + outcome);
        assertEquals(0, kernel.failures().size(), () -> kernel.failures().toString());
        return machine.counterTotal(Kernel.C_IPC_LOCAL);
    }

    @Test
    void deterministicPingPong() {
        AtomicLong sum = new AtomicLong();
        long ipcs = run(MachineConfig.builder().cpus(1).deterministic(3).build(), 1000, sum);
        assertEquals(2000, ipcs);
        assertEquals(1000L * 1001 / 2, sum.get());
    }

    @Test
    void parallelPingPong() {
        AtomicLong sum = new AtomicLong();
        long ipcs = run(MachineConfig.builder().cpus(2).pinning(false).build(), 1000, sum);
        assertEquals(2000, ipcs);
        assertEquals(1000L * 1001 / 2, sum.get());
    }
}
