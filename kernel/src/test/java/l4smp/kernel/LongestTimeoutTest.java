package l4smp.kernel;

import l4smp.emulator.ExecutionMode;
import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.ipc.Timeout;
import l4smp.kernel.thread.ThreadId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The longest finite timeouts (any cycle count below {@link Timeout#NEVER} is valid) wait as long
 * as they say: the deadline of a phase saturates instead of wrapping past {@code Long.MAX_VALUE}
 * to a negative cycle, which would expire the timeout at once. The partner comes 50,000 cycles
 * later, locally and across processors, in the send and the receive phase.
 */
class LongestTimeoutTest {

    static final long LONGEST = Timeout.NEVER - 1;
    static final long LATE = 50_000;

    private static String result(int tag) {
        return MsgTag.isError(tag) ? "error " + IpcError.describe(L4.errorCode()) : "ok label " + MsgTag.label(tag);
    }

    @ParameterizedTest
    @CsvSource({"0, 0", "0, 1"})
    void aReceiveWithTheLongestTimeoutGetsALateMessage(int receiverCpu, int senderCpu) {
        KernelRig rig = KernelRig.of(ExecutionMode.DETERMINISTIC, 2);
        ThreadId[] ids = new ThreadId[2];
        ids[0] = rig.spawn("receiver", receiverCpu, () -> rig.note("receive " + result(L4.receive(ids[1], LONGEST))));
        ids[1] = rig.spawn("sender", senderCpu, () -> {
            L4.sleep(LATE);
            rig.note("send " + result(L4.send(ids[0], MsgTag.make(7, 0), Timeout.NEVER)));
        });
        rig.runClean();
        assertEquals(List.of("receive ok label 7", "send ok label 0"), rig.log.stream().sorted().toList());
    }

    @ParameterizedTest
    @CsvSource({"0, 0", "0, 1"})
    void aSendWithTheLongestTimeoutReachesALateReceiver(int senderCpu, int receiverCpu) {
        KernelRig rig = KernelRig.of(ExecutionMode.DETERMINISTIC, 2);
        ThreadId[] ids = new ThreadId[2];
        ids[0] = rig.spawn("sender", senderCpu, () -> rig.note("send " + result(L4.send(ids[1], MsgTag.make(7, 0), LONGEST))));
        ids[1] = rig.spawn("receiver", receiverCpu, () -> {
            L4.sleep(LATE);
            rig.note("receive " + result(L4.receive(ids[0], Timeout.NEVER)));
        });
        rig.runClean();
        assertEquals(List.of("receive ok label 7", "send ok label 0"), rig.log.stream().sorted().toList());
    }

    @Test
    void aSleepWithTheLongestTimeoutIsEndedByACancelNotByItsTimeout() {
        KernelRig rig = KernelRig.of(ExecutionMode.DETERMINISTIC, 1);
        ThreadId[] ids = new ThreadId[2];
        ids[0] = rig.spawn("sleeper", 0, () -> rig.note("slept to its timeout: " + L4.sleep(LONGEST)));
        ids[1] = rig.spawn("waker", 0, () -> {
            L4.sleep(LATE);
            L4.exchangeRegisters(ids[0], l4smp.kernel.api.ExchangeRegisters.CANCEL_RECEIVE, 0, 0, 0, 0, ThreadId.NIL);
        });
        rig.runClean();
        assertEquals(List.of("slept to its timeout: false"), rig.log);
    }

    @Test
    void theDeadlineSaturates() {
        assertEquals(Long.MAX_VALUE, Timeout.deadline(1_000, LONGEST));
        assertEquals(Long.MAX_VALUE, Timeout.deadline(0, Timeout.NEVER));
        assertEquals(1_500, Timeout.deadline(1_000, 500));
        assertEquals(Long.MAX_VALUE, Timeout.deadline(Long.MAX_VALUE - 10, 10));
        assertEquals(Long.MAX_VALUE - 1, Timeout.deadline(Long.MAX_VALUE - 11, 10));
    }
}
