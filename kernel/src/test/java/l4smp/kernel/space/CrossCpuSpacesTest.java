package l4smp.kernel.space;

import l4smp.kernel.api.ExchangeRegisters;
import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.ipc.Timeout;
import l4smp.kernel.ipc.TypedItems;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.user.Sigma0;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The address-space layer with partners on different CPUs (thesis 8.3.2, 8.4.2, 8.8.2;
 * implementation decision 2): page faults to a pager of another CPU, map and grant items across
 * CPUs, long IPC from 4 B to 4 MB copied on the receiver's CPU, with page faults in either space
 * (the sender's redone on the sender's CPU), and the transfer timeout expiring while a fault is
 * resolved. The mapping database and every TLB agree with the page tables after each run.
 */
class CrossCpuSpacesTest {

    private static final long SEND_BUFFER = 0x0100_0000L;
    private static final long RECEIVE_BUFFER = 0x0200_0000L;

    @Test
    void pageFaultsGoToAPagerOnAnotherCpu() {
        SpaceRig rig = new SpaceRig(2, 21, TlbShootdown.Policy.ALL);
        ThreadId pager = rig.pager(1);
        AddressSpace s = rig.space("client");
        rig.thread("client", 0, s, pager, () -> {
            for (int i = 0; i < 8; i++) {
                L4.store(0x10_0000L + i * 4096L, 1000 + i);
            }
            for (int i = 0; i < 8; i++) {
                rig.log.add("" + L4.load(0x10_0000L + i * 4096L));
            }
            L4.setMr(5, 77); // message registers survive the cross-processor fault IPC
            L4.store(0x20_0000L, 5);
            rig.log.add("mr5=" + L4.mr(5) + " cpu=" + L4.processorNumber());
        });
        rig.runClean();
        assertEquals(List.of("1000", "1001", "1002", "1003", "1004", "1005", "1006", "1007", "mr5=77 cpu=1"), rig.log);
        assertEquals(9, s.mappedPages());
        assertEquals(9, rig.machine.counterTotal(Spaces.C_FAULTS), "one fault IPC per page of the client");
        assertTrue(rig.machine.counterTotal(l4smp.kernel.Kernel.C_IPC_XCPU) >= 18, "each fault and its reply crossed");
    }

    @Test
    void mapItemsAcrossCpusNarrowRightsAndUnmapShootsTheReceiverDown() {
        SpaceRig rig = new SpaceRig(2, 22, TlbShootdown.Policy.CURRENT_SPACE);
        AddressSpace a = rig.space("a");
        AddressSpace b = rig.space("b");
        ThreadId[] ids = new ThreadId[2];
        ids[1] = rig.thread("b", 1, b, ThreadId.NIL, () -> SpacesTest.readOnlyPageReceiver(rig, ids));
        ids[0] = rig.thread("a", 0, a, rig.sigma0, () -> {
            long fp = L4.sigma0Request(rig.sigma0, Sigma0.ANY_PAGE, 0x1000_0000L);
            assertTrue(fp != 0);
            L4.store(0x1000_0000L, 42);
            L4.setMr(1, TypedItems.mapItem(0));
            L4.setMr(2, TypedItems.fpage(0x1000_0000L, 12, MappingDatabase.R)); // read-only
            int tag = L4.send(ids[1], MsgTag.make(0, 0, 2));
            rig.log.add("a sent " + MsgTag.isError(tag));
            L4.receive(ids[1]);
            L4.unmap(TypedItems.fpage(0x1000_0000L, 12, 7), false); // revoke what b has, keep ours
            rig.log.add("a still has " + L4.load(0x1000_0000L));
            L4.send(ids[1], 0);
        });
        rig.runClean();
        assertEquals(List.of("b got " + Long.toHexString(TypedItems.fpage(0x1000_0000L, 12, 4)),
                "b reads 42", "b cannot write", "a still has 42", "b lost the page"),
                rig.log.stream().filter(x -> !x.startsWith("a sent")).toList());
        assertTrue(rig.log.contains("a sent false"));
        assertEquals(0, b.mappedPages());
        assertEquals(1, rig.machine.counterTotal(Spaces.C_SD_SENT), "the unmap shot down b's CPU, whose space cached it");
    }

    @Test
    void grantAcrossCpusMovesThePageAndReplacingAMappingShootsDownTheOldOne() {
        SpaceRig rig = new SpaceRig(2, 23, TlbShootdown.Policy.ALL);
        AddressSpace a = rig.space("a");
        AddressSpace b = rig.space("b");
        long page = 0x1000_0000L;
        ThreadId[] ids = new ThreadId[2];
        ids[1] = rig.thread("b", 1, b, ThreadId.NIL, () -> {
            L4.setBr(0, TypedItems.fpage(0, 32, 7));
            L4.receive(ids[0]);
            rig.log.add("b reads " + L4.load(page));
            L4.setBr(0, TypedItems.fpage(0, 32, 7));
            L4.call(ids[0], 0); // ready for the second page, wait for it
            rig.log.add("b reads " + L4.load(page)); // the replaced mapping: the new frame
        });
        ids[0] = rig.thread("a", 0, a, ThreadId.NIL, () -> { // no pager: a fault of a's is unresolved
            assertTrue(L4.sigma0Request(rig.sigma0, Sigma0.ANY_PAGE, page) != 0);
            assertTrue(L4.sigma0Request(rig.sigma0, Sigma0.ANY_PAGE, page + 4096) != 0);
            L4.store(page, 1);
            L4.store(page + 4096, 2);
            L4.setMr(1, TypedItems.grantItem(page));
            L4.setMr(2, TypedItems.fpage(page, 12, 7));
            L4.send(ids[1], MsgTag.make(0, 0, 2));
            try {
                L4.load(page);
                rig.log.add("a kept a granted page");
            } catch (UnresolvedPageFault e) {
                rig.log.add("a gave it away");
            }
            L4.receive(ids[1]);
            L4.setMr(1, TypedItems.mapItem(page)); // send base: where in b's window
            L4.setMr(2, TypedItems.fpage(page + 4096, 12, 7));
            L4.send(ids[1], MsgTag.make(0, 0, 2)); // onto b's page: the old mapping is replaced
        });
        rig.runClean();
        assertEquals(List.of("a gave it away", "b reads 1", "b reads 2"), rig.log.stream().sorted().toList());
        assertEquals(1, a.mappedPages(), "a keeps only the page it mapped");
        assertEquals(1, b.mappedPages());
        assertEquals(2, rig.machine.counterTotal(Spaces.C_SHOOTDOWNS),
                "the grant revoked a's entry, the replacing map b's old one");
    }

    /**
     * Long IPC from CPU 0 into CPU 1 (copied on CPU 1), for a size, with the sender's and/or the
     * receiver's buffer unmapped before the transfer (every page faults during the copy), the
     * pager on CPU {@code pagerCpu}.
     */
    @ParameterizedTest(name = "{0} bytes, sender faults {1}, receiver faults {2}, pager on cpu {3}")
    @CsvSource({
            "4, false, false, 0", "4, true, true, 1", "100, true, false, 0", "100, false, true, 1",
            "4196, true, true, 0", "12388, true, true, 1", "12388, true, false, 1", "12388, false, true, 0",
            "65536, true, true, 0", "65536, false, false, 1", "4194303, false, false, 0", "4194303, true, true, 1"})
    void longIpcAcrossCpus(int length, boolean senderFaults, boolean receiverFaults, int pagerCpu) {
        SpaceRig rig = new SpaceRig(2, 24, TlbShootdown.Policy.ALL, 128L << 20);
        Result r = longIpc(rig, length, senderFaults, receiverFaults, pagerCpu, Timeout.NEVER);
        rig.runClean();
        assertEquals(List.of("content true", "received no error", "sent no error"), rig.log.stream().sorted().toList());
        int pages = (int) ((SEND_BUFFER + length - 1) / 4096 - SEND_BUFFER / 4096 + 1);
        long xferFaults = rig.machine.counterTotal(Spaces.C_XFER_FAULTS);
        long expected = (senderFaults ? pages : 0) + (receiverFaults ? pages : 0);
        assertEquals(expected, xferFaults, "one suspension per faulting page of either buffer");
        assertTrue(rig.machine.counterTotal(l4smp.kernel.Kernel.C_IPC_XCPU) >= 1);
        assertEquals(0, rig.machine.counterTotal(l4smp.kernel.Kernel.C_IPC_ERRORS));
        assertTrue(r.receiverCpu[0] == 1 && r.senderCpu[0] == 0);
    }

    @Test
    void theSenderSideCopyExperimentLeavesItemsBetweenSpacesToTheReceiversCpu() {
        SpaceRig rig = new SpaceRig(2, 25, TlbShootdown.Policy.ALL, 64L << 20, true);
        longIpc(rig, 3 * 4096 + 100, true, true, 0, Timeout.NEVER);
        rig.runClean();
        assertEquals(List.of("content true", "received no error", "sent no error"), rig.log.stream().sorted().toList());
        assertEquals(8, rig.machine.counterTotal(Spaces.C_XFER_FAULTS));
    }

    @Test
    void theTransferTimeoutExpiresWhileTheSendersPagerDoesNotAnswer() {
        SpaceRig rig = new SpaceRig(2, 26, TlbShootdown.Policy.ALL);
        ThreadId silent = rig.daemon("silent", 1, rig.space("silent"), rig.sigma0, CrossCpuSpacesTest::silentPager);
        longIpc(rig, 3 * 4096, true, false, silent, ThreadId.NIL, 200_000, true);
        rig.runClean();
        assertEquals(List.of("sent " + IpcError.describe(IpcError.word(IpcError.XFER_TIMEOUT_INVOKER, IpcError.PHASE_SEND)),
                        "received " + IpcError.describe(IpcError.word(IpcError.XFER_TIMEOUT_PARTNER, IpcError.PHASE_RECEIVE))),
                rig.log.stream().sorted().toList().reversed());
    }

    @Test
    void theTransferTimeoutExpiresWhileTheReceiversPagerDoesNotAnswer() {
        SpaceRig rig = new SpaceRig(2, 27, TlbShootdown.Policy.ALL);
        ThreadId silent = rig.daemon("silent", 0, rig.space("silent"), rig.sigma0, CrossCpuSpacesTest::silentPager);
        longIpc(rig, 3 * 4096, false, true, ThreadId.NIL, silent, 200_000, false);
        rig.runClean();
        assertEquals(List.of("sent " + IpcError.describe(IpcError.word(IpcError.XFER_TIMEOUT_PARTNER, IpcError.PHASE_SEND)),
                        "received " + IpcError.describe(IpcError.word(IpcError.XFER_TIMEOUT_INVOKER, IpcError.PHASE_RECEIVE))),
                rig.log.stream().sorted().toList().reversed());
    }

    @Test
    void aSenderWithoutAPagerEndsTheTransferOnBothCpus() {
        SpaceRig rig = new SpaceRig(2, 28, TlbShootdown.Policy.ALL);
        longIpc(rig, 2 * 4096, true, false, NO_PAGER, rig.pager(1), Timeout.NEVER, true);
        rig.runClean();
        assertEquals(List.of("sent " + IpcError.describe(IpcError.word(IpcError.XFER_TIMEOUT_INVOKER, IpcError.PHASE_SEND)),
                        "received " + IpcError.describe(IpcError.word(IpcError.XFER_TIMEOUT_PARTNER, IpcError.PHASE_RECEIVE))),
                rig.log.stream().sorted().toList().reversed());
    }

    /**
     * Exchange-registers aborting an IPC that spans four processors (8.4.3): the sender (CPU 0)
     * copies a string to the receiver (CPU 1); the sender's buffer (or the receiver's) faults and
     * the fault goes to a pager on CPU 2, which never answers; a thread on CPU 3 cancels the
     * faulting side's IPC. The fault IPC is canceled and the suspended transfer aborted on both
     * sides (X.2 code 7, "aborted"; no transfer timeout would ever end it), each side reports
     * exactly once, and the kernel's structures are consistent afterwards.
     */
    @ParameterizedTest(name = "seed {0}, the receiver faults: {1}")
    @org.junit.jupiter.params.provider.CsvSource({"1,false", "2,false", "3,false", "1,true", "2,true", "3,true"})
    void anAbortOfAThreadWhosePagerIsOnAFourthCpuAbortsTheTransferOnBothSides(long seed, boolean receiverFaults) {
        SpaceRig rig = new SpaceRig(4, 40 + seed, TlbShootdown.Policy.ALL);
        ThreadId silent = rig.daemon("silent", 2, rig.space("silent"), rig.sigma0, CrossCpuSpacesTest::silentPager);
        ThreadId[] victim = new ThreadId[1];
        rig.thread("canceller", 3, rig.space("canceller"), ThreadId.NIL, () -> {
            L4.sleep(60_000 + 10_000 * seed); // the victim waits for its pager by now
            var r = L4.exchangeRegisters(victim[0], ExchangeRegisters.CANCEL_SEND | ExchangeRegisters.CANCEL_RECEIVE,
                    0, 0, 0, 0, ThreadId.NIL);
            rig.log.add("cancel " + r.errorCode());
        });
        if (receiverFaults) {
            longIpc(rig, 3 * 4096, false, true, ThreadId.NIL, silent, Timeout.NEVER, false);
        } else {
            longIpc(rig, 3 * 4096, true, false, silent, ThreadId.NIL, Timeout.NEVER, true);
        }
        String name = receiverFaults ? "receiver" : "sender";
        victim[0] = rig.kernel.liveThreads().stream().filter(t -> t.name.equals(name)).findFirst().orElseThrow().id;
        rig.runClean();
        assertTrue(rig.machine.counterTotal(Spaces.C_XFER_FAULTS) > 0, "the copy never faulted");
        assertEquals(List.of("cancel 0",
                        "received " + IpcError.describe(IpcError.word(IpcError.ABORTED, IpcError.PHASE_RECEIVE)),
                        "sent " + IpcError.describe(IpcError.word(IpcError.ABORTED, IpcError.PHASE_SEND))),
                rig.log.stream().sorted().toList());
        assertEquals(List.of(), l4smp.kernel.KernelInvariants.check(rig.kernel));
    }

    @Test
    void aSeedReplaysBitForBit() {
        long[] hash = new long[2];
        long[] clock = new long[2];
        for (int run = 0; run < 2; run++) {
            SpaceRig rig = new SpaceRig(2, 29, TlbShootdown.Policy.CURRENT_SPACE);
            longIpc(rig, 5 * 4096 + 7, true, true, 1, Timeout.NEVER);
            rig.runClean();
            hash[run] = rig.machine.traceHash();
            clock[run] = rig.machine.cpu(0).clock() ^ rig.machine.cpu(1).clock() << 1;
        }
        assertEquals(hash[0], hash[1], "trace hash");
        assertEquals(clock[0], clock[1], "clocks");
    }

    /**
     * The copy on CPU 1 races a thread of the sender's space on CPU 2 that flushes the sender's
     * buffer again and again (thesis 8.4.2, 9.3): every flush is shot down on the CPUs that may
     * cache the pages (the copy's comm window included), the copy faults on what is gone and the
     * sender redoes the fault on CPU 0; the string arrives intact. RANDOM interleavings, 12 seeds,
     * both shootdown policies.
     */
    @ParameterizedTest(name = "seed {0}")
    @org.junit.jupiter.params.provider.ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
    void theCopyRacesUnmapsOfTheSendersBuffer(long seed) {
        TlbShootdown.Policy policy = seed % 2 == 0 ? TlbShootdown.Policy.ALL : TlbShootdown.Policy.CURRENT_SPACE;
        SpaceRig rig = new SpaceRig(3, seed, policy, 64L << 20, false, l4smp.emulator.ScheduleStrategy.RANDOM);
        ThreadId pager = rig.pager(2);
        AddressSpace senderSpace = rig.space("sender");
        int length = 6 * 4096 + 40;
        ThreadId[] ids = new ThreadId[2];
        boolean[] written = new boolean[1];
        boolean[] done = new boolean[1];
        ids[1] = rig.thread("receiver", 1, rig.space("receiver"), pager, () -> {
            L4.setBr(0, TypedItems.ACCEPT_STRINGS);
            L4.setBr(1, TypedItems.stringItem(RECEIVE_BUFFER, length));
            L4.setBr(2, RECEIVE_BUFFER);
            int tag = L4.receive(ids[0]);
            rig.log.add("received " + (MsgTag.isError(tag) ? IpcError.describe(L4.errorCode()) : "no error"));
            byte[] got = L4.readBytes(RECEIVE_BUFFER, length);
            boolean ok = true;
            for (int i = 0; i < length; i++) {
                ok &= got[i] == (byte) (i * 5 + 1);
            }
            rig.log.add("content " + ok);
        });
        ids[0] = rig.thread("sender", 0, senderSpace, pager, () -> {
            byte[] data = new byte[length];
            for (int i = 0; i < length; i++) {
                data[i] = (byte) (i * 5 + 1);
            }
            L4.writeBytes(SEND_BUFFER, data);
            written[0] = true;
            L4.setMr(1, TypedItems.stringItem(SEND_BUFFER, length));
            L4.setMr(2, SEND_BUFFER);
            int tag = L4.send(ids[1], MsgTag.make(0, 0, 2));
            done[0] = true;
            rig.log.add("sent " + (MsgTag.isError(tag) ? IpcError.describe(L4.errorCode()) : "no error"));
        });
        rig.thread("unmapper", 2, senderSpace, pager, () -> {
            for (int g = 0; g < 100_000 && !written[0]; g++) {
                L4.compute(500);
            }
            for (int i = 0; i < 40 && !done[0]; i++) {
                L4.unmap(TypedItems.fpage(SEND_BUFFER, 22, 7), true); // the pager keeps the frames
                L4.compute(3_000);
            }
        });
        rig.runClean();
        assertEquals(List.of("content true", "received no error", "sent no error"), rig.log.stream().sorted().toList());
        assertTrue(rig.machine.counterTotal(Spaces.C_XFER_FAULTS) > 0, "the copy met a flushed page");
        assertTrue(rig.machine.counterTotal(Spaces.C_SHOOTDOWNS) > 0);
    }

    /** A pager that takes faults and never answers. */
    private static void silentPager() {
        while (true) {
            L4.waitAny();
        }
    }

    record Result(int[] senderCpu, int[] receiverCpu) { }

    /** No pager at all (the thread's faults cannot be resolved). */
    private static final ThreadId NO_PAGER = ThreadId.of(4000, 1);

    private static Result longIpc(SpaceRig rig, int length, boolean senderFaults, boolean receiverFaults, int pagerCpu,
                                  long xfer) {
        ThreadId pager = rig.pager(pagerCpu);
        return longIpc(rig, length, senderFaults, receiverFaults, pager, pager, xfer, false);
    }

    /**
     * Sender on CPU 0 (pager {@code senderPager}), receiver on CPU 1 (pager {@code receiverPager});
     * NIL: a pager of its own on its CPU; {@link #NO_PAGER}: none). The sender's buffer is written
     * through its pager and, with {@code senderFaults}, flushed, so every page faults in the copy
     * ({@code untouched}: never written, for a pager that does not answer); the receiver's buffer
     * is written with 0xEE first, or with {@code receiverFaults} left unmapped. Log: "sent E",
     * "received E", "content B" (only when received without error).
     */
    private static Result longIpc(SpaceRig rig, int length, boolean senderFaults, boolean receiverFaults,
                                  ThreadId senderPager, ThreadId receiverPager, long xfer, boolean untouched) {
        int[] senderCpu = new int[1];
        int[] receiverCpu = new int[1];
        ThreadId[] ids = new ThreadId[2];
        ThreadId sp = senderPager == NO_PAGER ? ThreadId.NIL : senderPager.isNil() ? rig.pager(0) : senderPager;
        ThreadId rp = receiverPager.isNil() ? rig.pager(1) : receiverPager;
        long pagesFp = TypedItems.fpage(SEND_BUFFER, 22, 7);
        ids[1] = rig.thread("receiver", 1, rig.space("receiver"), rp, () -> {
            receiverCpu[0] = L4.processorNumber() - 1;
            if (!receiverFaults) {
                byte[] fill = new byte[length];
                java.util.Arrays.fill(fill, (byte) 0xEE);
                L4.writeBytes(RECEIVE_BUFFER, fill);
            }
            L4.setXferTimeouts(xfer, xfer);
            L4.setBr(0, TypedItems.ACCEPT_STRINGS);
            L4.setBr(1, TypedItems.stringItem(RECEIVE_BUFFER, length));
            L4.setBr(2, RECEIVE_BUFFER);
            int tag = L4.ipc(ids[0], ids[0], MsgTag.make(0, 0), Timeout.NEVER, Timeout.NEVER);
            rig.log.add("received " + (MsgTag.isError(tag) ? IpcError.describe(L4.errorCode()) : "no error"));
            if (!MsgTag.isError(tag)) {
                byte[] got = L4.readBytes(RECEIVE_BUFFER, length);
                boolean ok = true;
                for (int i = 0; i < length; i++) {
                    ok &= got[i] == (byte) (i * 7 + 3);
                }
                rig.log.add("content " + ok);
            }
        });
        ids[0] = rig.thread("sender", 0, rig.space("sender"), sp, () -> {
            senderCpu[0] = L4.processorNumber() - 1;
            byte[] data = new byte[length];
            for (int i = 0; i < length; i++) {
                data[i] = (byte) (i * 7 + 3);
            }
            if (!untouched) {
                L4.writeBytes(SEND_BUFFER, data);
                if (senderFaults) {
                    L4.unmap(pagesFp, true); // the pager keeps the frames: the data survive
                }
            }
            L4.setXferTimeouts(xfer, xfer);
            L4.receive(ids[1]); // the receiver is ready
            L4.setMr(1, TypedItems.stringItem(SEND_BUFFER, length));
            L4.setMr(2, SEND_BUFFER);
            int tag = L4.send(ids[1], MsgTag.make(0, 0, 2));
            rig.log.add("sent " + (MsgTag.isError(tag) ? IpcError.describe(L4.errorCode()) : "no error"));
        });
        return new Result(senderCpu, receiverCpu);
    }
}
