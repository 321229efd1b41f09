package l4smp.kernel.conformance;

import l4smp.kernel.api.L4;
import l4smp.kernel.api.X2Time;
import l4smp.kernel.ipc.Abi;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.thread.ThreadId;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cases of l4test's {@code ipc.cc} (Pistachio {@code user/apps/l4test}): plain IPC between
 * two threads, the tag loaded into MR0 as L4 code does, X.2 timeouts, local thread ids, in every
 * variant (under both ABIs where the ABI changes what a thread sees).
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

    static List<Variant> abiVariants() {
        return Variant.allAbis();
    }

    /**
     * X.2 convenience code loads the tag into MR0 ({@code L4_LoadMR(0, tag)} / {@code L4_Load})
     * and calls {@code L4_Call(to)}; after the IPC MR0 holds the received tag (X.2 7.1 "Ipc":
     * MR0 is the message tag both ways). The facade before this refused {@code setMr(0, ...)}.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void theTagLoadedIntoMr0IsSentAndMr0HoldsTheResultTag(Variant v) {
        ConformanceRig rig = new ConformanceRig(v);
        ThreadId[] ids = new ThreadId[2];
        ids[0] = rig.spawn("server", 0, () -> {
            int tag = L4.receive(ThreadId.ANY);
            rig.note("server label 0x" + Integer.toHexString(MsgTag.label(tag)) + " u " + MsgTag.untyped(tag)
                    + " mr0 is the tag " + (L4.mr(0) == tag) + " mr1 " + L4.mr(1));
            L4.setMr(0, MsgTag.make(0x56, 1));
            L4.setMr(1, 7);
            L4.send(L4.from());
        });
        ids[1] = rig.spawn("client", 1, () -> {
            L4.setMr(0, MsgTag.make(0x34, 1));
            L4.setMr(1, 99);
            int tag = L4.call(ids[0]);
            rig.note("client label 0x" + Integer.toHexString(MsgTag.label(tag)) + " mr0 is the tag "
                    + (L4.mr(0) == tag) + " mr1 " + L4.mr(1));
        });
        rig.runClean();
        assertEquals(List.of("server label 0x34 u 1 mr0 is the tag true mr1 99",
                "client label 0x56 mr0 is the tag true mr1 7"), rig.log, v.toString());
    }

    /** MR0 that is not a 32-bit word is refused before the trap, naming MR0. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void anMr0WiderThan32BitsIsRefused(Variant v) {
        ConformanceRig rig = new ConformanceRig(v);
        rig.spawn("t", 0, () -> {
            L4.setMr(0, 1L << 40);
            try {
                L4.send(L4.myself());
                rig.note("sent");
            } catch (IllegalArgumentException e) {
                rig.note(e.getMessage().startsWith("MR0") ? "refused naming MR0" : e.getMessage());
            }
        });
        rig.runClean();
        assertEquals(List.of("refused naming MR0"), rig.log);
    }

    /**
     * l4test ipc.cc "Send timeout" / "Receive timeout" with X.2 timeouts: a send to a thread
     * that does not receive, with {@code L4_ZeroTime}, fails at once with error 1 in the send
     * phase; a receive with {@code L4_TimePeriod(2000)} (m 1000, e 1: 2000 us) fails with error 1
     * in the receive phase no earlier than 2000 us of the caller's clock (X.2 "Time": a period of
     * m * 2^e microseconds). A timeouts word that is not two 16-bit times is refused.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void x2TimeoutsBoundTheSendAndReceivePhases(Variant v) {
        ConformanceRig rig = new ConformanceRig(v);
        ThreadId[] ids = new ThreadId[2];
        long[] elapsed = new long[2];
        ids[0] = rig.spawn("t1", 0, () -> {
            int tag = L4.ipcX2(ids[1], ThreadId.NIL, 0, X2Time.ZERO, X2Time.ZERO);
            rig.note("send " + (MsgTag.isError(tag) ? L4.errorCode() : 0));
            long c0 = L4.clock();
            tag = L4.ipcX2(ThreadId.NIL, ids[1], 0, X2Time.NEVER << 16 | X2Time.period(2000));
            elapsed[0] = L4.clock() - c0;
            elapsed[1] = L4.micros(2000);
            rig.note("receive " + (MsgTag.isError(tag) ? L4.errorCode() : 0));
            try {
                L4.ipcX2(ThreadId.NIL, ids[1], 0, 0, 0x1_0000);
                rig.note("accepted a 17-bit time");
            } catch (IllegalArgumentException e) {
                rig.note("refused");
            }
        });
        ids[1] = rig.spawn("t2", 1, () -> L4.sleep(L4.micros(10_000)));
        rig.runClean();
        assertEquals(List.of("send " + IpcError.word(IpcError.TIMEOUT, IpcError.PHASE_SEND),
                "receive " + IpcError.word(IpcError.TIMEOUT, IpcError.PHASE_RECEIVE), "refused"), rig.log, v.toString());
        assertTrue(elapsed[0] >= elapsed[1], v + ": the 2000 us receive timeout fired after " + elapsed[0]
                + " cycles, before " + elapsed[1]);
    }

    /**
     * Local thread ids (X.2 "ThreadId": a local id names a thread of the caller's address space;
     * Pistachio {@code L4_MyLocalId}, and {@code ipc.cc}, which accepts a local id as the partner
     * of a closed receive and returns the sender's local id when it is of the receiver's space).
     * t2 sends t1 its local id; t1 receives from that local id and replies to it; a local id
     * names no thread of another space (error 2, non-existing partner). The received {@code from}
     * is the local id in the X.2 ABI, the global id in the thesis ABI.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("abiVariants")
    void localIdsNameThreadsOfTheCallersSpace(Variant v) {
        ConformanceRig rig = new ConformanceRig(v);
        ThreadId[] ids = new ThreadId[3];
        ids[0] = rig.spawn("t1", 0, () -> {
            L4.receive(ids[1]);
            ThreadId local = ThreadId.fromRaw((int) L4.mr(1));
            rig.note("t1 got a local id " + local.isLocal() + ", from is local " + L4.from().isLocal()
                    + ", from is t2's local id " + L4.from().equals(local));
            int tag = L4.receive(local);
            rig.note("t1 received from the local id: " + (MsgTag.isError(tag) ? L4.errorCode() : "ok")
                    + " mr1 " + L4.mr(1));
            L4.setMr(1, 5);
            tag = L4.send(local, MsgTag.make(0, 1));
            rig.note("t1 replied to the local id: " + (MsgTag.isError(tag) ? L4.errorCode() : "ok"));
            rig.note("t3's local id names no thread here: "
                    + (MsgTag.isError(L4.send(ThreadId.local(ids[2].number()), 0, 0)) ? L4.errorCode() : 0));
        });
        ids[1] = rig.spawn("t2", 1, () -> {
            L4.setMr(1, L4.myLocalId().raw());
            L4.send(ids[0], MsgTag.make(0, 1));
            L4.setMr(1, 3);
            L4.send(ids[0], MsgTag.make(0, 1));
            L4.receive(ids[0]);
            rig.note("t2 got " + L4.mr(1));
        });
        ids[2] = rig.spawnInSpace("t3", 0, "other", ThreadId.NIL, () -> {
        });
        rig.runClean();
        boolean x2 = v.abi() == Abi.X2;
        List<String> expected = new java.util.ArrayList<>(List.of(
                "t1 got a local id true, from is local " + x2 + ", from is t2's local id " + x2,
                "t1 received from the local id: ok mr1 3",
                "t1 replied to the local id: ok",
                "t3's local id names no thread here: " + IpcError.word(IpcError.NO_PARTNER, IpcError.PHASE_SEND),
                "t2 got 5"));
        List<String> got = new java.util.ArrayList<>(rig.log);
        expected.sort(null);
        got.sort(null);
        assertEquals(expected, got, v.toString());
    }
}
