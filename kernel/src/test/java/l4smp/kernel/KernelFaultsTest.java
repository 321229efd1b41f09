package l4smp.kernel;

import l4smp.emulator.ExecutionMode;
import l4smp.emulator.Machine;
import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.ipc.Timeout;
import l4smp.kernel.thread.ThreadId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout.ThreadMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Cross-CPU partners that are gone, failing user threads, and deadlock detection. */
@org.junit.jupiter.api.Timeout(value = 60, threadMode = ThreadMode.SAME_THREAD)
class KernelFaultsTest {

    /**
     * Cross-processor IPC goes through, and once the remote partner is gone every later IPC to
     * it fails with "non-existing partner" in the right phase, as on one CPU (design decision 6).
     */
    @ParameterizedTest
    @EnumSource(ExecutionMode.class)
    void crossCpuIpcIsDeliveredAndAGonePartnerIsNonExisting(ExecutionMode mode) {
        KernelRig rig = KernelRig.of(mode, 2);
        ThreadId[] ids = new ThreadId[2];
        ids[1] = rig.spawn("remote", 1, () -> L4.receive(ThreadId.ANY, 10_000_000)); // ends after one message
        ids[0] = rig.spawn("local", 0, () -> {
            int tag = L4.send(ids[1], MsgTag.make(1, 0));
            rig.note("send " + MsgTag.isError(tag) + " " + L4.errorCode());
            tag = L4.receive(ids[1]);
            rig.note("receive " + MsgTag.isError(tag) + " " + L4.errorCode());
            tag = L4.call(ids[1], MsgTag.make(1, 0));
            rig.note("call " + MsgTag.isError(tag) + " " + L4.errorCode());
            tag = L4.send(ids[1], MsgTag.make(1, 0), Timeout.ZERO);
            rig.note("zero send " + MsgTag.isError(tag) + " " + L4.errorCode());
        });
        rig.runClean();
        int noPartnerSend = IpcError.word(IpcError.NO_PARTNER, IpcError.PHASE_SEND);
        int noPartnerReceive = IpcError.word(IpcError.NO_PARTNER, IpcError.PHASE_RECEIVE);
        assertEquals(List.of("send false 0", "receive true " + noPartnerReceive, "call true " + noPartnerSend,
                "zero send true " + noPartnerSend), rig.log);
        assertEquals(1, rig.machine.counterTotal(Kernel.C_IPC_XCPU));
    }

    /**
     * A closed receive from a thread of another CPU that ends at any moment (before, during or
     * after the receiver publishes its wait) fails with "non-existing partner" in the receive
     * phase: it never waits forever (the partner-gone IPI, or the receiver's own check after it
     * published its wait). Random interleavings; and the waiter migrating meanwhile.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
    void aClosedReceiveFromAThreadThatEndsOnAnotherCpuFails(long seed) {
        KernelRig rig = new KernelRig(KernelRig.config(ExecutionMode.DETERMINISTIC, 3, seed)
                .strategy(l4smp.emulator.ScheduleStrategy.RANDOM).build());
        ThreadId[] ids = new ThreadId[3];
        long work = seed <= 8 ? 100 + 97 * seed : 5_000 + 997 * seed; // ends before the waiter waits, or after
        ids[1] = rig.spawn("ender", 1, () -> L4.compute(work));
        ids[0] = rig.spawn("waiter", 0, () -> {
            int tag = L4.receive(ids[1]);
            rig.note("receive " + MsgTag.isError(tag) + " " + L4.errorCode());
        });
        // Moves the waiter to CPU 3 in some runs, while it waits or before.
        ids[2] = rig.spawn("mover", 2, () -> {
            if (seed % 2 == 0) {
                L4.compute(work - 150);
                L4.migrate(ids[0], 3);
            }
        });
        rig.runClean();
        assertEquals(List.of("receive true " + IpcError.word(IpcError.NO_PARTNER, IpcError.PHASE_RECEIVE)), rig.log,
                "seed " + seed);
        assertEquals(List.of(), KernelInvariants.check(rig.kernel));
    }

    @ParameterizedTest
    @EnumSource(ExecutionMode.class)
    void aThrowingUserThreadIsReportedAndTheMachineRunsOn(ExecutionMode mode) {
        KernelRig rig = KernelRig.of(mode, 2);
        ThreadId[] ids = new ThreadId[4];
        int rounds = 100;
        long[] replies = new long[1];
        ids[0] = rig.spawnDaemon("server", 0, () -> {
            L4.waitAny();
            while (true) {
                L4.replyWait(L4.from(), MsgTag.make(1, 0));
            }
        });
        ids[1] = rig.spawn("thrower", 0, () -> {
            L4.call(ids[0], 0);
            throw new IllegalStateException("kaboom in user code");
        });
        ids[2] = rig.spawn("worker", 0, () -> {
            for (int i = 0; i < rounds; i++) {
                if (!MsgTag.isError(L4.call(ids[0], 0))) {
                    replies[0]++;
                }
            }
        });
        ids[3] = rig.spawn("other-cpu", 1, () -> L4.compute(10_000));
        Machine.RunOutcome outcome = rig.machine.run();
        assertTrue(outcome.ok(), () -> "the machine must run on: " + outcome);
        assertEquals("all threads finished", outcome.stopReason());
        assertEquals(rounds, replies[0], "the other threads complete");
        List<String> failures = rig.kernel.failures();
        assertEquals(1, failures.size(), failures::toString);
        String report = failures.get(0);
        assertTrue(report.contains("thrower(" + ids[1] + ")"), report);
        assertTrue(report.contains("on CPU 0"), report);
        assertTrue(report.contains("kaboom in user code"), report);
        assertEquals(1, rig.machine.counterTotal(Kernel.C_THREAD_FAILURES));
        assertEquals(0, rig.kernel.liveNonDaemonThreads());
    }

    @Test
    void aThreadThatThrowsOnAnotherCpuIsReportedWithThatCpu() {
        KernelRig rig = KernelRig.deterministic(3);
        ThreadId id = rig.spawn("bad", 2, () -> {
            throw new ArithmeticException("divide by zero, simulated");
        });
        rig.spawn("good", 0, () -> L4.compute(5));
        assertTrue(rig.machine.run().ok());
        assertEquals(1, rig.kernel.failures().size());
        String report = rig.kernel.failures().get(0);
        assertTrue(report.contains("bad(" + id + ") on CPU 2"), report);
    }

    @ParameterizedTest
    @EnumSource(ExecutionMode.class)
    void twoThreadsReceivingFromEachOtherAreADeadlock(ExecutionMode mode) {
        KernelRig rig = KernelRig.of(mode, 1);
        ThreadId[] ids = new ThreadId[2];
        ids[0] = rig.spawn("alice", 0, () -> L4.receive(ids[1]));
        ids[1] = rig.spawn("bob", 0, () -> L4.receive(ids[0]));
        Machine.RunOutcome outcome = rig.machine.run();
        assertFalse(outcome.ok());
        String f = outcome.failure();
        assertTrue(f.contains("deadlock"), f);
        assertTrue(f.contains("alice(" + ids[0] + ") on CPU 0: WAITING (receive from bob(" + ids[1] + "))"), f);
        assertTrue(f.contains("bob(" + ids[1] + ") on CPU 0: WAITING (receive from alice(" + ids[0] + "))"), f);
    }

    @Test
    void aSenderStuckOnAReceiverThatNeverListensIsADeadlockWithItsState() {
        KernelRig rig = KernelRig.deterministic(1);
        ThreadId[] ids = new ThreadId[3];
        ids[0] = rig.spawn("x", 0, () -> L4.receive(ids[2]));
        ids[1] = rig.spawn("y", 0, () -> L4.send(ids[0], 0));
        ids[2] = rig.spawn("z", 0, () -> L4.receive(ids[1], Timeout.NEVER)); // y sends to x, not z
        Machine.RunOutcome outcome = rig.machine.run();
        assertFalse(outcome.ok());
        String f = outcome.failure();
        assertTrue(f.contains("3 non-daemon thread(s)"), f);
        assertTrue(f.contains("y(" + ids[1] + ") on CPU 0: POLLING (send to x(" + ids[0] + "))"), f);
    }

    @Test
    void onlyDaemonsLeftWaitingIsNotADeadlock() {
        KernelRig rig = KernelRig.deterministic(1);
        rig.spawnDaemon("server", 0, L4::waitAny);
        rig.spawn("client", 0, () -> L4.compute(1));
        Machine.RunOutcome outcome = rig.runClean();
        assertEquals("all threads finished", outcome.stopReason());
    }
}
