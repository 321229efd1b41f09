package l4smp.kernel.space;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Scale: one machine with 1 GiB of simulated memory holds 10,000 address spaces with one page
 * each (a page directory, a page table and a mapping from sigma0 per space), and the mapping
 * database checker passes over all of them. Logs the host heap in use afterwards.
 */
@Tag("scale")
class ScaleTest {

    private static final Logger LOG = LoggerFactory.getLogger(ScaleTest.class);
    private static final int SPACES = 10_000;

    @Test
    void tenThousandSpacesOnAOneGibMachine() {
        SpaceRig rig = new SpaceRig(2, 21, TlbShootdown.Policy.CURRENT_SPACE, 1L << 30);
        MappingDatabase mdb = rig.spaces.mappingDatabase();
        MappingDatabase.Sink sink = (space, va) -> { };
        AddressSpace[] spaces = new AddressSpace[SPACES];
        for (int i = 0; i < SPACES; i++) {
            spaces[i] = rig.space("s" + i);
            mdb.lock(MappingDatabase.SPIN);
            try {
                int frame = 16 + i; // sigma0's idempotent mapping of a frame of its own
                assertEquals(MappingDatabase.MAPPED,
                        mdb.map(rig.spaces.sigma0Space(), frame << 12, spaces[i], 0x1000_0000, MappingDatabase.RWX,
                                false, sink));
            } finally {
                mdb.unlock();
            }
        }
        // Through the page tables: every space translates its page to its own frame.
        for (int i = 0; i < SPACES; i += 997) {
            long pte = l4smp.emulator.memory.PageTables.pte(rig.machine.physicalMemory(), spaces[i].pageDirectory,
                    0x1000_0000);
            assertEquals(16 + i, (int) (pte >>> 12), "space " + i);
        }
        assertEquals(SPACES + 1, rig.spaces.spaceCount());
        assertEquals(2L * SPACES, mdb.nodeCount(), "one page in each space plus sigma0's root of it");
        assertEquals(java.util.List.of(), rig.spaces.check());
        System.gc();
        Runtime rt = Runtime.getRuntime();
        long used = rt.totalMemory() - rt.freeMemory();
        LOG.info("{} spaces with one page each on a {} MiB machine: host heap in use {} MiB",
                SPACES, rig.machine.config().memoryBytes() >> 20, used >> 20);
        assertTrue(used < (1L << 30), () -> "heap in use " + (used >> 20) + " MiB for " + SPACES + " spaces");
    }
}
