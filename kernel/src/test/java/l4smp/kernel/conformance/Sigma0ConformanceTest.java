package l4smp.kernel.conformance;

import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.ipc.TypedItems;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.user.Sigma0;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The cases of l4test's {@code sig0.cc} (Pistachio {@code user/apps/l4test}) against l4smp's
 * sigma0, which follows Pistachio's ({@code user/serv/sigma0/sigma0.cc}): sigma0 on party 0's
 * CPU, the requester (in an address space of its own) on party 1's, so across processors in the
 * cross variants; both ABIs (a crossed request carries the thesis's crossed bit in t's top bit,
 * which sigma0 must read past).
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SAME_THREAD)
class Sigma0ConformanceTest {

    /** A page sigma0 owns at boot (frame 0x100, the same address in every space: sigma0 is idempotent). */
    private static final long PAGE = 0x10_0000L;

    static List<Variant> variants() {
        return Variant.allAbis();
    }

    /** The request of l4test's {@code request_page}: label -6 &lt;&lt; 4, MR1 the flexpage, MR2 = 0 attributes. */
    private static int request(ThreadId sigma0, long fpage) {
        L4.setMr(1, fpage);
        L4.setMr(2, 0);
        return L4.call(sigma0, MsgTag.make(Sigma0.REQUEST_LABEL, 2));
    }

    /**
     * l4test "Sigma0 memory request": with the acceptor {@code L4_MapGrantItems(L4_CompleteAddressSpace)}
     * (X.2: the complete-address-space flexpage, size field 1) sigma0's map item is accepted and
     * the page appears at the address sigma0 sends it from (its send base), readable and
     * writable. Before the complete-address-space acceptor was understood this IPC failed with
     * a message overflow.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void aRequestWithTheCompleteAddressSpaceAcceptorMapsThePage(Variant v) {
        ConformanceRig rig = new ConformanceRig(v);
        ThreadId sigma0 = rig.startSigma0(0);
        rig.spawnInSpace("client", 1, "client", sigma0, () -> {
            L4.setBr(0, TypedItems.COMPLETE_ADDRESS_SPACE);
            int tag = request(sigma0, TypedItems.fpage(PAGE, 12, 6));
            rig.note("error " + MsgTag.isError(tag) + " t " + L4.typedWords(tag) + " fpage 0x"
                    + Long.toHexString(MsgTag.isError(tag) ? 0 : L4.mr(2)));
            L4.store(PAGE + 8, 4242);
            rig.note("reads " + L4.load(PAGE + 8));
        });
        rig.runClean();
        assertEquals(List.of("error false t 2 fpage 0x" + Long.toHexString(TypedItems.fpage(PAGE, 12, 6)), "reads 4242"),
                rig.log, v.toString());
    }

    /**
     * l4test "phony send, ok=noresponse": a call with label 0 and two zero words is no sigma0
     * request, and Pistachio's sigma0 answers it with nothing ("unknown sigma0 request": it waits
     * for the next message), so the caller's receive phase times out (error 1, receive phase)
     * after its timeout; a message of the wrong shape (three words) is ignored the same way.
     * sigma0 serves the next well-formed request as usual. Before sigma0 ignored malformed
     * requests it replied with a nil map item and the call succeeded.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void malformedRequestsGetNoReply(Variant v) {
        ConformanceRig rig = new ConformanceRig(v);
        ThreadId sigma0 = rig.startSigma0(0);
        rig.spawnInSpace("client", 1, "client", sigma0, () -> {
            L4.setMr(1, 0);
            L4.setMr(2, 0);
            int tag = L4.call(sigma0, MsgTag.make(0, 2), l4smp.kernel.ipc.Timeout.NEVER, L4.micros(1000));
            rig.note("label 0: " + (MsgTag.isError(tag) ? IpcError.describe(L4.errorCode()) : "answered"));
            L4.setMr(3, 0);
            tag = L4.call(sigma0, MsgTag.make(Sigma0.REQUEST_LABEL, 3), l4smp.kernel.ipc.Timeout.NEVER, L4.micros(1000));
            rig.note("three words: " + (MsgTag.isError(tag) ? IpcError.describe(L4.errorCode()) : "answered"));
            L4.setBr(0, TypedItems.COMPLETE_ADDRESS_SPACE);
            tag = request(sigma0, TypedItems.fpage(PAGE, 12, 6));
            rig.note("request: " + (MsgTag.isError(tag) ? IpcError.describe(L4.errorCode()) : "answered"));
        });
        rig.runClean();
        assertEquals(List.of("label 0: timeout in the receive phase", "three words: timeout in the receive phase",
                "request: answered"), rig.log, v.toString());
    }

    /**
     * l4test "phony receive, ok=nilmapping": a requester that accepts no map items (acceptor
     * nil) gets no page: the IPC fails or brings the nil flexpage (l4test accepts either).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void aRequesterThatAcceptsNoMappingGetsNoPage(Variant v) {
        ConformanceRig rig = new ConformanceRig(v);
        ThreadId sigma0 = rig.startSigma0(0);
        rig.spawnInSpace("client", 1, "client", ThreadId.NIL, () -> {
            L4.setBr(0, 0);
            int tag = request(sigma0, TypedItems.fpage(PAGE, 12, 6));
            rig.note(MsgTag.isError(tag) || L4.mr(2) == 0 ? "no page" : "page 0x" + Long.toHexString(L4.mr(2)));
        });
        rig.runClean();
        assertEquals(List.of("no page"), rig.log, v.toString());
    }
}
