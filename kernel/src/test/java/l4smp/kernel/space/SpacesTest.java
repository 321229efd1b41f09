package l4smp.kernel.space;

import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.ipc.TypedItems;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.user.Sigma0;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SpacesTest {

    @Test
    void freshMemoryIsServedByAUserLevelPagerOverSigma0() {
        SpaceRig rig = new SpaceRig(2, 1, TlbShootdown.Policy.ALL);
        ThreadId pager = rig.pager(0);
        AddressSpace s = rig.space("client");
        rig.thread("client", 0, s, pager, () -> {
            for (int i = 0; i < 8; i++) {
                L4.store(0x10_0000L + i * 4096L, 1000 + i);
            }
            for (int i = 0; i < 8; i++) {
                rig.log.add("" + L4.load(0x10_0000L + i * 4096L));
            }
            L4.setMr(5, 77); // message registers survive page faults
            L4.store(0x20_0000L, 5);
            rig.log.add("mr5=" + L4.mr(5));
        });
        rig.runClean();
        assertEquals(java.util.List.of("1000", "1001", "1002", "1003", "1004", "1005", "1006", "1007", "mr5=77"), rig.log);
        assertEquals(9, s.mappedPages());
        assertTrue(rig.machine.counterTotal(Spaces.C_FAULTS) >= 9);
    }

    /**
     * The receiver b of the map-item tests: takes a read-only page from ids[0] into its 4 MB
     * window, reads it, fails to write it, then (after ids[0] unmapped it) finds it gone; notes
     * each step in the rig's log.
     */
    static void readOnlyPageReceiver(SpaceRig rig, ThreadId[] ids) {
        L4.setBr(0, TypedItems.fpage(0x40_0000L, 22, 7)); // a 4 MB receive window
        L4.receive(ids[0]);
        rig.log.add("b got " + Long.toHexString(L4.mr(2)));
        rig.log.add("b reads " + L4.load(0x40_0000L));
        try {
            L4.store(0x40_0000L, 9);
            rig.log.add("b wrote a read-only page");
        } catch (UnresolvedPageFault e) {
            rig.log.add("b cannot write");
        }
        L4.send(ids[0], 0);
        L4.receive(ids[0]);
        try {
            L4.load(0x40_0000L);
            rig.log.add("b still reads");
        } catch (UnresolvedPageFault e) {
            rig.log.add("b lost the page");
        }
    }

    @Test
    void mapItemsNarrowRightsAndUnmapRevokesRecursively() {
        SpaceRig rig = new SpaceRig(1, 2, TlbShootdown.Policy.ALL);
        AddressSpace a = rig.space("a");
        AddressSpace b = rig.space("b");
        ThreadId[] ids = new ThreadId[2];
        ids[1] = rig.thread("b", 0, b, ThreadId.NIL, () -> readOnlyPageReceiver(rig, ids));
        ids[0] = rig.thread("a", 0, a, rig.sigma0, () -> {
            long fp = L4.sigma0Request(rig.sigma0, Sigma0.ANY_PAGE, 0x1000_0000L);
            assertTrue(fp != 0);
            L4.store(0x1000_0000L, 42);
            L4.setMr(1, TypedItems.mapItem(0));
            L4.setMr(2, TypedItems.fpage(0x1000_0000L, 12, MappingDatabase.R)); // read-only
            L4.send(ids[1], MsgTag.make(0, 0, 2));
            L4.receive(ids[1]);
            L4.unmap(TypedItems.fpage(0x1000_0000L, 12, 7), false); // revoke what b has, keep ours
            rig.log.add("a still has " + L4.load(0x1000_0000L));
            L4.send(ids[1], 0);
        });
        rig.runClean();
        assertEquals(java.util.List.of("b got 10000000" .replace("10000000", Long.toHexString(TypedItems.fpage(0x1000_0000L, 12, 4))),
                "b reads 42", "b cannot write", "a still has 42", "b lost the page"), rig.log);
    }

    @Test
    void unmapShootsDownTheOtherCpusTlbs() {
        for (TlbShootdown.Policy policy : TlbShootdown.Policy.values()) {
            SpaceRig rig = new SpaceRig(3, 3, policy);
            AddressSpace shared = rig.space("shared");
            AddressSpace other = rig.space("other");
            ThreadId[] ids = new ThreadId[4];
            long flag = 0x50_0000L;
            ids[0] = rig.thread("owner", 0, shared, rig.sigma0, () -> {
                L4.sigma0Request(rig.sigma0, Sigma0.ANY_PAGE, 0x60_0000L);
                L4.sigma0Request(rig.sigma0, Sigma0.ANY_PAGE, flag);
                L4.store(0x60_0000L, 1);
                L4.store(flag, 1); // go
                rig.log.add("owner go " + L4.load(flag));
                for (int g = 0; g < 100_000 && L4.load(flag) != 2; g++) {
                    L4.compute(500);
                }
                // Revoke the data page: afterwards nobody may read it through a stale TLB entry.
                L4.unmap(TypedItems.fpage(0x60_0000L, 12, 7), true);
                L4.store(flag, 3);
            });
            ids[1] = rig.thread("reader", 1, shared, ThreadId.NIL, () -> {
                for (int g = 0; g < 100_000 && loadOr(flag, 0) != 1; g++) {
                    L4.compute(200); // the owner has not mapped the flag yet: the access faults
                }
                rig.log.add("reader sees " + L4.load(0x60_0000L));
                L4.store(flag, 2);
                for (int g = 0; g < 100_000 && L4.load(flag) != 3; g++) {
                    L4.compute(200);
                }
                try {
                    L4.load(0x60_0000L);
                    rig.log.add("stale read");
                } catch (UnresolvedPageFault e) {
                    rig.log.add("reader faults");
                }
            });
            ids[2] = rig.thread("bystander", 2, other, ThreadId.NIL, () -> {
                for (int i = 0; i < 40; i++) {
                    L4.compute(2000); // runs in its own space: CPU 2 never caches the shared one
                }
            });
            rig.runClean();
            assertEquals(java.util.List.of("owner go 1", "reader sees 1", "reader faults"), rig.log, policy.name());
            long sent = rig.machine.counterTotal(Spaces.C_SD_SENT);
            long saved = rig.machine.counterTotal(Spaces.C_SD_SAVED);
            if (policy == TlbShootdown.Policy.ALL) {
                assertEquals(2, sent);
            } else {
                assertEquals(1, sent, "only the reader's CPU runs the shared space");
                assertEquals(1, saved);
            }
        }
    }

    private static int loadOr(long va, int otherwise) {
        try {
            return L4.load(va);
        } catch (UnresolvedPageFault e) {
            return otherwise;
        }
    }

    /**
     * Both partners on CPU 0, on a machine of 1 CPU and of 2 (the cross-processor kernel's TCB
     * lock is then taken by the receive phase that finds the receiver's fault: the receiver's
     * fault IPC starts at its next dispatch, not inside that phase); the receiver waiting first,
     * or the sender polling first (then the receiver's receive phase finds its own fault).
     */
    @ParameterizedTest(name = "{0} cpus, sender first {1}")
    @org.junit.jupiter.params.provider.CsvSource({"1, false", "1, true", "2, false", "2, true"})
    void longIpcAcrossSpacesFaultsInBothSpacesAndResumes(int cpus, boolean senderFirst) {
        SpaceRig rig = new SpaceRig(cpus, 4, TlbShootdown.Policy.ALL);
        ThreadId pager = rig.pager(0);
        AddressSpace a = rig.space("sender");
        AddressSpace b = rig.space("receiver");
        int length = 3 * 4096 + 100;
        ThreadId[] ids = new ThreadId[2];
        ids[1] = rig.thread("receiver", 0, b, pager, () -> {
            if (senderFirst) {
                L4.yieldCpu(); // the sender sends first and polls
            }
            L4.setBr(0, TypedItems.ACCEPT_STRINGS);
            L4.setBr(1, TypedItems.stringItem(0x30_0010L, length));
            L4.setBr(2, 0x30_0010L);
            int tag = L4.receive(ids[0]);
            rig.log.add("received " + MsgTag.isError(tag));
            byte[] got = L4.readBytes(0x30_0010L, length);
            boolean ok = true;
            for (int i = 0; i < length; i++) {
                ok &= got[i] == (byte) (i * 7);
            }
            rig.log.add("content " + ok);
        });
        ids[0] = rig.thread("sender", 0, a, pager, () -> {
            byte[] data = new byte[length];
            for (int i = 0; i < length; i++) {
                data[i] = (byte) (i * 7);
            }
            L4.writeBytes(0x20_0000L, data);
            L4.setMr(1, TypedItems.stringItem(0x20_0000L, length));
            L4.setMr(2, 0x20_0000L);
            int tag = L4.send(ids[1], MsgTag.make(0, 0, 2));
            rig.log.add("sent " + MsgTag.isError(tag) + " " + IpcError.describe(L4.errorCode()));
        });
        rig.runClean();
        assertTrue(rig.log.contains("content true"), rig.log.toString());
        assertTrue(rig.log.contains("received false"), rig.log.toString());
        assertTrue(rig.machine.counterTotal(Spaces.C_XFER_FAULTS) >= 4, "receiver-side faults during the copy");
    }
}
