package l4smp.kernel.conformance;

import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.Abi;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.thread.ThreadId;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The cases of l4test's {@code ipc-smp.cc} (Pistachio {@code user/apps/l4test}): untyped messages
 * of 0..63 words between two threads, the cross-processor mark of the received tag, and the
 * abort-if-cross request of thesis 7.2 (design decision 4), on one CPU and across two, seeded and
 * in parallel, under both ABIs ({@link Abi}).
 */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SAME_THREAD)
class IpcSmpConformanceTest {

    static List<Variant> variants() {
        return Variant.allAbis();
    }

    /**
     * l4test "Message transfer": n = 0..63 untyped words with label 0xf00f arrive with that label,
     * u = n, MR1..n = 1..n, and {@code L4_IpcXcpu(tag)} (X.2: the X flag, bit 14) exactly when the
     * partners are on different processors. t stays 0: X.2 keeps t in bits 6..11 and the kernel
     * never touches it; in the thesis ABI the crossed bit is bit 11 of rcv.w0 (thesis 7.2), which
     * for t &lt; 32 is free, and the typed count read through the ABI ({@link L4#typedWords}) is 0.
     * Before the ABI option a crossed message with t = 0 arrived with raw t = 32 in every run;
     * under {@code x2} this case fails on that code.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void untypedWordsArriveIntactWithTheCrossingMarkedByTheAbi(Variant v) {
        ConformanceRig rig = new ConformanceRig(v);
        ThreadId[] ids = new ThreadId[2];
        List<String> wrong = new ArrayList<>();
        ids[0] = rig.spawn("t1", 0, () -> {
            for (int n = 0; n <= 63; n++) {
                int tag = L4.receive(ids[1]);
                StringBuilder bad = new StringBuilder();
                if (MsgTag.isError(tag)) {
                    bad.append(" error ").append(IpcError.describe(L4.errorCode()));
                }
                if (MsgTag.label(tag) != 0xf00f) {
                    bad.append(" label 0x").append(Integer.toHexString(MsgTag.label(tag)));
                }
                if (MsgTag.untyped(tag) != n) {
                    bad.append(" u ").append(MsgTag.untyped(tag));
                }
                if (L4.typedWords(tag) != 0) {
                    bad.append(" t ").append(L4.typedWords(tag));
                }
                if (MsgTag.crossedProcessors(tag) != v.cross()) {
                    bad.append(" X ").append(MsgTag.crossedProcessors(tag));
                }
                // Thesis 7.2: bit 11 of rcv.w0 set iff crossed; X.2: bit 11 is t's and t = 0.
                boolean bit11 = (tag & (1 << 11)) != 0;
                if (bit11 != (v.abi() == Abi.THESIS && v.cross())) {
                    bad.append(" bit11 ").append(bit11);
                }
                if (v.abi() == Abi.X2 && MsgTag.typed(tag) != 0) {
                    bad.append(" raw t ").append(MsgTag.typed(tag));
                }
                for (int i = 1; i <= n; i++) {
                    if (L4.mr(i) != i) {
                        bad.append(" mr").append(i).append('=').append(L4.mr(i));
                        break;
                    }
                }
                if (!bad.isEmpty()) {
                    wrong.add(n + " words:" + bad);
                }
                L4.send(ids[1], 0);
            }
        });
        ids[1] = rig.spawn("t2", 1, () -> {
            for (int n = 0; n <= 63; n++) {
                for (int i = 1; i <= n; i++) {
                    L4.setMr(i, i);
                }
                L4.call(ids[0], MsgTag.make(0xf00f, n));
            }
        });
        rig.runClean();
        assertEquals(List.of(), wrong, v.toString());
    }

    /**
     * Thesis 7.2 (design decision 4): a send whose tag asks to abort in the cross-processor case
     * fails with error 7 in the send phase, offset 0, before any transfer, and names the
     * destination's processor number (thesis: 1..k; X.2 ABI: 0..k-1); on one processor it is
     * delivered. The request is send-tag bit 12 in the thesis ABI and the send tag's X bit in
     * the X.2 ABI, where bit 12 is p (propagation) and asks for no abort.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void abortIfCrossIsTheAbisBitAndNamesThePartnersProcessor(Variant v) {
        ConformanceRig rig = new ConformanceRig(v);
        ThreadId[] ids = new ThreadId[2];
        ids[0] = rig.spawnDaemon("receiver", 0, () -> {
            while (true) {
                int tag = L4.waitAny();
                rig.note("received label " + MsgTag.label(tag));
            }
        });
        ids[1] = rig.spawn("sender", 1, () -> {
            int tag = L4.send(ids[0], L4.abortIfCross(MsgTag.make(1, 0)));
            rig.note(MsgTag.isError(tag) ? "abort error " + L4.errorCode() + " partner " + L4.xpPartnerProcessor()
                    : "sent 1");
            // The other ABI's bit is no abort request in this one.
            int otherBit = v.abi() == Abi.THESIS ? MsgTag.XCPU_FLAG : MsgTag.XCPU_ABORT_FLAG;
            tag = L4.send(ids[0], MsgTag.make(2, 0) | otherBit);
            rig.note(MsgTag.isError(tag) ? "error " + L4.errorCode() : "sent 2");
            L4.sleep(L4.micros(100)); // let the receiver note the second message
        });
        rig.runClean();
        List<String> expected = v.cross()
                ? List.of("abort error " + IpcError.word(IpcError.ABORTED, IpcError.PHASE_SEND) + " partner "
                        + v.processorOf(0), "sent 2", "received label 2")
                : List.of("received label 1", "sent 1", "received label 2", "sent 2");
        // The two threads note concurrently: compare the notes, not their order.
        List<String> got = new ArrayList<>(rig.log);
        got.sort(null);
        expected = new ArrayList<>(expected);
        expected.sort(null);
        assertEquals(expected, got, v.toString());
    }

    /**
     * l4test "Send timeout" and "Receive timeout" across processors: a send nobody receives and a
     * receive nobody sends to end with error 1 (timeout) in the send (phase bit 0) and receive
     * (phase bit 1) phase (X.2 IPC error codes).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void sendAndReceiveTimeOut(Variant v) {
        ConformanceRig rig = new ConformanceRig(v);
        ThreadId[] ids = new ThreadId[2];
        ids[0] = rig.spawn("t1", 0, () -> {
            int tag = L4.send(ids[1], 0, L4.micros(1000));
            rig.note("send " + (MsgTag.isError(tag) ? L4.errorCode() : 0));
            tag = L4.receive(ids[1], L4.micros(1000));
            rig.note("receive " + (MsgTag.isError(tag) ? L4.errorCode() : 0));
        });
        ids[1] = rig.spawn("t2", 1, () -> L4.sleep(L4.micros(5000)));
        rig.runClean();
        assertEquals(List.of("send " + IpcError.word(IpcError.TIMEOUT, IpcError.PHASE_SEND),
                "receive " + IpcError.word(IpcError.TIMEOUT, IpcError.PHASE_RECEIVE)), rig.log, v.toString());
    }
}
