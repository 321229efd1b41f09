package l4smp.kernel;

import l4smp.emulator.ExecutionMode;
import l4smp.emulator.cost.CostModel;
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
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Conformance of local (same-CPU) IPC with L4 X.2 and thesis 8.3.2: send and receive, open and
 * closed, call and reply-and-wait, zero / relative / never timeouts, and the error codes.
 * Threads on one CPU run in creation order (FIFO ready list) unless IPC switches.
 */
@org.junit.jupiter.api.Timeout(value = 60, threadMode = ThreadMode.SAME_THREAD)
class LocalIpcConformanceTest {

    static final long ENTRY = CostModel.PIII_450.kernelEntryCycles();
    static final long EXIT = CostModel.PIII_450.kernelExitCycles();

    static final int TIMEOUT_SEND = IpcError.word(IpcError.TIMEOUT, IpcError.PHASE_SEND);
    static final int TIMEOUT_RECEIVE = IpcError.word(IpcError.TIMEOUT, IpcError.PHASE_RECEIVE);
    static final int NO_PARTNER_SEND = IpcError.word(IpcError.NO_PARTNER, IpcError.PHASE_SEND);
    static final int NO_PARTNER_RECEIVE = IpcError.word(IpcError.NO_PARTNER, IpcError.PHASE_RECEIVE);

    /** What the last IPC returned, as a thread notes it: error word, label, MR1, sender. */
    static String result(int tag) {
        if (MsgTag.isError(tag)) {
            return "error " + IpcError.describe(L4.errorCode());
        }
        return "label " + MsgTag.label(tag) + " u " + MsgTag.untyped(tag) + " mr1 " + L4.mr(1) + " from " + L4.from();
    }

    @ParameterizedTest
    @EnumSource(ExecutionMode.class)
    void openReceiveThenSendTransfersTagAndRegisters(ExecutionMode mode) {
        KernelRig rig = KernelRig.of(mode, 1);
        ThreadId[] ids = new ThreadId[2];
        ids[0] = rig.spawn("server", 0, () -> {
            int tag = L4.receive(ThreadId.ANY);
            rig.note("server got " + result(tag) + " mr2 " + L4.mr(2) + " mr3 " + L4.mr(3));
        });
        ids[1] = rig.spawn("client", 0, () -> {
            L4.setMr(1, 42);
            L4.setMr(2, -7);
            L4.setMr(3, Long.MAX_VALUE);
            int tag = L4.send(ids[0], MsgTag.make(0x77, 3));
            rig.note("client send " + (MsgTag.isError(tag) ? "failed" : "ok") + " error word " + L4.errorCode());
        });
        rig.runClean();
        // the sender continues first (its send is done); the receiver is made ready
        assertEquals(List.of(
                "client send ok error word 0",
                "server got label 119 u 3 mr1 42 from " + ids[1] + " mr2 -7 mr3 " + Long.MAX_VALUE), rig.log);
        assertEquals(1, rig.machine.counterTotal(Kernel.C_IPC_LOCAL));
    }

    @Test
    void sendFirstPollsUntilTheReceiverArrives() {
        KernelRig rig = KernelRig.deterministic(1);
        ThreadId[] ids = new ThreadId[2];
        ids[0] = rig.spawn("client", 0, () -> {
            L4.setMr(1, 1);
            rig.note("client sends");
            int tag = L4.send(ids[1], MsgTag.make(5, 1));
            rig.note("client send done, error " + L4.errorCode() + " tag " + tag);
        });
        ids[1] = rig.spawn("server", 0, () -> {
            rig.note("server receives");
            int tag = L4.receive(ThreadId.ANY);
            rig.note("server got " + result(tag));
        });
        rig.runClean();
        // the receiver finds the polling sender, copies, and continues; the sender is ready again
        assertEquals(List.of("client sends", "server receives", "server got label 5 u 1 mr1 1 from " + ids[0],
                "client send done, error 0 tag 0"), rig.log);
    }

    @Test
    void openReceiveServesPollingSendersInFifoOrder() {
        KernelRig rig = KernelRig.deterministic(1);
        ThreadId[] ids = new ThreadId[4];
        for (int i = 0; i < 3; i++) {
            int n = i;
            ids[i] = rig.spawn("s" + i, 0, () -> {
                L4.setMr(1, n);
                L4.send(ids[3], MsgTag.make(n, 1));
            });
        }
        ids[3] = rig.spawn("receiver", 0, () -> {
            for (int i = 0; i < 3; i++) {
                int tag = L4.waitAny();
                rig.note("mr1 " + L4.mr(1) + " from " + L4.from() + " label " + MsgTag.label(tag));
            }
        });
        rig.runClean();
        assertEquals(List.of("mr1 0 from " + ids[0] + " label 0", "mr1 1 from " + ids[1] + " label 1",
                "mr1 2 from " + ids[2] + " label 2"), rig.log);
    }

    @Test
    void closedReceiveTakesOnlyTheNamedSender() {
        KernelRig rig = KernelRig.deterministic(1);
        ThreadId[] ids = new ThreadId[3];
        ids[0] = rig.spawn("a", 0, () -> {
            L4.setMr(1, 100);
            L4.send(ids[2], MsgTag.make(1, 1));
        });
        ids[1] = rig.spawn("b", 0, () -> {
            L4.setMr(1, 200);
            L4.send(ids[2], MsgTag.make(2, 1));
        });
        ids[2] = rig.spawn("r", 0, () -> {
            int tag = L4.receive(ids[1]); // b queued second, but named
            rig.note("first " + result(tag));
            tag = L4.receive(ThreadId.ANY);
            rig.note("then " + result(tag));
        });
        rig.runClean();
        assertEquals(List.of("first label 2 u 1 mr1 200 from " + ids[1], "then label 1 u 1 mr1 100 from " + ids[0]),
                rig.log);
    }

    @Test
    void aClosedReceiverMakesOtherSendersPoll() {
        KernelRig rig = KernelRig.deterministic(1);
        ThreadId[] ids = new ThreadId[3];
        ids[0] = rig.spawn("r", 0, () -> {
            int tag = L4.receive(ids[2]); // waits for c only
            rig.note("r got " + result(tag));
            tag = L4.receive(ThreadId.ANY);
            rig.note("r got " + result(tag));
        });
        ids[1] = rig.spawn("b", 0, () -> {
            L4.setMr(1, 2);
            int tag = L4.send(ids[0], MsgTag.make(2, 1), Timeout.ZERO);
            rig.note("b zero-timeout send: " + (MsgTag.isError(tag) ? IpcError.describe(L4.errorCode()) : "ok"));
            tag = L4.send(ids[0], MsgTag.make(2, 1));
            rig.note("b send: " + (MsgTag.isError(tag) ? IpcError.describe(L4.errorCode()) : "ok"));
        });
        ids[2] = rig.spawn("c", 0, () -> {
            L4.setMr(1, 3);
            L4.send(ids[0], MsgTag.make(3, 1));
        });
        rig.runClean();
        assertEquals(List.of(
                "b zero-timeout send: timeout in the send phase",
                "r got label 3 u 1 mr1 3 from " + ids[2],
                "r got label 2 u 1 mr1 2 from " + ids[1],
                "b send: ok"), rig.log);
    }

    @ParameterizedTest
    @EnumSource(ExecutionMode.class)
    void callAndReplyWait(ExecutionMode mode) {
        KernelRig rig = KernelRig.of(mode, 1);
        ThreadId[] ids = new ThreadId[2];
        int rounds = 50;
        long[] served = new long[1];
        ids[0] = rig.spawnDaemon("server", 0, () -> {
            int tag = L4.waitAny();
            while (true) {
                served[0]++;
                L4.setMr(1, L4.mr(1) * 2);
                tag = L4.replyWait(L4.from(), MsgTag.make(MsgTag.label(tag) + 1, 1));
            }
        });
        ids[1] = rig.spawn("client", 0, () -> {
            for (int i = 0; i < rounds; i++) {
                L4.setMr(1, i);
                int tag = L4.call(ids[0], MsgTag.make(10, 1));
                if (MsgTag.isError(tag) || MsgTag.label(tag) != 11 || L4.mr(1) != 2L * i
                        || !L4.from().equals(ids[0])) {
                    rig.note("bad reply " + i + ": " + result(tag));
                }
            }
            rig.note("client done");
        });
        rig.runClean();
        assertEquals(List.of("client done"), rig.log);
        assertEquals(rounds, served[0]);
        assertEquals(2L * rounds, rig.machine.counterTotal(Kernel.C_IPC_LOCAL));
        assertEquals(0, rig.machine.counterTotal(Kernel.C_IPC_ERRORS));
    }

    @Test
    void zeroTimeoutsFailAtOnceWithTheirPhase() {
        KernelRig rig = KernelRig.deterministic(1);
        ThreadId[] ids = new ThreadId[2];
        ids[0] = rig.spawn("a", 0, () -> {
            long c0 = L4.clock();
            int tag = L4.send(ids[1], MsgTag.make(1, 0), Timeout.ZERO); // b is not receiving
            rig.note("send " + MsgTag.isError(tag) + " " + L4.errorCode() + " took " + (L4.clock() - c0));
            c0 = L4.clock();
            tag = L4.receive(ThreadId.ANY, Timeout.ZERO); // nobody sends
            rig.note("receive " + MsgTag.isError(tag) + " " + L4.errorCode() + " took " + (L4.clock() - c0));
            c0 = L4.clock();
            tag = L4.receive(ids[1], Timeout.ZERO);
            rig.note("closed receive " + MsgTag.isError(tag) + " " + L4.errorCode() + " took " + (L4.clock() - c0));
        });
        ids[1] = rig.spawn("b", 0, () -> { });
        rig.runClean();
        long trap = ENTRY + EXIT;
        assertEquals(List.of("send true " + TIMEOUT_SEND + " took " + trap,
                "receive true " + TIMEOUT_RECEIVE + " took " + trap,
                "closed receive true " + TIMEOUT_RECEIVE + " took " + trap), rig.log);
    }

    /** A receive with a relative timeout fails exactly when it expires, in simulated time. */
    @ParameterizedTest
    @EnumSource(ExecutionMode.class)
    void relativeReceiveTimeoutExpiresAtItsSimulatedTime(ExecutionMode mode) {
        KernelRig rig = KernelRig.of(mode, 1);
        long timeout = 10_000;
        long[] elapsed = {-1};
        int[] error = new int[1];
        rig.spawn("a", 0, () -> {
            long c0 = L4.clock();
            int tag = L4.receive(ThreadId.ANY, timeout);
            elapsed[0] = L4.clock() - c0;
            error[0] = MsgTag.isError(tag) ? L4.errorCode() : 0;
        });
        rig.runClean();
        assertEquals(TIMEOUT_RECEIVE, error[0]);
        // the phase starts after the kernel entry; the thread resumes after the kernel exit
        assertEquals(ENTRY + timeout + EXIT, elapsed[0]);
    }

    @ParameterizedTest
    @EnumSource(ExecutionMode.class)
    void relativeSendTimeoutExpiresAtItsSimulatedTime(ExecutionMode mode) {
        KernelRig rig = KernelRig.of(mode, 1);
        ThreadId[] ids = new ThreadId[3];
        long timeout = 10_000;
        long[] elapsed = {-1};
        int[] error = new int[1];
        // b and c wait in closed receives on each other (with long timeouts), so a's send to b
        // finds b waiting, but not for a: a polls until its send timeout.
        ids[0] = rig.spawn("b", 0, () -> L4.receive(ids[1], 1_000_000));
        ids[1] = rig.spawn("c", 0, () -> L4.receive(ids[0], 2_000_000));
        ids[2] = rig.spawn("a", 0, () -> {
            long c0 = L4.clock();
            int tag = L4.send(ids[0], MsgTag.make(1, 0), timeout);
            elapsed[0] = L4.clock() - c0;
            error[0] = MsgTag.isError(tag) ? L4.errorCode() : 0;
        });
        rig.runClean();
        assertEquals(TIMEOUT_SEND, error[0]);
        assertEquals(ENTRY + timeout + EXIT, elapsed[0]);
    }

    @Test
    void callReceiveTimeoutFailsInTheReceivePhaseAfterTheMessageWasDelivered() {
        KernelRig rig = KernelRig.deterministic(1);
        ThreadId[] ids = new ThreadId[2];
        long timeout = 50_000;
        ids[0] = rig.spawn("server", 0, () -> {
            int tag = L4.waitAny();
            rig.note("server got " + result(tag));
            tag = L4.receive(ids[1]); // never replies; the client ends and this fails
            rig.note("server then " + result(tag));
        });
        ids[1] = rig.spawn("client", 0, () -> {
            L4.setMr(1, 9);
            long c0 = L4.clock();
            int tag = L4.call(ids[0], MsgTag.make(4, 1), Timeout.NEVER, timeout);
            long took = L4.clock() - c0;
            rig.note("client " + result(tag) + " after " + took);
        });
        rig.runClean();
        assertEquals(List.of(
                "server got label 4 u 1 mr1 9 from " + ids[1],
                "client error timeout in the receive phase after " + (ENTRY + timeout + EXIT),
                "server then error non-existing partner in the receive phase"), rig.log);
    }

    @Test
    void replyToAClientThatNoLongerListensIsLost() {
        KernelRig rig = KernelRig.deterministic(1);
        ThreadId[] ids = new ThreadId[2];
        ids[0] = rig.spawn("server", 0, () -> {
            int tag = L4.waitAny();
            rig.note("server got " + MsgTag.label(tag));
            tag = L4.replyWait(L4.from(), MsgTag.make(2, 0), 5_000);
            rig.note("reply " + (MsgTag.isError(tag) ? IpcError.describe(L4.errorCode()) : "ok"));
        });
        ids[1] = rig.spawn("client", 0, () -> {
            L4.send(ids[0], MsgTag.make(1, 0)); // send only: alive, but not listening
            L4.yieldCpu();
        });
        rig.runClean();
        assertEquals(List.of("server got 1", "reply timeout in the send phase"), rig.log);
    }

    @Test
    void nonExistingPartners() {
        KernelRig rig = KernelRig.deterministic(1);
        ThreadId[] ids = new ThreadId[2];
        ids[0] = rig.spawn("early", 0, () -> { });
        ids[1] = rig.spawn("a", 0, () -> {
            ThreadId never = ThreadId.of(999, 1);
            ThreadId stale = ThreadId.of(ids[1].number(), ids[1].version() + 1);
            check(rig, "never-created send", L4.send(never, 0, Timeout.NEVER));
            check(rig, "never-created receive", L4.receive(never, Timeout.NEVER));
            check(rig, "stale version send", L4.send(stale, 0, Timeout.NEVER));
            check(rig, "stale version receive", L4.receive(stale, Timeout.NEVER));
            check(rig, "self send", L4.send(L4.myself(), 0, Timeout.NEVER));
            check(rig, "dead send", L4.send(ids[0], 0, Timeout.NEVER));
            check(rig, "dead receive", L4.receive(ids[0], Timeout.NEVER));
            check(rig, "dead call", L4.call(ids[0], 0));
            check(rig, "nil ipc", L4.ipc(ThreadId.NIL, ThreadId.NIL, 0, Timeout.NEVER, Timeout.NEVER));
        });
        rig.runClean();
        assertEquals(List.of(
                "never-created send: " + NO_PARTNER_SEND,
                "never-created receive: " + NO_PARTNER_RECEIVE,
                "stale version send: " + NO_PARTNER_SEND,
                "stale version receive: " + NO_PARTNER_RECEIVE,
                "self send: " + NO_PARTNER_SEND,
                "dead send: " + NO_PARTNER_SEND,
                "dead receive: " + NO_PARTNER_RECEIVE,
                "dead call: " + NO_PARTNER_SEND,
                "nil ipc: 0"), rig.log);
    }

    private static void check(KernelRig rig, String what, int tag) {
        int err = L4.errorCode();
        if (MsgTag.isError(tag) != (err != 0)) {
            rig.note(what + ": E flag " + MsgTag.isError(tag) + " disagrees with error word " + err);
        }
        rig.note(what + ": " + err);
    }

    @Test
    void partnerDyingWhileWeWait() {
        KernelRig rig = KernelRig.deterministic(1);
        ThreadId[] ids = new ThreadId[6];
        // a waits in a closed receive from b; b ends
        ids[0] = rig.spawn("a", 0, () -> check(rig, "a receive from dying b", L4.receive(ids[1])));
        ids[1] = rig.spawn("b", 0, () -> L4.compute(100));
        // c polls to send to d (which is ready, not receiving); d ends
        ids[2] = rig.spawn("c", 0, () -> check(rig, "c send to dying d", L4.send(ids[3], 0)));
        ids[3] = rig.spawn("d", 0, () -> L4.compute(100));
        // e calls f; f takes the request and ends without a reply
        ids[4] = rig.spawn("e", 0, () -> check(rig, "e call to dying f", L4.call(ids[5], 0)));
        ids[5] = rig.spawn("f", 0, () -> {
            L4.waitAny();
            L4.compute(100);
        });
        rig.runClean();
        assertTrue(rig.log.containsAll(List.of(
                "a receive from dying b: " + NO_PARTNER_RECEIVE,
                "c send to dying d: " + NO_PARTNER_SEND,
                "e call to dying f: " + NO_PARTNER_RECEIVE)), rig.log::toString);
        assertEquals(3, rig.log.size(), rig.log::toString);
    }

    @Test
    void threadSwitchToAThreadRunsItNext() {
        KernelRig rig = KernelRig.deterministic(1);
        ThreadId[] ids = new ThreadId[3];
        ids[0] = rig.spawn("a", 0, () -> {
            rig.note("a1");
            L4.threadSwitch(ids[2]); // skip b
            rig.note("a2");
        });
        ids[1] = rig.spawn("b", 0, () -> rig.note("b"));
        ids[2] = rig.spawn("c", 0, () -> {
            rig.note("c1");
            L4.yieldCpu();
            rig.note("c2");
        });
        rig.runClean();
        assertEquals(List.of("a1", "c1", "b", "a2", "c2"), rig.log);
    }

    @Test
    void yieldRoundRobinsAmongEqualPriorities() {
        KernelRig rig = KernelRig.deterministic(1);
        for (String n : List.of("a", "b", "c")) {
            rig.spawn(n, 0, () -> {
                for (int i = 0; i < 3; i++) {
                    rig.note(n);
                    L4.yieldCpu();
                }
            });
        }
        rig.runClean();
        assertEquals("abcabcabc", String.join("", rig.log));
        assertTrue(rig.machine.counterTotal(Kernel.C_SWITCHES) >= 9);
    }

    @Test
    void higherPriorityRunsFirstAndThreadSwitchToSelfOrNilIsAYield() {
        KernelRig rig = KernelRig.deterministic(1);
        rig.kernel.createThread(new ThreadSpec("low", 0, 10, false, () -> rig.note("low")));
        rig.kernel.createThread(new ThreadSpec("high", 0, 200, false, () -> {
            rig.note("high1");
            L4.threadSwitch(L4.myself());
            rig.note("high2"); // still the highest: runs on
        }));
        rig.runClean();
        assertEquals(List.of("high1", "high2", "low"), rig.log);
    }

    @Test
    void badArgumentsAreRefusedBeforeTheTrap() {
        KernelRig rig = KernelRig.deterministic(1);
        rig.spawn("a", 0, () -> {
            ThreadId me = L4.myself();
            rig.note(thrown(() -> L4.ipc(me, ThreadId.NIL, 0, -1, 0)));
            rig.note(thrown(() -> L4.send(ThreadId.ANY, 0)));
            rig.note(thrown(() -> L4.setMr(-1, 1))); // MR0 is a register too (X.2 L4_LoadMR(0, tag)): -1 is none
            rig.note(thrown(() -> L4.mr(64)));
            rig.note(thrown(() -> L4.compute(-5)));
            rig.note(thrown(() -> L4.ipc(null, ThreadId.NIL, 0, 0, 0)));
        });
        rig.runClean();
        assertEquals(6, rig.log.size());
        for (String s : rig.log) {
            assertTrue(s.startsWith("IllegalArgumentException"), s);
        }
        assertEquals(0, rig.machine.counterTotal(Kernel.C_TRAPS), "nothing trapped");
        assertThrows(IllegalStateException.class, L4::myself, "L4 outside an L4 thread");
    }

    private static String thrown(Runnable r) {
        try {
            r.run();
            return "nothing thrown";
        } catch (RuntimeException e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }

    @Test
    void userThreadsSeeTheirProcessorNumber() {
        KernelRig rig = KernelRig.deterministic(3);
        for (int cpu = 0; cpu < 3; cpu++) {
            int c = cpu;
            rig.spawn("t" + cpu, cpu, () -> rig.note(c + ":" + L4.processorNumber()));
        }
        rig.runClean();
        assertEquals(List.of("0:1", "1:2", "2:3"), rig.log.stream().sorted().toList());
    }
}
