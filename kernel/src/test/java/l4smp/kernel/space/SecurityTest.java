package l4smp.kernel.space;

import l4smp.kernel.ThreadSpec;
import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.ipc.TypedItems;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.user.Sigma0;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The address-space layer's protection (thesis 2.2): a thread cannot map what it does not have,
 * cannot widen rights, cannot touch another space's memory without a mapping, cannot unmap
 * mappings outside its derivation tree, and a stale thread id is refused. Each attempt gets its
 * documented answer (X.2: map items of pages the sender lacks are skipped silently; an access
 * without a mapping is a page fault, unresolved without a pager; thread control with a stale
 * space specifier fails with error 2), and afterwards the mapping database and every TLB agree
 * with the page tables. The properties between two threads hold with the second thread on the
 * first's CPU and on another CPU (map items carried out on the receiver's CPU, 8.3.2).
 */
class SecurityTest {

    private static final long PAGE = 0x1000_0000L;
    private SpaceRig rig;

    @AfterEach
    void consistent() {
        if (rig != null) {
            rig.assertConsistent();
        }
    }

    private static String access(boolean write, long va) {
        try {
            if (write) {
                L4.store(va, 666);
                return "wrote";
            }
            return "read " + L4.load(va);
        } catch (UnresolvedPageFault e) {
            return "fault";
        }
    }

    /** Sends one map item of {@code fpage} (at send base {@code to}) to {@code dest}; returns "ok" or the error. */
    private static String map(ThreadId dest, long fpage, long to) {
        L4.setMr(1, TypedItems.mapItem(to));
        L4.setMr(2, fpage);
        int tag = L4.send(dest, MsgTag.make(0, 0, 2));
        return MsgTag.isError(tag) ? IpcError.describe(L4.errorCode()) : "ok";
    }

    private static void acceptMappings() {
        L4.setBr(0, TypedItems.fpage(0, 32, 7));
    }

    /** {@code log} as it is (one CPU: a total order), or sorted (two CPUs interleave their lines). */
    private static List<String> ordered(List<String> log, int otherCpu) {
        return otherCpu == 0 ? List.copyOf(log) : log.stream().sorted().toList();
    }

    private static List<String> expect(int otherCpu, String... lines) {
        return ordered(List.of(lines), otherCpu);
    }

    @ParameterizedTest(name = "partner on cpu {0}")
    @ValueSource(ints = {0, 1})
    void aThreadCannotMapWhatItDoesNotHave(int cpu) {
        rig = new SpaceRig(2, 11, TlbShootdown.Policy.ALL);
        AddressSpace a = rig.space("a");
        AddressSpace b = rig.space("b");
        ThreadId[] ids = new ThreadId[2];
        ids[1] = rig.thread("b", cpu, b, ThreadId.NIL, () -> {
            acceptMappings();
            L4.receive(ids[0]);
            rig.log.add("b " + access(false, PAGE));
        });
        ids[0] = rig.thread("a", 0, a, ThreadId.NIL, () -> {
            // a has nothing at PAGE, nor sigma0's memory: both maps are skipped (X.2), no error.
            rig.log.add("a maps " + map(ids[1], TypedItems.fpage(PAGE, 12, 7), PAGE));
        });
        rig.runClean();
        assertEquals(expect(cpu, "a maps ok", "b fault"), ordered(rig.log, cpu));
        assertEquals(0, b.mappedPages());
        assertEquals(0, a.mappedPages());
    }

    @ParameterizedTest(name = "partner on cpu {0}")
    @ValueSource(ints = {0, 1})
    void rightsOnlyNarrow(int cpu) {
        rig = new SpaceRig(2, 12, TlbShootdown.Policy.ALL);
        AddressSpace a = rig.space("a");
        AddressSpace b = rig.space("b");
        ThreadId[] ids = new ThreadId[2];
        ids[1] = rig.thread("b", cpu, b, ThreadId.NIL, () -> {
            acceptMappings();
            L4.receive(ids[0]);
            rig.log.add("b " + access(false, PAGE));
            rig.log.add("b " + access(true, PAGE));
        });
        ids[0] = rig.thread("a", 0, a, rig.sigma0, () -> {
            long readOnly = (Sigma0.ANY_PAGE & ~7L) | MappingDatabase.R;
            assertTrue(L4.sigma0Request(rig.sigma0, readOnly, PAGE) != 0);
            rig.log.add("a " + access(false, PAGE));
            // Asking for write on a read-only page: the rights stay read-only.
            rig.log.add("a maps " + map(ids[1], TypedItems.fpage(PAGE, 12, 7), PAGE));
        });
        rig.runClean();
        assertEquals(expect(cpu, "a read 0", "a maps ok", "b read 0", "b fault"), ordered(rig.log, cpu));
        assertEquals(MappingDatabase.R, nodeRights(b, PAGE));
    }

    @ParameterizedTest(name = "partner on cpu {0}")
    @ValueSource(ints = {0, 1})
    void noAccessToAnotherSpacesMemoryWithoutAMapping(int cpu) {
        rig = new SpaceRig(2, 13, TlbShootdown.Policy.CURRENT_SPACE);
        AddressSpace a = rig.space("a");
        AddressSpace b = rig.space("b");
        ThreadId[] ids = new ThreadId[2];
        ids[0] = rig.thread("a", 0, a, rig.sigma0, () -> {
            assertTrue(L4.sigma0Request(rig.sigma0, Sigma0.ANY_PAGE, PAGE) != 0);
            L4.store(PAGE, 42);
            L4.send(ids[1], 0);
            L4.receive(ids[1]);
            rig.log.add("a " + access(false, PAGE));
        });
        ids[1] = rig.thread("b", cpu, b, ThreadId.NIL, () -> {
            L4.receive(ids[0]);
            rig.log.add("b " + access(false, PAGE));
            rig.log.add("b " + access(true, PAGE));
            L4.send(ids[0], 0);
        });
        rig.runClean();
        assertEquals(List.of("b fault", "b fault", "a read 42"), rig.log);
        assertEquals(0, b.mappedPages());
    }

    @ParameterizedTest(name = "b and c on cpu {0}")
    @ValueSource(ints = {0, 1})
    void unmapReachesOnlyTheCallersDerivationTree(int cpu) {
        rig = new SpaceRig(2, 14, TlbShootdown.Policy.ALL);
        AddressSpace a = rig.space("a");
        AddressSpace b = rig.space("b");
        AddressSpace c = rig.space("c");
        ThreadId[] ids = new ThreadId[3];
        ids[1] = rig.thread("b", cpu, b, ThreadId.NIL, () -> {
            acceptMappings();
            L4.receive(ids[0]);
            // b revokes what it derived (nothing) and tries c's and a's pages at other addresses.
            L4.unmap(TypedItems.fpage(PAGE, 12, 7), false);
            L4.unmap(TypedItems.fpage(0x2000_0000L, 12, 7), true); // nothing of b's there
            L4.unmap(TypedItems.fpage(0, 32, 7), false); // all of b's space: only b's subtrees
            rig.log.add("b " + access(false, PAGE));
            L4.send(ids[2], 0);
            L4.receive(ids[2]);
            rig.log.add("b after c flushed " + access(false, PAGE));
            L4.send(ids[0], 0);
        });
        ids[2] = rig.thread("c", cpu, c, ThreadId.NIL, () -> {
            acceptMappings();
            L4.receive(ids[0]);
            L4.receive(ids[1]);
            rig.log.add("c " + access(false, 0x2000_0000L));
            L4.unmap(TypedItems.fpage(0x2000_0000L, 12, 7), true); // c flushes its own mapping
            rig.log.add("c " + access(false, 0x2000_0000L));
            L4.send(ids[1], 0);
        });
        ids[0] = rig.thread("a", 0, a, rig.sigma0, () -> {
            assertTrue(L4.sigma0Request(rig.sigma0, Sigma0.ANY_PAGE, PAGE) != 0);
            L4.store(PAGE, 7);
            rig.log.add("a maps b " + map(ids[1], TypedItems.fpage(PAGE, 12, 7), PAGE));
            rig.log.add("a maps c " + map(ids[2], TypedItems.fpage(PAGE, 12, 7), 0x2000_0000L));
            L4.receive(ids[1]);
            rig.log.add("a " + access(false, PAGE));
        });
        rig.runClean();
        assertEquals(expect(cpu, "a maps b ok", "a maps c ok", "b read 7", "c read 7", "c fault",
                "b after c flushed read 7", "a read 7"), ordered(rig.log, cpu));
        assertEquals(1, a.mappedPages());
        assertEquals(1, b.mappedPages());
        assertEquals(0, c.mappedPages());
    }

    @Test
    void aStaleThreadIdIsRefused() {
        rig = new SpaceRig(1, 15, TlbShootdown.Policy.ALL);
        AddressSpace a = rig.space("a");
        rig.thread("a", 0, a, ThreadId.NIL, () -> {
            ThreadId me = L4.myself();
            ThreadId stale = ThreadId.of(me.number(), (me.version() + 1) & ThreadId.MAX_VERSION);
            ThreadId t = L4.threadControl(ThreadSpec.of("child", 0, () -> { }), stale, ThreadId.NIL);
            rig.log.add("spaceOf stale: " + t.isNil() + " error " + L4.errorCode());
            int tag = L4.send(stale, 0, 0);
            rig.log.add("send to stale: " + MsgTag.isError(tag) + " " + IpcError.code(L4.errorCode()));
            ThreadId ok = L4.threadControl(ThreadSpec.of("child", 0, () -> { }), me, ThreadId.NIL);
            rig.log.add("spaceOf self: " + !ok.isNil());
        });
        rig.runClean();
        assertEquals(List.of("spaceOf stale: true error 2", "send to stale: true " + IpcError.NO_PARTNER,
                "spaceOf self: true"), rig.log);
        assertEquals(2, rig.spaces.spaceCount(), "sigma0's space and a only: no space for the stale request");
    }

    private int nodeRights(AddressSpace s, long va) {
        rig.spaces.mappingDatabase().lock(MappingDatabase.SPIN);
        try {
            MappingDatabase.Node n = rig.spaces.mappingDatabase().lookup(s, (int) va, new MappingDatabase.Sink() {
                @Override
                public void pageRevoked(AddressSpace space, int v) {
                }
            });
            return n == null ? -1 : n.rights();
        } finally {
            rig.spaces.mappingDatabase().unlock();
        }
    }
}
