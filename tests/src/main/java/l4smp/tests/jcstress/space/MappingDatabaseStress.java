package l4smp.tests.jcstress.space;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import l4smp.emulator.memory.PhysicalMemory;
import l4smp.kernel.space.AddressSpace;
import l4smp.kernel.space.MappingDatabase;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * The mapping database (thesis 2.2, 8.3.2) alone, on real host threads: its lock serialises map
 * and unmap of one page, so the derivation tree and the page tables stay consistent whichever
 * runs first.
 */
public final class MappingDatabaseStress {
    private MappingDatabaseStress() { }

    static final int PAGE = 0x0040_0000;
    static final int FRAME_VA = 5 << 12; // sigma0's idempotent mapping of frame 5

    static final MappingDatabase.Sink NO_SINK = (space, va) -> { };

    /**
     * Space A holds frame 5 (from sigma0). One thread maps A's page to B while the other revokes
     * everything derived from A's page: B ends with the page (unmap first) or without it (map
     * first), and the checker finds the database and the page tables consistent either way.
     */
    @JCStressTest
    @Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "map, then unmap: B lost the page; consistent")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "unmap, then map: B has the page; consistent")
    @Outcome(expect = FORBIDDEN, desc = "the mapping database or the page tables are inconsistent")
    @State
    public static class MapAndUnmapOnePage {
        final MappingDatabase mdb = MappingDatabase.standalone(new PhysicalMemory(1 << 20), 64);
        final AddressSpace a = mdb.newStandaloneSpace("a");
        final AddressSpace b = mdb.newStandaloneSpace("b");

        public MapAndUnmapOnePage() {
            mdb.lock(MappingDatabase.SPIN);
            try {
                mdb.map(mdb.sigma0(), FRAME_VA, a, PAGE, MappingDatabase.RWX, false, NO_SINK);
            } finally {
                mdb.unlock();
            }
        }

        @Actor
        public void map() {
            mdb.lock(MappingDatabase.SPIN);
            try {
                mdb.map(a, PAGE, b, PAGE, MappingDatabase.RWX, false, NO_SINK);
            } finally {
                mdb.unlock();
            }
        }

        @Actor
        public void unmap() {
            mdb.lock(MappingDatabase.SPIN);
            try {
                mdb.unmap(a, PAGE, MappingDatabase.RWX, false, NO_SINK);
            } finally {
                mdb.unlock();
            }
        }

        @Arbiter
        public void arbiter(II_Result r) {
            r.r1 = mdb.check().isEmpty() && a.mappedPages() == 1 ? 1 : 0;
            r.r2 = b.mappedPages();
        }
    }

    /**
     * Two threads map the same page of A at once, to B and to C; then both mappings exist, as
     * children of A's, and the database is consistent.
     */
    @JCStressTest
    @Outcome(id = "1, 2", expect = ACCEPTABLE, desc = "both mapped, consistent")
    @Outcome(expect = FORBIDDEN, desc = "a mapping lost, or the database inconsistent")
    @State
    public static class TwoMapsOfOnePage {
        final MappingDatabase mdb = MappingDatabase.standalone(new PhysicalMemory(1 << 20), 64);
        final AddressSpace a = mdb.newStandaloneSpace("a");
        final AddressSpace b = mdb.newStandaloneSpace("b");
        final AddressSpace c = mdb.newStandaloneSpace("c");

        public TwoMapsOfOnePage() {
            mdb.lock(MappingDatabase.SPIN);
            try {
                mdb.map(mdb.sigma0(), FRAME_VA, a, PAGE, MappingDatabase.RWX, false, NO_SINK);
            } finally {
                mdb.unlock();
            }
        }

        private void mapTo(AddressSpace dst) {
            mdb.lock(MappingDatabase.SPIN);
            try {
                mdb.map(a, PAGE, dst, PAGE, MappingDatabase.RWX, false, NO_SINK);
            } finally {
                mdb.unlock();
            }
        }

        @Actor
        public void toB() {
            mapTo(b);
        }

        @Actor
        public void toC() {
            mapTo(c);
        }

        @Arbiter
        public void arbiter(II_Result r) {
            r.r1 = mdb.check().isEmpty() ? 1 : 0;
            r.r2 = b.mappedPages() + c.mappedPages();
        }
    }
}
