package l4smp.kernel.space;

import l4smp.emulator.cpu.SpinCondition;
import l4smp.emulator.memory.PageTables;
import l4smp.emulator.memory.PhysicalMemory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The consistency check of the mapping database and its report: every node's links, rights and
 * page-table entry agree, and every user page-table entry has its node (the invariant suites and
 * the end of a run read it when the machine has stopped).
 */
final class MappingDatabaseCheck {

    private final MappingDatabase db;

    MappingDatabaseCheck(MappingDatabase db) {
        this.db = db;
    }

    /**
     * Checks the database against itself and the page tables: every node's PTE is present with
     * its frame, user bit and write right; a child has the frame and at most the rights of its
     * parent and lies in its parent's child list; every present user PTE of a registered space
     * has its node. Empty when consistent. Takes the lock with {@link #SPIN}; call while no CPU
     * holds it for long (a stopped machine, or a test's arbiter).
     */
    public List<String> check() {
        db.lock(MappingDatabase.SPIN);
        try {
            List<String> out = new ArrayList<>();
            for (AddressSpace s : db.spaces) {
                if (s.nodes != null) {
                    for (MappingDatabase.Node n : s.nodes.values()) {
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
            db.unlock();
        }
    }

    void checkNode(MappingDatabase.Node n, List<String> out) {
        int va = n.vpage << 12;
        String where = n.space + " 0x" + Integer.toHexString(va) + ": ";
        int pte = PageTables.pte(db.memory, n.space.pageDirectory, va);
        if ((pte & PageTables.PRESENT) == 0) {
            out.add(where + "node without a present PTE");
            return;
        }
        if (pte >>> 12 != n.frame) {
            out.add(where + "PTE frame 0x" + Integer.toHexString(pte >>> 12) + ", node frame 0x" + Integer.toHexString(n.frame));
        }
        if (((pte & PageTables.WRITABLE) != 0) != ((n.rights & db.W) != 0)) {
            out.add(where + "PTE writable bit disagrees with rights " + n.rights);
        }
        if ((pte & PageTables.USER) == 0) {
            out.add(where + "PTE not user-accessible");
        }
        MappingDatabase.Node p = n.parent;
        if (p == null) {
            if (n.space != db.sigma0 || db.roots[n.frame] != n) {
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
        for (MappingDatabase.Node c = p.firstChild; c != null; c = c.next) {
            if (c == n) {
                found = true;
                break;
            }
        }
        if (!found) {
            out.add(where + "not in its parent's child list");
        }
        HashMap<Integer, MappingDatabase.Node> pm = p.space.nodes;
        if (pm == null || pm.get(p.vpage) != p) {
            out.add(where + "its parent is not in its space's node map");
        }
    }

    void scanPageTables(AddressSpace s, List<String> out) {
        long pd = s.pageDirectory;
        int userPdes = (int) (AddressSpace.USER_LIMIT >>> 22);
        for (int i = 0; i < userPdes; i++) {
            int pde = db.memory.intVolatile(pd + 4L * i);
            if ((pde & PageTables.PRESENT) == 0) {
                continue;
            }
            long pt = Integer.toUnsignedLong(pde & PageTables.FRAME_MASK);
            for (int j = 0; j < 1024; j++) {
                int pte = db.memory.intVolatile(pt + 4L * j);
                if ((pte & PageTables.PRESENT) == 0) {
                    continue;
                }
                int vpage = i << 10 | j;
                HashMap<Integer, MappingDatabase.Node> m = s.nodes;
                MappingDatabase.Node n = m == null ? null : m.get(vpage);
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
        db.lock(MappingDatabase.SPIN);
        try {
            List<String> out = new ArrayList<>();
            for (AddressSpace s : db.spaces) {
                if (s.nodes == null) {
                    continue;
                }
                for (MappingDatabase.Node n : s.nodes.values()) {
                    MappingDatabase.Node p = n.parent;
                    out.add(s.name + " 0x" + Integer.toHexString(n.vpage << 12) + " -> frame 0x"
                            + Integer.toHexString(n.frame) + " rights " + n.rights + ", parent "
                            + (p == null ? "none" : p.space.name + " 0x" + Integer.toHexString(p.vpage << 12)));
                }
            }
            Collections.sort(out);
            return out;
        } finally {
            db.unlock();
        }
    }
}
