package l4smp.kernel.conformance;

import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.thread.ThreadId;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The cases of l4test's {@code ipc.cc}: plain IPC between two threads, in every variant.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SAME_THREAD)
class IpcConformanceTest {

    static List<Variant> variants() {
        return Variant.all();
    }

    /**
     * A call carries the tag's label and untyped words to the receiver and the reply's back (X.2
     * 7.1 "Ipc": MR0 is the message tag, MR1..u the untyped words; the receiver's "from" is the
     * sender).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void callCarriesLabelAndUntypedWordsBothWays(Variant v) {
        ConformanceRig rig = new ConformanceRig(v);
        ThreadId[] ids = new ThreadId[2];
        ids[0] = rig.spawn("server", 0, () -> {
            int tag = L4.receive(ThreadId.ANY);
            rig.note("server label " + MsgTag.label(tag) + " u " + MsgTag.untyped(tag) + " mr1 " + L4.mr(1)
                    + " mr2 " + L4.mr(2) + " from client " + L4.from().equals(ids[1]));
            L4.setMr(1, L4.mr(1) + L4.mr(2));
            L4.send(L4.from(), MsgTag.make(0x12, 1));
        });
        ids[1] = rig.spawn("client", 1, () -> {
            L4.setMr(1, 40);
            L4.setMr(2, 2);
            int tag = L4.call(ids[0], MsgTag.make(0x34, 2));
            rig.note("client label " + MsgTag.label(tag) + " u " + MsgTag.untyped(tag) + " mr1 " + L4.mr(1)
                    + " error " + MsgTag.isError(tag));
        });
        rig.runClean();
        assertEquals(List.of("server label 52 u 2 mr1 40 mr2 2 from client true",
                "client label 18 u 1 mr1 42 error false"), rig.log, v.toString());
    }
}
