package l4smp.kernel;

import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;
import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.thread.ThreadId;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Senders that find every mailbox to their destination CPU in flight (thesis 8.3.4) wait for
 * one in FIFO order and complete: more callers per CPU pair than the pair has mailboxes
 * ({@code max(1, 128 / cpus)}), on 2, 4, 8 and 64 CPUs, deterministic and parallel. A server on
 * every CPU answers with reply-and-wait, send timeout zero; on 2 CPUs the replies, too, find
 * their direction's mailboxes exhausted (the callers of the server's CPU hold them): a
 * zero-timeout reply to a receptive caller waits for a mailbox instead of failing. Every call must complete,
 * with the kernel invariants holding; a run that stops making progress is stopped by a
 * watchdog thread after a simulated-time bound far beyond the run's length, and fails.
 */
class XpMailboxWaitTest {

    /** The watchdog bound: about 100 times what the largest configuration here needs. */
    private static final long WATCHDOG_CYCLES = 300_000_000L;

    @ParameterizedTest(name = "{0} CPUs, {1} callers per CPU, seed {2}")
    @CsvSource({
            "2, 70, 1", "2, 70, 0",
            "4, 40, 2", "4, 40, 0",
            "8, 20, 3", "8, 20, 0",
            "64, 3, 4", "64, 3, 0"})
    void everyCallCompletesWithMailboxesExhausted(int cpus, int callersPerCpu, long seed) {
        MachineConfig.Builder b = MachineConfig.builder().cpus(cpus);
        if (seed != 0) {
            b.deterministic(seed);
        }
        Machine machine = new Machine(b.build());
        Kernel kernel = Kernel.boot(machine);
        int perPair = kernel.xcpuFabric().perPair();
        assertTrue(callersPerCpu > perPair, "more callers than mailboxes per pair");
        ThreadId[] servers = new ThreadId[cpus];
        for (int c = 0; c < cpus; c++) {
            servers[c] = kernel.createThread(ThreadSpec.daemon("server" + c, c, () -> {
                int tag = L4.waitAny();
                while (true) {
                    if (MsgTag.isError(tag)) {
                        tag = L4.waitAny();
                        continue;
                    }
                    L4.setMr(1, L4.mr(1) + 1);
                    tag = L4.replyWait(L4.from(), MsgTag.make(0, 1)); // send timeout zero
                }
            }));
        }
        int calls = 2;
        AtomicLong done = new AtomicLong();
        int callers = 0;
        for (int c = 0; c < cpus; c++) {
            for (int i = 0; i < callersPerCpu; i++) {
                // Every caller of CPU c calls the server of CPU c + 1: the pair c -> c + 1
                // carries more calls than it has mailboxes.
                ThreadId server = servers[(c + 1) % cpus];
                callers++;
                kernel.createThread(ThreadSpec.of("caller" + c + "." + i, c, () -> {
                    for (int k = 0; k < calls; k++) {
                        L4.setMr(1, k);
                        int tag = L4.call(server, MsgTag.make(0, 1));
                        if (MsgTag.isError(tag)) {
                            throw new IllegalStateException("call failed: " + IpcError.describe(L4.errorCode()));
                        }
                        if (L4.mr(1) != k + 1) {
                            throw new IllegalStateException("wrong reply " + L4.mr(1));
                        }
                        done.incrementAndGet();
                    }
                }));
            }
        }
        kernel.createThread(ThreadSpec.daemon("watchdog", 0, () -> {
            L4.sleep(WATCHDOG_CYCLES);
            machine.fail("no progress: " + done.get() + " calls done; " + kernel.describeThreads(), null);
        }));
        Machine.RunOutcome outcome = machine.run();
        assertTrue(outcome.ok(), () -> "run failed: " + outcome);
        assertEquals(List.of(), kernel.failures());
        assertEquals((long) callers * calls, done.get(), "every call completed");
        assertEquals(List.of(), KernelInvariants.check(kernel));
        assertTrue(machine.counterTotal(Kernel.C_XCPU_MAILBOX_RETRIES) > 0, "senders waited for a mailbox");
    }
}
