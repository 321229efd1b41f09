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
 * receiver's ActualSender and redirects a virtual sender that waits for the actual sender), on one
 * processor and across processors (the sender, the virtual sender and the receiver each on any
 * CPU; Pistachio's do_xcpu_send carries {@code sender_id} to the receiver's CPU). The request is
 * X.2's p bit (bit 12) in the X.2 ABI and bit 13 in the thesis ABI ({@link Abi}); a message that
 * crossed processors carries the ABI's crossed bits ({@link Abi#crossedBits}) besides p.
 *
 * <p>Every case fails on the kernel before propagation: it ignored the p bit (and bit 13), so the
 * receiver saw the actual sender, a virtual sender's call got no reply, and a receiver waiting
 * for the virtual sender did not take the message. The cross-processor placements fail on the
 * kernel that propagated on one processor only: it refused them with error 7 in the send phase.
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
     * "virt_sender->set_partner(dst)"). Across processors the receiver and the client share CPU 0
     * and the propagator runs on CPU 1: the propagated message crosses (its tag carries the ABI's
     * crossed bits), the redirection runs on the receiver's CPU, which is the client's.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void theReceiverSeesTheVirtualSenderAndRepliesToItsRedirectedCall(Variant v) {
        ConformanceRig rig = new ConformanceRig(v);
        Redirector r = new Redirector(rig, 200, 1500, 0);
        r.spawn(v.cpuOf(0), v.cpuOf(1), v.cpuOf(2));
        rig.runClean();
        assertEquals(sorted(r.delivered(v.cpuOf(0), v.cpuOf(1), v.cpuOf(2))), sorted(rig.log), v.toString());
    }

    /**
     * The request bit of each ABI (X.2 MsgTag: p is bit 12; the thesis ABI's bit 12 is the abort
     * request, so p moves to bit 13), and a receiver in a closed receive from the virtual sender
     * accepts the propagated message at once (Pistachio sys_ipc: the receiver waits for
     * {@code sender_id}, which is the virtual sender): a send timeout of 0 succeeds. The virtual
     * sender does not wait, so nothing is redirected. Across processors the sender's CPU reads the
     * receiver's published wait against the virtual sender carried in the mailbox: the same.
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
        List<String> expected = List.of("receiver from virtual actual propagator tag p true label 9", "propagated");
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

    /**
     * The sender, the virtual sender and the receiver on three processors (receiver on CPU 0,
     * propagator on CPU 1, client on CPU 2): the propagated message crosses from CPU 1 to CPU 0,
     * the client's wait is redirected from CPU 0 by its published wait (it may still be in its
     * call's XP RETURN, thesis 8.4.1, whose receive phase then waits for the receiver), and the
     * receiver's reply with send timeout 0 reaches it (X.2: a send with timeout 0 to a partner
     * that waits for the sender succeeds; the client waits for the receiver since the transfer).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void theRedirectedCallOfAThirdProcessorTakesTheReceiversZeroTimeoutReply(Variant v) {
        ConformanceRig rig = ConformanceRig.spread(v, 3);
        Redirector r = new Redirector(rig, 0, 1500, 0);
        r.spawn(0, 1, 2);
        rig.runClean();
        assertEquals(sorted(r.delivered(0, 1, 2)), sorted(rig.log), v.toString());
    }

    /**
     * The virtual sender on another processor than the sender and the receiver (both on CPU 0,
     * the client on CPU 1): the message does not cross, the redirection of the client's wait
     * does; the receiver's reply with send timeout 0 crosses to the client.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void aVirtualSenderOnAnotherProcessorIsRedirectedToTheReceiver(Variant v) {
        ConformanceRig rig = ConformanceRig.spread(v, 2);
        Redirector r = new Redirector(rig, 0, 1500, 0);
        r.spawn(0, 0, 1);
        rig.runClean();
        assertEquals(sorted(r.delivered(0, 0, 1)), sorted(rig.log), v.toString());
    }

    /**
     * The receiver on another processor than the sender and the virtual sender (receiver on
     * CPU 1, propagator and client on CPU 0): the mailbox carries the virtual sender to the
     * receiver's CPU, whose proxy delivers and redirects the client's wait on CPU 0.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void aReceiverOnAnotherProcessorSeesTheVirtualSenderAndItsReplyReachesIt(Variant v) {
        ConformanceRig rig = ConformanceRig.spread(v, 2);
        Redirector r = new Redirector(rig, 0, 1500, 0);
        r.spawn(1, 0, 0);
        rig.runClean();
        assertEquals(sorted(r.delivered(1, 0, 0)), sorted(rig.log), v.toString());
    }

    /**
     * A receiver in a closed receive from the actual sender takes a propagated message (Pistachio
     * sys_ipc: "Not waiting for actual sender (if propagating IPC)?" is the last of its refusal
     * conditions), on three processors: it sees the client as {@code from} and replies to it.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void aReceiverWaitingForTheActualSenderTakesThePropagatedMessage(Variant v) {
        ConformanceRig rig = ConformanceRig.spread(v, 3);
        Redirector r = new Redirector(rig, 0, 1500, 0);
        r.receiveFromPropagator = true;
        r.spawn(0, 1, 2);
        rig.runClean();
        assertEquals(sorted(r.delivered(0, 1, 2)), sorted(rig.log), v.toString());
    }

    /**
     * The redirection against the virtual sender's own timeout: the client's receive times out
     * (300 us) long before the propagator propagates (1500 us after it took the call; the client
     * thread still exists, so the send propagates), so the
     * transfer finds no wait for the propagator to redirect (Pistachio's fixup_propagation
     * redirects only a virtual sender that "is waiting" for the sender). The client fails with
     * a receive timeout, the receiver still sees the client as {@code from}, and its reply with
     * send timeout 0 fails with a send timeout: the client does not wait for it (X.2 IPC error
     * codes: 1, timeout, in the receive and in the send phase). Nothing reaches a thread that
     * stopped waiting, on one processor or on three.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void aVirtualSenderWhoseWaitTimedOutIsNotRedirectedAndTheReplyFails(Variant v) {
        ConformanceRig rig = ConformanceRig.spread(v, 3);
        Redirector r = new Redirector(rig, 0, 300, 1500);
        r.spawn(0, 1, 2);
        rig.runClean();
        List<String> expected = List.of(r.receiverLine(0, 1), "propagated",
                "reply error " + IpcError.word(IpcError.TIMEOUT, IpcError.PHASE_SEND),
                "client error " + IpcError.word(IpcError.TIMEOUT, IpcError.PHASE_RECEIVE));
        assertEquals(sorted(expected), sorted(rig.log), v.toString());
    }

    /**
     * The virtual sender migrates after its wait was redirected from another processor (8.7:
     * the thread moves waiting, its published wait with it): the client on CPU 2 is redirected by
     * the receiver's CPU 0, then the propagator moves it to CPU 0 while the receiver waits 500 us
     * before it replies with send timeout 0; the client's new CPU adopts the redirection and takes
     * the reply, now without crossing.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void aRedirectedVirtualSenderThatMigratesTakesTheReplyOnItsNewProcessor(Variant v) {
        ConformanceRig rig = ConformanceRig.spread(v, 3);
        Redirector r = new Redirector(rig, 0, 3000, 0);
        r.replyDelayMicros = 500;
        r.migrateClientTo = 0;
        r.spawn(0, 1, 2);
        rig.runClean();
        List<String> expected = new ArrayList<>(r.delivered(0, 1, 0));
        expected.add("client migrated, error 0");
        assertEquals(sorted(expected), sorted(rig.log), v.toString());
    }

    /**
     * X.2's redirector pattern on given CPUs: a client calls a propagator (receive timeout
     * {@code clientMicros}); the propagator takes the call, waits {@code delayMicros}, and
     * propagates it (label 5) to the receiver on the client's behalf; the receiver notes whom it
     * sees and replies (label 7) to {@code from} with send timeout {@code replyMicros} (0: the
     * timeout 0). Times in simulated microseconds.
     */
    private static final class Redirector {
        private static final String[] NAMES = {"receiver", "propagator", "client"};
        private final ConformanceRig rig;
        private final double replyMicros;
        private final double clientMicros;
        private final double delayMicros;
        private final ThreadId[] ids = new ThreadId[3];
        /** The receiver waits in a closed receive from the propagator (else for any). */
        boolean receiveFromPropagator;
        /** How long the receiver waits before it replies (simulated microseconds). */
        double replyDelayMicros;
        /** The CPU the propagator migrates the waiting client to once it has propagated, or -1. */
        int migrateClientTo = -1;

        Redirector(ConformanceRig rig, double replyMicros, double clientMicros, double delayMicros) {
            this.rig = rig;
            this.replyMicros = replyMicros;
            this.clientMicros = clientMicros;
            this.delayMicros = delayMicros;
        }

        void spawn(int receiverCpu, int propagatorCpu, int clientCpu) {
            ids[0] = rig.spawnOn("receiver", receiverCpu, () -> {
                int tag = L4.receive(receiveFromPropagator ? ids[1] : ThreadId.ANY, L4.micros(5000));
                if (MsgTag.isError(tag)) {
                    rig.note("receiver error " + L4.errorCode());
                    return;
                }
                ThreadId from = L4.from();
                rig.note("receiver from " + name(from, ids, NAMES) + " actual " + name(L4.actualSender(), ids, NAMES)
                        + " tag " + Integer.toHexString(tag));
                if (replyDelayMicros > 0) {
                    L4.sleep(L4.micros(replyDelayMicros));
                }
                int r = L4.send(from, MsgTag.make(7, 0), replyMicros == 0 ? Timeout.ZERO : L4.micros(replyMicros));
                rig.note(MsgTag.isError(r) ? "reply error " + L4.errorCode() : "replied");
            });
            ids[1] = rig.spawnOn("propagator", propagatorCpu, () -> {
                int tag = L4.receive(ids[2], L4.micros(1000));
                if (MsgTag.isError(tag)) {
                    rig.note("propagator receive error " + L4.errorCode());
                    return;
                }
                if (delayMicros > 0) {
                    L4.sleep(L4.micros(delayMicros));
                }
                L4.setVirtualSender(ids[2]);
                int r = L4.send(ids[0], L4.propagate(MsgTag.make(5, 0)), L4.micros(1000));
                rig.note(MsgTag.isError(r) ? "propagator error " + L4.errorCode() : "propagated");
                if (migrateClientTo >= 0) {
                    L4.migrate(ids[2], rig.variant.abi().userProcessor(rig.variant.cross() ? migrateClientTo : 0));
                    rig.note("client migrated, error " + L4.errorCode());
                }
            });
            rig.kernel.setMaximumControlledPriority(ids[1], 255);
            ids[2] = rig.spawnOn("client", clientCpu, () -> {
                int tag = L4.call(ids[1], MsgTag.make(5, 0), Timeout.NEVER, L4.micros(clientMicros));
                rig.note(MsgTag.isError(tag) ? "client error " + L4.errorCode()
                        : "client reply from " + name(L4.from(), ids, NAMES) + " tag " + Integer.toHexString(tag));
                L4.sleep(L4.micros(3000)); // the client exists while the others name it (else no propagation)
            });
        }

        /** The tag of a message with {@code label} as a receiver sees it: p, and the ABI's crossed bits. */
        private int seen(int label, boolean propagated, boolean crossed) {
            Abi abi = rig.variant.abi();
            int tag = MsgTag.make(label, 0);
            return tag | (propagated ? abi.propagatedFlag() : 0) | (crossed && rig.variant.cross() ? abi.crossedBits(tag) : 0);
        }

        /** What the receiver notes: from the client, ActualSender the propagator, p, crossed when the CPUs differ. */
        String receiverLine(int receiverCpu, int propagatorCpu) {
            return "receiver from client actual propagator tag "
                    + Integer.toHexString(seen(5, true, receiverCpu != propagatorCpu));
        }

        /** The log of a redirection that worked: the receiver's reply reached the client. */
        List<String> delivered(int receiverCpu, int propagatorCpu, int clientCpu) {
            return List.of(receiverLine(receiverCpu, propagatorCpu), "replied", "propagated",
                    "client reply from receiver tag " + Integer.toHexString(seen(7, false, receiverCpu != clientCpu)));
        }
    }
}
