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

    final MappingDatabaseCheck mappingDatabaseCheck = new MappingDatabaseCheck(this);

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

    final PhysicalMemory memory;
    final FramePool pool;
    final AddressSpace sigma0;
    /** Frames sigma0 may hand out: [0, userFrames). */
    final int userFrames;
    final Node[] roots;
    final AtomicInteger lock = new AtomicInteger();
    final SpinCondition lockFree = () -> lock.getOpaque() == 0;
    final List<AddressSpace> spaces = new ArrayList<>();

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

    void revoke(Node n, int rights, Sink sink) {
        int left = n.rights & ~rights;
        if ((left & (R | X)) == 0) {
            remove(n, sink);
            return;
        }
        narrow(n, left, sink);
    }

    /** Narrows {@code n} and its subtree to {@code allowed}. */
    void narrow(Node n, int allowed, Sink sink) {
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
    void remove(Node n, Sink sink) {
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

    boolean installPte(Node n, Sink sink) {
        try {
            writePte(n, sink);
            return true;
        } catch (IllegalStateException poolEmpty) {
            return false;
        }
    }

    void writePte(Node n, Sink sink) {
        int flags = PageTables.USER | ((n.rights & W) != 0 ? PageTables.WRITABLE : 0);
        int va = n.vpage << 12;
        PageTables.map(memory, n.space.pageDirectory, va, (long) n.frame << 12, flags, pool::allocate);
        sink.pteWritten(PageTables.pteAddress(PageTables.pde(memory, n.space.pageDirectory, va), va));
    }

    void clearPte(Node n, Sink sink) {
        int va = n.vpage << 12;
        PageTables.unmap(memory, n.space.pageDirectory, va);
        sink.pteWritten(PageTables.pteAddress(PageTables.pde(memory, n.space.pageDirectory, va), va));
        sink.pageRevoked(n.space, va);
    }

    static void putNode(Node n) {
        if (n.space.nodes == null) {
            n.space.nodes = new HashMap<>();
        }
        n.space.nodes.put(n.vpage, n);
    }

    static void linkChild(Node parent, Node c) {
        c.parent = parent;
        linkChildRaw(parent, c);
    }

    static void linkChildRaw(Node parent, Node c) {
        c.prev = null;
        c.next = parent.firstChild;
        if (parent.firstChild != null) {
            parent.firstChild.prev = c;
        }
        parent.firstChild = c;
    }

    static void unlinkChild(Node c) {
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

    /**
     * Checks the database against itself and the page tables: every node's PTE is present with
     * its frame, user bit and write right; a child has the frame and at most the rights of its
     * parent and lies in its parent's child list; every present user PTE of a registered space
     * has its node. Empty when consistent. Takes the lock with {@link #SPIN}; call while no CPU
     * holds it for long (a stopped machine, or a test's arbiter).
     */
    public List<String> check() {
        return mappingDatabaseCheck.check();
    }

    /**
     * Every mapping, one line each ("space va -&gt; frame rights, parent space va"), sorted: two
     * runs that end with the same mappings give equal lists. Takes the lock with {@link #SPIN}
     * (a stopped machine).
     */
    public List<String> describe() {
        return mappingDatabaseCheck.describe();
    }
}
