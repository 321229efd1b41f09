package l4smp.kernel;

import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;
import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.thread.ThreadId;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A closed receive from a sender that waits for a mailbox (thesis 8.3.4, 8.4.4): senders of CPU
 * 0 hold every ordinary mailbox 0 -> 1 polling in the send queue of R (CPU 1), which never
 * receives from them; A (CPU 0) then sends to R and waits for a mailbox, R not waiting for it;
 * then R receives from A alone (a closed receive, no timeout). R now waits for exactly A, so A's
 * send is one that the pair's reply mailbox serves (XpMailboxWait: its receiver waits for it) --
 * but A waits among the senders for an ordinary mailbox, which the pollers never give back. R's
 * receive must complete with A's message, also while CPU 0 idles; a run that stops making
 * progress is stopped by a watchdog after a simulated-time bound far beyond the run's length,
 * and fails.
 */
class XpMailboxWaitClosedReceiveTest {

    private static final long WATCHDOG_CYCLES = 200_000_000L;

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {0, 1, 2})
    void aClosedReceiveFromASenderWaitingForAMailboxCompletes(long seed) {
        MachineConfig.Builder b = MachineConfig.builder().cpus(2);
        if (seed != 0) {
            b.deterministic(seed);
        }
        Machine machine = new Machine(b.build());
        Kernel kernel = Kernel.boot(machine);
        int perPair = kernel.xcpuFabric().perPair();
        AtomicLong received = new AtomicLong(-1);
        ThreadId[] a = new ThreadId[1];
        ThreadId r = kernel.createThread(ThreadSpec.of("r", 1, () -> {
            L4.sleep(4_000_000); // the pollers and A have sent by now
            int tag = L4.receive(a[0]);
            if (MsgTag.isError(tag)) {
                throw new IllegalStateException("receive failed: " + IpcError.describe(L4.errorCode()));
            }
            received.set(L4.mr(1));
        }));
        for (int i = 0; i < perPair + 2; i++) {
            kernel.createThread(ThreadSpec.daemon("poller" + i, 0, () -> {
                L4.setMr(1, 1);
                L4.send(r, MsgTag.make(0, 1)); // polls in r's send queue for ever
            }));
        }
        a[0] = kernel.createThread(ThreadSpec.of("a", 0, () -> {
            L4.sleep(1_000_000); // after the pollers took the mailboxes
            L4.setMr(1, 42);
            int tag = L4.send(r, MsgTag.make(0, 1));
            if (MsgTag.isError(tag)) {
                throw new IllegalStateException("send failed: " + IpcError.describe(L4.errorCode()));
            }
        }));
        // The watchdog sleeps on R's CPU: CPU 0 has nothing to run but its waiters, and idles.
        kernel.createThread(ThreadSpec.daemon("watchdog", 1, () -> {
            L4.sleep(WATCHDOG_CYCLES);
            machine.fail("no progress: " + kernel.describeThreads(), null);
        }));
        Machine.RunOutcome outcome = machine.run();
        assertTrue(outcome.ok(), () -> "run failed: " + outcome);
        assertEquals(List.of(), kernel.failures());
        assertEquals(42, received.get(), "R received A's message");
        assertTrue(machine.counterTotal(Kernel.C_XCPU_MAILBOX_RETRIES) > 0, "A waited for a mailbox");
    }
}
