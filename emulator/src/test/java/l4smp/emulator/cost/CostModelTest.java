package l4smp.emulator.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class CostModelTest {

    @Test
    void presetsCarryTheirGeometry() {
        assertSame(CostModel.PIII_450, CostModel.preset("piii"));
        assertEquals(32, CostModel.PIII_450.lineBytes());
        assertEquals(64, CostModel.P4.lineBytes());
        CostModel.MemoryHierarchy h = CostModel.PIII_450.memory();
        assertEquals(128, h.l1Sets());
        assertEquals(4096, h.l2Sets());
        assertEquals(98, h.l1HitCenti());
        assertEquals(8952, h.mToSCenti());
    }

    @Test
    void oldConstructorKeepsWorkingWithThePiiiHierarchy() {
        CostModel c = new CostModel("x", 100, 1, 2, 3, 4, 5, 6);
        assertSame(CostModel.MemoryHierarchy.PIII_450, c.memory());
        assertEquals(140, CostModel.PIII_450.kernelEntryCycles());
    }

    @Test
    void rejectsBadGeometry() {
        CostModel.MemoryHierarchy h = CostModel.PIII_450.memory();
        assertThrows(IllegalArgumentException.class, () -> h.withCaches(3000, 4, 512 * 1024, 4));
        assertThrows(IllegalArgumentException.class, () -> h.withCaches(16 * 1024, 4, 8 * 1024, 4));
        assertThrows(IllegalArgumentException.class, () -> h.withTlb(63, 4));
    }
}
