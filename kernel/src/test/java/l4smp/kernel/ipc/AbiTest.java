package l4smp.kernel.ipc;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The two ABIs' tag bits and processor numbers, for every t: thesis 7.2 (bit 12 of snd.w0 asks to
 * abort in the cross-processor case, bit 11 of rcv.w0 says it crossed, processors 1..k, 0 = no
 * migration) and X.2 as Pistachio implements it (t in bits 6..11 untouched, X = bit 14 marks the
 * crossing, processors 0..k-1, ~0 = no migration).
 */
class AbiTest {

    /** The result tag a receiver of a crossed message with {@code tag} sees (as TransmitPath builds it). */
    private static int crossedResult(Abi abi, int tag) {
        return (tag & ~(0xF << 12)) | abi.crossedBits(tag);
    }

    @Test
    void noTypedCountIsCorruptedByTheCrossedBitsInEitherAbi() {
        for (Abi abi : Abi.values()) {
            for (int t = 0; t <= 63; t++) {
                int tag = MsgTag.make(0xABC, 0, t);
                int got = crossedResult(abi, tag);
                assertEquals(t, abi.typed(got), abi + " t=" + t);
                assertEquals(0xABC, MsgTag.label(got));
                assertEquals(tag, abi.withoutCrossedBits(got), abi + " t=" + t);
                assertEquals(t, abi.typed(tag), abi + " local t=" + t); // not crossed: as sent
            }
        }
    }

    @Test
    void x2MarksEveryCrossingWithXAndNeverTouchesT() {
        for (int t = 0; t <= 63; t++) {
            int got = crossedResult(Abi.X2, MsgTag.make(1, 0, t));
            assertEquals(t, MsgTag.typed(got), "raw t, t=" + t);
            assertTrue(MsgTag.crossedProcessors(got));
        }
    }

    /**
     * Thesis 7.2: bit 11 (with X) for t &lt; 32; with t &ge; 32 bit 11 belongs to t, so the
     * receiver sees t intact and no crossed mark (the thesis ABI cannot report that crossing).
     */
    @Test
    void thesisSetsBit11ForSmallTOnlyAndLeavesLargeTIntact() {
        int small = crossedResult(Abi.THESIS, MsgTag.make(1, 0, 0));
        assertEquals(1 << 11 | 1 << 14, small & (1 << 11 | 1 << 14));
        assertEquals(0, Abi.THESIS.typed(small));
        int large = MsgTag.make(1, 0, 40);
        int got = crossedResult(Abi.THESIS, large);
        assertEquals(large, got);
        assertEquals(40, MsgTag.typed(got));
        assertFalse(MsgTag.crossedProcessors(got));
    }

    @Test
    void abortRequestBits() {
        assertTrue(Abi.THESIS.abortIfCross(1 << 12));
        assertFalse(Abi.THESIS.abortIfCross(1 << 14));
        assertTrue(Abi.X2.abortIfCross(1 << 14));
        assertFalse(Abi.X2.abortIfCross(1 << 12), "X.2 bit 12 is p (propagation)");
    }

    @Test
    void processorNumbers() {
        assertEquals(1, Abi.THESIS.userProcessor(0));
        assertEquals(0, Abi.X2.userProcessor(0));
        assertEquals(0, Abi.THESIS.noMigration());
        assertEquals(-1, Abi.X2.noMigration());
        assertEquals(-1, Abi.THESIS.logicalProcessor(0));
        assertEquals(-1, Abi.X2.logicalProcessor(-1));
        assertEquals(2, Abi.THESIS.logicalProcessor(3));
        assertEquals(3, Abi.X2.logicalProcessor(3));
    }

    @Test
    void parsesTheOptionAndNamesABadOne() {
        assertEquals(Abi.THESIS, Abi.parse("thesis"));
        assertEquals(Abi.X2, Abi.parse("x2"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Abi.parse("X.2"));
        assertTrue(e.getMessage().contains("'X.2'"), e.getMessage());
    }
}
