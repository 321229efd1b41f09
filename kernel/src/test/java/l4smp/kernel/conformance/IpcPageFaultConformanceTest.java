package l4smp.kernel.conformance;

import l4smp.kernel.api.ExchangeRegisters;
import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.ipc.TypedItems;
import l4smp.kernel.space.Spaces;
import l4smp.kernel.thread.ThreadId;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Page-fault IPC as l4test exercises it ({@code ipc-pf.cc}, and the "Pagefault cancelled" case of
 * {@code ipc.cc}, which uses the same pager loop): a faulting thread in its own space, its pager
 * as party 0, in every variant (so across processors the fault IPC is a cross-processor call).
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SAME_THREAD)
class IpcPageFaultConformanceTest {

    /** The faulting page (the faulter's space). */
    static final long BUF = 0x0100_0000L;

    static List<Variant> variants() {
        return Variant.all();
    }

    /**
     * l4test {@code ipc.cc}, "Pagefault cancelled": the faulter loads MR[i] = i + 1 and writes to
     * an unmapped page; the pager, on that fault, cancels the faulter's IPC at once with
     * exchange-registers (control {@code 3 << 1}: cancel receive and send) and waits for the next
     * message without replying. The kernel restores the faulting thread and re-executes the
     * access (Pistachio {@code tcb_t::send_pagefault_ipc}: {@code do_ipc} to the pager, then
     * {@code restore_state} whatever the IPC's result, and the faulting instruction runs again),
     * so a second fault at the same address arrives and is served, and the thread's message
     * registers are those it loaded (l4test checks MR0..MR63). Across processors the faulter may
     * be anywhere in its call when the cancel reaches its CPU (its reply on the way, its receive
     * phase not yet begun there): the cancel must not be lost (thesis 8.4.3: the abort finds the
     * IPC in whatever state it is and ends it).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void canceledPageFaultIsRetriedWithMessageRegistersPreserved(Variant v) {
        ConformanceRig rig = new ConformanceRig(v);
        PagerCases pc = new PagerCases(rig);
        ThreadId pager = pc.spawnInSpace("pager", 0, true, pc.sigma0, () -> {
            boolean canceledOne = false;
            int tag = L4.waitAny();
            while (true) {
                ThreadId client = L4.from();
                if (!PagerCases.isPageFault(tag)) {
                    tag = L4.waitAny();
                    continue;
                }
                long addr = L4.mr(1);
                if (addr == BUF && !canceledOne) {
                    canceledOne = true;
                    ExchangeRegisters.Result r = L4.exchangeRegisters(client,
                            ExchangeRegisters.CANCEL_RECEIVE | ExchangeRegisters.CANCEL_SEND, 0, 0, 0, 0,
                            ThreadId.NIL);
                    rig.note("pager: fault at 0x" + Long.toHexString(addr) + " canceled, exreg ok " + r.ok());
                    tag = L4.waitAny();
                    continue;
                }
                rig.note("pager: fault at 0x" + Long.toHexString(addr) + " served");
                tag = pc.serveAndWait(client);
            }
        });
        pc.spawnInSpace("faulter", 1, false, pager, () -> {
            for (int i = 1; i < MsgTag.MESSAGE_REGISTERS; i++) {
                L4.setMr(i, i + 1);
            }
            long mr0 = L4.mr(0);
            L4.store(BUF, 0xff);
            int wrong = -1;
            if (L4.mr(0) != mr0) {
                wrong = 0;
            }
            for (int i = 1; i < MsgTag.MESSAGE_REGISTERS && wrong < 0; i++) {
                if (L4.mr(i) != i + 1) {
                    wrong = i;
                }
            }
            rig.note("faulter: " + (wrong < 0 ? "MR0..MR63 preserved" : "MR" + wrong + " = " + L4.mr(wrong))
                    + ", reads " + L4.load(BUF));
        });
        rig.runClean();
        assertEquals(List.of("pager: fault at 0x1000000 canceled, exreg ok true",
                "pager: fault at 0x1000000 served",
                "faulter: MR0..MR63 preserved, reads 255"), rig.log, v.toString());
    }

    /** The receiver's and the sender's string buffers (two pages each, as l4test's t1_buf, t2_buf). */
    static final long RCV_BUF = 0x0200_0000L;
    static final long SND_BUF = 0x0300_0000L;
    static final int PAGE = 4096;

    /**
     * l4test {@code ipc-pf.cc}, "Simple string transfer (no page faults)" and "Single receiver
     * pagefault": a two-page simple string item from the sender's space into the receiver's
     * string buffer (X.2 7.x string items; the acceptor's s bit and BR1..BR2), the sender's
     * buffer touched beforehand; with {@code receiverFaults} the receiver's buffer was never
     * touched, so the copy faults in the receiver's space on each page and the receiver's pager
     * serves each fault (X.2: a page fault during a transfer is sent to the pager of the space
     * that faulted and the copy goes on). Both sides succeed, the message layout is u = 0,
     * t = 2 (l4test {@code rcv_string_checks}) and the contents are byte i = i.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void stringTransferWithoutFaults(Variant v) {
        stringTransfer(v, false);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void stringTransferWithReceiverPageFaults(Variant v) {
        stringTransfer(v, true);
    }

    private static void stringTransfer(Variant v, boolean receiverFaults) {
        ConformanceRig rig = new ConformanceRig(v);
        PagerCases pc = new PagerCases(rig);
        int length = 2 * PAGE;
        ThreadId pager = pc.spawnInSpace("pager", 0, true, pc.sigma0, () -> {
            int tag = L4.waitAny();
            while (true) {
                ThreadId client = L4.from();
                if (!PagerCases.isPageFault(tag)) {
                    tag = L4.waitAny();
                    continue;
                }
                tag = pc.serveAndWait(client);
            }
        });
        ThreadId[] ids = new ThreadId[2];
        ids[0] = pc.spawnInSpace("receiver", 1, false, pager, () -> {
            if (!receiverFaults) {
                L4.writeBytes(RCV_BUF, new byte[length]);
            }
            L4.setBr(0, TypedItems.ACCEPT_STRINGS);
            L4.setBr(1, TypedItems.stringItem(RCV_BUF, length));
            L4.setBr(2, RCV_BUF);
            int tag = MsgTag.withoutCrossedBits(L4.receive(ids[1]));
            boolean ok = true;
            byte[] got = L4.readBytes(RCV_BUF, length);
            for (int i = 0; i < length; i++) {
                ok &= got[i] == (byte) i;
            }
            rig.note("receiver: " + (MsgTag.isError(tag) ? IpcError.describe(L4.errorCode()) : "ok") + ", u "
                    + MsgTag.untyped(tag) + " t " + MsgTag.typed(tag) + ", contents " + ok);
        });
        ids[1] = pc.spawnInSpace("sender", 2, false, pager, () -> {
            byte[] data = new byte[length];
            for (int i = 0; i < length; i++) {
                data[i] = (byte) i;
            }
            L4.writeBytes(SND_BUF, data);
            L4.setMr(1, TypedItems.stringItem(SND_BUF, length));
            L4.setMr(2, SND_BUF);
            int tag = L4.send(ids[0], MsgTag.make(0, 0, 2));
            rig.note("sender: " + (MsgTag.isError(tag) ? IpcError.describe(L4.errorCode()) : "ok"));
        });
        rig.runClean();
        assertEquals(List.of("receiver: ok, u 0 t 2, contents true", "sender: ok"),
                rig.log.stream().sorted().toList(), v.toString());
        assertEquals(receiverFaults ? 2 : 0, rig.machine.counterTotal(Spaces.C_XFER_FAULTS),
                v + ": one transfer fault per page of the receiver's untouched buffer");
    }
}
