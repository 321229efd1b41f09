package l4smp.kernel.space;

import l4smp.emulator.cpu.SpinCondition;
import l4smp.emulator.memory.PageTables;
import l4smp.emulator.memory.PhysicalMemory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The mapping database (thesis 2.2, 8.3.2 "Mapping pages"): one derivation tree per physical
 * frame. The root of frame f is sigma0's idempotent mapping (virtual f * 4 KB in sigma0's
 * space), created the first time sigma0 maps the frame out; every map adds a child of the source
 * mapping, every grant moves the source node to the destination, and unmap removes (or makes
 * read-only) the mappings derived from the caller's, recursively, and the caller's own with
 * the flush flag.
 *
 * <p>The page tables are edited here, under the same lock: a node exists exactly when its
 * space's PTE is present, and the PTE's writable bit is the node's write right. Every PTE that
 * is removed or weakened is reported to the {@link Sink} (the TLB shootdown collects them);
 * every PTE written is reported too (the kernel charges the access).
 *
 * <p><b>Thread contract.</b> Thread-safe: one lock (a test-and-test-and-set word) serialises all
 * operations; a CPU waits for it through the {@link Waiter} it passes (the kernel: the CPU's
 * spin-wait, servicing TLB shootdown requests meanwhile, so a holder that waits for this CPU's
 * acknowledgement never deadlocks). The lock is not reentrant.
 */
public final class MappingDatabase {

    /** X.2 access rights (fpage bits 0..2). */
    public static final int R = 4, W = 2, X = 1, RWX = 7;

    /** What a page-table change means for the TLBs (and the accounting layer). */
    public interface Sink {
        /** The PTE of {@code va} in {@code space} was removed or lost rights: TLBs must forget it. */
        void pageRevoked(AddressSpace space, int va);

        /** The PTE at physical {@code pteAddress} was written (charge the access). */
        default void pteWritten(long pteAddress) { }
    }

    /** How a CPU waits for the lock. */
    public interface Waiter {
        void await(SpinCondition condition, String reason);
    }

    /** A waiter that spins on the host thread (standalone use: tests, jcstress). */
    public static final Waiter SPIN = (c, r) -> {
        while (!c.isSatisfied()) {
            Thread.onSpinWait();
        }
    };

    /** A mapping: a page of a space, derived from its parent. Lock-guarded fields. */
    public static final class Node {
        final AddressSpace space;
        final int vpage;
        final int frame;
        int rights;
        Node parent;
        Node firstChild;
        Node next;
        Node prev;

        Node(AddressSpace space, int vpage, int frame, int rights) {
            this.space = space;
            this.vpage = vpage;
            this.frame = frame;
            this.rights = rights;
        }

        public AddressSpace space() { return space; }
        public int virtualAddress() { return vpage << 12; }
        public int frame() { return frame; }
        public int rights() { return rights; }
    }

    private final PhysicalMemory memory;
    private final FramePool pool;
    private final AddressSpace sigma0;
    /** Frames sigma0 may hand out: [0, userFrames). */
    private final int userFrames;
    private final Node[] roots;
    private final AtomicInteger lock = new AtomicInteger();
    private final SpinCondition lockFree = () -> lock.getOpaque() == 0;
    private final List<AddressSpace> spaces = new ArrayList<>();

    public MappingDatabase(PhysicalMemory memory, FramePool pool, AddressSpace sigma0, int userFrames) {
        this.memory = memory;
        this.pool = pool;
        this.sigma0 = sigma0;
        this.userFrames = userFrames;
        this.roots = new Node[userFrames];
        spaces.add(sigma0);
    }

    /**
     * A database alone over {@code memory}, for tests of the mechanism without a kernel (jcstress):
     * user frames {@code [0, userFrames)}, page tables from the frames above, sigma0's space with
     * an empty directory. Spaces come from {@link #newStandaloneSpace}.
     */
    public static MappingDatabase standalone(PhysicalMemory memory, int userFrames) {
        FramePool pool = new FramePool(memory, userFrames, memory.frameCount());
        AddressSpace s0 = new AddressSpace(0, "sigma0", (long) pool.allocate() << 12);
        return new MappingDatabase(memory, pool, s0, userFrames);
    }

    /** A new, empty, registered space of a {@linkplain #standalone standalone} database. Thread-safe. */
    public AddressSpace newStandaloneSpace(String name) {
        lock(SPIN);
        try {
            AddressSpace s = new AddressSpace(spaces.size(), name, (long) pool.allocate() << 12);
            spaces.add(s);
            return s;
        } finally {
            unlock();
        }
    }

    // ---- lock ----------------------------------------------------------------------------

    /** Takes the lock, waiting through {@code waiter}. */
    public void lock(Waiter waiter) {
        while (true) {
            // Test-and-test-and-set (thesis appendix A): spin on a read, then one CAS.
            if (lock.getOpaque() == 0 && lock.compareAndSet(0, 1)) {
                return;
            }
            waiter.await(lockFree, "mapping database lock");
        }
    }

    public void unlock() {
        lock.setRelease(0);
    }

    /** Whether the lock is held (assertions). */
    public boolean lockedOpaque() {
        return lock.getOpaque() != 0;
    }

    /** Registers a space for the checker. Caller holds the lock, or setup. */
    public void register(AddressSpace s) {
        spaces.add(s);
    }

    public AddressSpace sigma0() {
        return sigma0;
    }

    public int userFrames() {
        return userFrames;
    }

    // ---- queries (lock held) -------------------------------------------------------------

    /**
     * The node of {@code va} in {@code space}; for sigma0, its idempotent root, created (with
     * sigma0's PTE) on first use for a user frame. Lock held.
     */
    public Node lookup(AddressSpace space, int va, Sink sink) {
        int vpage = va >>> 12;
        if (space == sigma0) {
            if (Integer.toUnsignedLong(vpage) >= userFrames) {
                return null;
            }
            Node r = roots[vpage];
            if (r == null) {
                r = new Node(sigma0, vpage, vpage, RWX);
                roots[vpage] = r;
                putNode(r);
                writePte(r, sink);
            }
            return r;
        }
        HashMap<Integer, Node> m = space.nodes;
        return m == null ? null : m.get(vpage);
    }

    // ---- map and grant (lock held) ---------------------------------------------------------

    /** Result of {@link #map}. */
    public static final int MAPPED = 0, NOT_MAPPED_IN_SOURCE = 1, NO_RIGHTS = 2, SAME_OR_ANCESTOR = 3,
            NO_KERNEL_MEMORY = 4;

    /**
     * Maps (or grants) the page of {@code srcVa} in {@code src} to {@code dstVa} in {@code dst}
     * with at most {@code rights} (rights only narrow). A page already at the destination is
     * unmapped first, with everything derived from it. Lock held.
     */
    public int map(AddressSpace src, int srcVa, AddressSpace dst, int dstVa, int rights, boolean grant, Sink sink) {
        Node s = lookup(src, srcVa, sink);
        if (s == null) {
            return NOT_MAPPED_IN_SOURCE;
        }
        int effective = s.rights & rights & RWX;
        if ((effective & (R | X)) == 0) {
            return NO_RIGHTS; // a page cannot be present without read (or execute) on the Pentium
        }
        if (dst == sigma0) {
            return SAME_OR_ANCESTOR; // sigma0's space is physical memory: nothing maps into it
        }
        int dvpage = dstVa >>> 12;
        Node old = dst.nodes == null ? null : dst.nodes.get(dvpage);
        if (old != null) {
            for (Node a = s; a != null; a = a.parent) {
                if (a == old) {
                    return SAME_OR_ANCESTOR; // mapping onto the source or what it derives from
                }
            }
            remove(old, sink);
        }
        if (grant && s.parent != null && s.space != sigma0) {
            Node n = new Node(dst, dvpage, s.frame, effective);
            if (!installPte(n, sink)) {
                return NO_KERNEL_MEMORY;
            }
            // The node moves (8.3.2: "the node in the mapping database is moved"): n takes s's
            // place under s's parent and adopts s's children, narrowed to its rights.
            Node parent = s.parent;
            unlinkChild(s);
            linkChild(parent, n);
            Node c = s.firstChild;
            while (c != null) {
                Node next = c.next;
                c.parent = n;
                c.prev = null;
                c.next = null;
                linkChildRaw(n, c);
                c = next;
            }
            s.firstChild = null;
            s.space.nodes.remove(s.vpage);
            clearPte(s, sink);
            putNode(n);
            for (Node k = n.firstChild; k != null; k = k.next) {
                narrow(k, effective, sink);
            }
            return MAPPED;
        }
        Node n = new Node(dst, dvpage, s.frame, effective);
        if (!installPte(n, sink)) {
            return NO_KERNEL_MEMORY;
        }
        linkChild(s, n);
        putNode(n);
        return MAPPED;
    }

    // ---- unmap (lock held) ----------------------------------------------------------------

    /**
     * Revokes {@code rights} from every mapping derived from the caller's mapping of {@code va}
     * in {@code space}, and from the caller's own with {@code includeOwn} (X.2 flush). A mapping
     * left without read is removed with its subtree; one that loses write becomes read-only.
     * Returns the reference bits of the caller's PTE before (X.2 status: r = accessed,
     * w = dirty), or -1 if the caller has no mapping there. Lock held.
     */
    public int unmap(AddressSpace space, int va, int rights, boolean includeOwn, Sink sink) {
        Node n = space == sigma0 ? (Integer.toUnsignedLong(va >>> 12) < userFrames ? roots[va >>> 12] : null)
                : (space.nodes == null ? null : space.nodes.get(va >>> 12));
        if (n == null) {
            return -1;
        }
        int pte = PageTables.pte(memory, space.pageDirectory, n.vpage << 12);
        int status = ((pte & PageTables.ACCESSED) != 0 ? R : 0) | ((pte & PageTables.DIRTY) != 0 ? W : 0);
        rights &= RWX;
        if (rights == 0) {
            return status;
        }
        if (includeOwn && n.parent != null) {
            revoke(n, rights, sink);
        } else {
            Node c = n.firstChild;
            while (c != null) {
                Node next = c.next;
                revoke(c, rights, sink);
                c = next;
            }
        }
        return status;
    }

    private void revoke(Node n, int rights, Sink sink) {
        int left = n.rights & ~rights;
        if ((left & (R | X)) == 0) {
            remove(n, sink);
            return;
        }
        narrow(n, left, sink);
    }

    /** Narrows {@code n} and its subtree to {@code allowed}. */
    private void narrow(Node n, int allowed, Sink sink) {
        int left = n.rights & allowed;
        if (left != n.rights) {
            if ((left & (R | X)) == 0) {
                remove(n, sink);
                return;
            }
            n.rights = left;
            writePte(n, sink);
            sink.pageRevoked(n.space, n.vpage << 12);
        }
        for (Node c = n.firstChild; c != null; c = c.next) {
            narrow(c, left, sink);
        }
    }

    /** Removes {@code n} and its subtree (depth first, iteratively over siblings). */
    private void remove(Node n, Sink sink) {
        while (n.firstChild != null) {
            remove(n.firstChild, sink);
        }
        unlinkChild(n);
        if (n.space.nodes != null) {
            n.space.nodes.remove(n.vpage);
        }
        clearPte(n, sink);
    }

    // ---- page tables -----------------------------------------------------------------------

    private boolean installPte(Node n, Sink sink) {
        try {
            writePte(n, sink);
            return true;
        } catch (IllegalStateException poolEmpty) {
            return false;
        }
    }

    private void writePte(Node n, Sink sink) {
        int flags = PageTables.USER | ((n.rights & W) != 0 ? PageTables.WRITABLE : 0);
        int va = n.vpage << 12;
        PageTables.map(memory, n.space.pageDirectory, va, (long) n.frame << 12, flags, pool::allocate);
        sink.pteWritten(PageTables.pteAddress(PageTables.pde(memory, n.space.pageDirectory, va), va));
    }

    private void clearPte(Node n, Sink sink) {
        int va = n.vpage << 12;
        PageTables.unmap(memory, n.space.pageDirectory, va);
        sink.pteWritten(PageTables.pteAddress(PageTables.pde(memory, n.space.pageDirectory, va), va));
        sink.pageRevoked(n.space, va);
    }

    private static void putNode(Node n) {
        if (n.space.nodes == null) {
            n.space.nodes = new HashMap<>();
        }
        n.space.nodes.put(n.vpage, n);
    }

    private static void linkChild(Node parent, Node c) {
        c.parent = parent;
        linkChildRaw(parent, c);
    }

    private static void linkChildRaw(Node parent, Node c) {
        c.prev = null;
        c.next = parent.firstChild;
        if (parent.firstChild != null) {
            parent.firstChild.prev = c;
        }
        parent.firstChild = c;
    }

    private static void unlinkChild(Node c) {
        Node p = c.parent;
        if (p == null) {
            return;
        }
        if (c.prev != null) {
            c.prev.next = c.next;
        } else {
            p.firstChild = c.next;
        }
        if (c.next != null) {
            c.next.prev = c.prev;
        }
        c.parent = null;
        c.prev = null;
        c.next = null;
    }

    // ---- the checker -------------------------------------------------------------------------

    /**
     * Checks the database against itself and the page tables: every node's PTE is present with
     * its frame, user bit and write right; a child has the frame and at most the rights of its
     * parent and lies in its parent's child list; every present user PTE of a registered space
     * has its node. Empty when consistent. Takes the lock with {@link #SPIN}; call while no CPU
     * holds it for long (a stopped machine, or a test's arbiter).
     */
    public List<String> check() {
        lock(SPIN);
        try {
            List<String> out = new ArrayList<>();
            for (AddressSpace s : spaces) {
                if (s.nodes != null) {
                    for (Node n : s.nodes.values()) {
                        checkNode(n, out);
                    }
                }
                scanPageTables(s, out);
                if (out.size() > 50) {
                    break;
                }
            }
            return out;
        } finally {
            unlock();
        }
    }

    private void checkNode(Node n, List<String> out) {
        int va = n.vpage << 12;
        String where = n.space + " 0x" + Integer.toHexString(va) + ": ";
        int pte = PageTables.pte(memory, n.space.pageDirectory, va);
        if ((pte & PageTables.PRESENT) == 0) {
            out.add(where + "node without a present PTE");
            return;
        }
        if (pte >>> 12 != n.frame) {
            out.add(where + "PTE frame 0x" + Integer.toHexString(pte >>> 12) + ", node frame 0x" + Integer.toHexString(n.frame));
        }
        if (((pte & PageTables.WRITABLE) != 0) != ((n.rights & W) != 0)) {
            out.add(where + "PTE writable bit disagrees with rights " + n.rights);
        }
        if ((pte & PageTables.USER) == 0) {
            out.add(where + "PTE not user-accessible");
        }
        Node p = n.parent;
        if (p == null) {
            if (n.space != sigma0 || roots[n.frame] != n) {
                out.add(where + "a node without parent that is not sigma0's root");
            }
            return;
        }
        if (p.frame != n.frame) {
            out.add(where + "frame differs from its parent's");
        }
        if ((n.rights & ~p.rights) != 0) {
            out.add(where + "rights " + n.rights + " wider than its parent's " + p.rights);
        }
        boolean found = false;
        for (Node c = p.firstChild; c != null; c = c.next) {
            if (c == n) {
                found = true;
                break;
            }
        }
        if (!found) {
            out.add(where + "not in its parent's child list");
        }
        HashMap<Integer, Node> pm = p.space.nodes;
        if (pm == null || pm.get(p.vpage) != p) {
            out.add(where + "its parent is not in its space's node map");
        }
    }

    private void scanPageTables(AddressSpace s, List<String> out) {
        long pd = s.pageDirectory;
        int userPdes = (int) (AddressSpace.USER_LIMIT >>> 22);
        for (int i = 0; i < userPdes; i++) {
            int pde = memory.intVolatile(pd + 4L * i);
            if ((pde & PageTables.PRESENT) == 0) {
                continue;
            }
            long pt = Integer.toUnsignedLong(pde & PageTables.FRAME_MASK);
            for (int j = 0; j < 1024; j++) {
                int pte = memory.intVolatile(pt + 4L * j);
                if ((pte & PageTables.PRESENT) == 0) {
                    continue;
                }
                int vpage = i << 10 | j;
                HashMap<Integer, Node> m = s.nodes;
                Node n = m == null ? null : m.get(vpage);
                if (n == null) {
                    out.add(s + " 0x" + Integer.toHexString(vpage << 12) + ": present PTE without a mapping node");
                }
            }
        }
    }

    /**
     * Every mapping, one line each ("space va -&gt; frame rights, parent space va"), sorted: two
     * runs that end with the same mappings give equal lists. Takes the lock with {@link #SPIN}
     * (a stopped machine).
     */
    public List<String> describe() {
        lock(SPIN);
        try {
            List<String> out = new ArrayList<>();
            for (AddressSpace s : spaces) {
                if (s.nodes == null) {
                    continue;
                }
                for (Node n : s.nodes.values()) {
                    Node p = n.parent;
                    out.add(s.name + " 0x" + Integer.toHexString(n.vpage << 12) + " -> frame 0x"
                            + Integer.toHexString(n.frame) + " rights " + n.rights + ", parent "
                            + (p == null ? "none" : p.space.name + " 0x" + Integer.toHexString(p.vpage << 12)));
                }
            }
            java.util.Collections.sort(out);
            return out;
        } finally {
            unlock();
        }
    }

    /** Nodes in all trees (a racy count; tests and reports). */
    public int nodeCount() {
        int n = 0;
        for (AddressSpace s : spaces) {
            n += s.mappedPages();
        }
        return n;
    }

    /** Registered spaces (sigma0 first). Lock held or machine stopped. */
    public List<AddressSpace> spaces() {
        return spaces;
    }
}
