package l4smp.kernel.conformance;

import l4smp.kernel.ThreadSpec;
import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.Abi;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.ipc.Timeout;
import l4smp.kernel.space.AddressSpace;
import l4smp.kernel.thread.ThreadId;
import org.junit.jupiter.api.Timeout.ThreadMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * IPC propagation (L4 X.2 "Ipc", propagation; Pistachio {@code api/v4/ipc.cc}: sys_ipc's send
 * phase picks the VirtualSender as {@code sender_id}, transfer_message keeps the p bit, sets the
 * receiver's ActualSender and redirects a virtual sender that waits for the actual sender). The
 * kernel propagates when the sender, the virtual sender and the receiver share one processor;
 * a propagating send that would involve another processor fails with error 7 in the send phase,
 * the other processor's number in the UTCB (the thesis's design decision 4, section 7.2). The
 * request is X.2's p bit (bit 12) in the X.2 ABI and bit 13 in the thesis ABI ({@link Abi}).
 *
 * <p>Every case fails on the kernel before propagation: it ignored the p bit (and bit 13), so the
 * receiver saw the actual sender, a virtual sender's call got no reply, and a receiver waiting
 * for the virtual sender did not take the message.
 */
@org.junit.jupiter.api.Timeout(value = 120, threadMode = ThreadMode.SAME_THREAD)
class IpcPropagationConformanceTest {

    static List<Variant> variants() {
        return Variant.allAbis();
    }

    static List<Variant> oneAbi() {
        return Variant.all();
    }

    private static String name(ThreadId id, ThreadId[] ids, String... names) {
        ThreadId global = L4.globalId(id);
        for (int i = 0; i < ids.length; i++) {
            if (global.equals(ids[i])) {
                return names[i];
            }
        }
        return global.toString();
    }

    private static List<String> sorted(List<String> l) {
        List<String> s = new ArrayList<>(l);
        s.sort(null);
        return s;
    }

    /**
     * X.2's redirector pattern: a client calls a propagator, which propagates the request to the
     * receiver on the client's behalf. The receiver sees the client as {@code from}, the p bit in
     * its tag and the propagator as ActualSender, and replies to the client, whose closed wait
     * for the propagator was redirected to the receiver (Pistachio transfer_message:
     * "virt_sender->set_partner(dst)"). Across processors the propagator's send is refused with
     * error 7 naming the receiver's processor; the receiver's wait times out (error 1, receive
     * phase), and the client, still waiting for the propagator, fails with "non-existing partner"
     * (error 2, receive phase) when the propagator's thread ends (X.2 IPC error codes).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void theReceiverSeesTheVirtualSenderAndRepliesToItsRedirectedCall(Variant v) {
        ConformanceRig rig = new ConformanceRig(v);
        ThreadId[] ids = new ThreadId[3];
        String[] names = {"receiver", "propagator", "client"};
        ids[0] = rig.spawn("receiver", 0, () -> {
            int tag = L4.receive(ThreadId.ANY, L4.micros(1000));
            if (MsgTag.isError(tag)) {
                rig.note("receiver error " + L4.errorCode());
                return;
            }
            rig.note("receiver from " + name(L4.from(), ids, names) + " actual " + name(L4.actualSender(), ids, names)
                    + " p " + L4.isPropagated(tag) + " label " + MsgTag.label(tag));
            int r = L4.send(L4.from(), MsgTag.make(7, 0), L4.micros(200));
            rig.note(MsgTag.isError(r) ? "reply error " + L4.errorCode() : "replied");
        });
        ids[1] = rig.spawn("propagator", 1, () -> {
            int tag = L4.receive(ids[2], L4.micros(1000));
            if (MsgTag.isError(tag)) {
                rig.note("propagator receive error " + L4.errorCode());
                return;
            }
            L4.setVirtualSender(ids[2]);
            int r = L4.send(ids[0], L4.propagate(MsgTag.make(5, 0)), L4.micros(1000));
            rig.note(MsgTag.isError(r) ? "propagator error " + L4.errorCode() + " partner " + L4.xpPartnerProcessor()
                    : "propagated");
        });
        ids[2] = rig.spawn("client", 2, () -> {
            int tag = L4.call(ids[1], MsgTag.make(5, 0), Timeout.NEVER, L4.micros(1500));
            rig.note(MsgTag.isError(tag) ? "client error " + L4.errorCode()
                    : "client reply from " + name(L4.from(), ids, names) + " label " + MsgTag.label(tag));
        });
        rig.runClean();
        int receiveTimeout = IpcError.word(IpcError.TIMEOUT, IpcError.PHASE_RECEIVE);
        List<String> expected = v.cross()
                ? List.of("propagator error " + IpcError.word(IpcError.ABORTED, IpcError.PHASE_SEND) + " partner "
                        + v.processorOf(0), "receiver error " + receiveTimeout,
                        "client error " + IpcError.word(IpcError.NO_PARTNER, IpcError.PHASE_RECEIVE))
                : List.of("receiver from client actual propagator p true label 5", "replied", "propagated",
                        "client reply from receiver label 7");
        assertEquals(sorted(expected), sorted(rig.log), v.toString());
    }

    /**
     * The request bit of each ABI (X.2 MsgTag: p is bit 12; the thesis ABI's bit 12 is the abort
     * request, so p moves to bit 13), and a receiver in a closed receive from the virtual sender
     * accepts the propagated message at once (Pistachio sys_ipc: the receiver waits for
     * {@code sender_id}, which is the virtual sender): a send timeout of 0 succeeds. The virtual
     * sender does not wait, so nothing is redirected. Across processors: error 7 naming the
     * receiver's processor, and the receiver's wait times out.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void aReceiverWaitingForTheVirtualSenderTakesTheMessageOfTheAbisPBit(Variant v) {
        int p = v.abi() == Abi.X2 ? 1 << 12 : 1 << 13;
        assertEquals(p, v.abi().propagatedFlag(), v.toString());
        ConformanceRig rig = new ConformanceRig(v);
        ThreadId[] ids = new ThreadId[3];
        String[] names = {"receiver", "propagator", "virtual"};
        ids[0] = rig.spawn("receiver", 0, () -> {
            int tag = L4.receive(ids[2], L4.micros(1000));
            rig.note(MsgTag.isError(tag) ? "receiver error " + L4.errorCode()
                    : "receiver from " + name(L4.from(), ids, names) + " actual " + name(L4.actualSender(), ids, names)
                            + " tag p " + ((tag & p) != 0) + " label " + MsgTag.label(tag));
        });
        ids[1] = rig.spawn("propagator", 1, () -> {
            L4.sleep(L4.micros(100)); // the receiver waits first
            L4.setVirtualSender(ids[2]);
            int r = L4.send(ids[0], MsgTag.make(9, 0) | p, Timeout.ZERO);
            rig.note(MsgTag.isError(r) ? "propagator error " + L4.errorCode() + " partner " + L4.xpPartnerProcessor()
                    : "propagated");
        });
        ids[2] = rig.spawn("virtual", 2, () -> L4.sleep(L4.micros(1500)));
        rig.runClean();
        List<String> expected = v.cross()
                ? List.of("propagator error " + IpcError.word(IpcError.ABORTED, IpcError.PHASE_SEND) + " partner "
                        + v.processorOf(0), "receiver error " + IpcError.word(IpcError.TIMEOUT, IpcError.PHASE_RECEIVE))
                : List.of("receiver from virtual actual propagator tag p true label 9", "propagated");
        assertEquals(sorted(expected), sorted(rig.log), v.toString());
    }

    /**
     * Who may propagate (Pistachio sys_ipc: the VirtualSender must name an existing thread, and
     * the sender must share its space with the virtual sender or with the receiver; otherwise the
     * p bit is cleared and the message is an ordinary one): the propagator (space A) sends on
     * behalf of a thread of space B to a receiver of its own space A (propagated), then to a
     * receiver of space C (ordinary: from is the propagator, no p bit), then names no thread
     * (ordinary). Every thread runs on CPU 0 in both placements: the rule is about spaces.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("oneAbi")
    void onlyASenderSharingASpaceWithTheVirtualSenderOrTheReceiverPropagates(Variant v) {
        ConformanceRig rig = new ConformanceRig(v);
        AddressSpace a = rig.kernel.spaces().createSpace("A");
        ThreadId[] ids = new ThreadId[4];
        String[] names = {"receiverA", "propagator", "virtualB", "receiverC"};
        ids[0] = rig.kernel.spaces().createThread(ThreadSpec.of("receiverA", 0, () -> {
            for (int i = 0; i < 2; i++) {
                int tag = L4.receive(ids[1], L4.micros(1000));
                rig.note(MsgTag.isError(tag) ? "receiverA error " + L4.errorCode()
                        : "receiverA label " + MsgTag.label(tag) + " from " + name(L4.from(), ids, names)
                                + " p " + L4.isPropagated(tag));
            }
        }), a, ThreadId.NIL);
        ids[1] = rig.kernel.spaces().createThread(ThreadSpec.of("propagator", 0, () -> {
            L4.setVirtualSender(ids[2]);
            L4.send(ids[0], L4.propagate(MsgTag.make(1, 0)), L4.micros(1000));
            L4.send(ids[3], L4.propagate(MsgTag.make(2, 0)), L4.micros(1000));
            L4.setVirtualSender(ThreadId.NIL);
            L4.send(ids[0], L4.propagate(MsgTag.make(3, 0)), L4.micros(1000));
        }), a, ThreadId.NIL);
        ids[2] = rig.spawnInSpace("virtualB", 0, "B", ThreadId.NIL, () -> L4.sleep(L4.micros(1500)));
        ids[3] = rig.spawnInSpace("receiverC", 0, "C", ThreadId.NIL, () -> {
            int tag = L4.receive(ThreadId.ANY, L4.micros(1000));
            rig.note(MsgTag.isError(tag) ? "receiverC error " + L4.errorCode()
                    : "receiverC label " + MsgTag.label(tag) + " from " + name(L4.from(), ids, names)
                            + " p " + L4.isPropagated(tag));
        });
        rig.runClean();
        List<String> expected = List.of("receiverA label 1 from virtualB p true",
                "receiverA label 3 from propagator p false", "receiverC label 2 from propagator p false");
        assertEquals(sorted(expected), sorted(rig.log), v.toString());
    }
}
