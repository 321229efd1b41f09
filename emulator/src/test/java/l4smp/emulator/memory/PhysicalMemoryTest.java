package l4smp.emulator.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PhysicalMemoryTest {

    @Test
    void oneGibibyteIsAllocatedLazily() {
        PhysicalMemory m = new PhysicalMemory(1L << 30);
        assertEquals(262_144, m.frameCount());
        assertEquals(0, m.intPlain((1L << 30) - 4));
        assertEquals(0, m.allocatedFramesAcquire(), "reads allocate nothing");
        m.setIntPlain(0x3FFF_F000L, 0xCAFEBABE);
        assertEquals(1, m.allocatedFramesAcquire());
        assertTrue(m.isFrameAllocatedAcquire(0x3FFFF));
        assertEquals(0xCAFEBABE, m.intVolatile(0x3FFF_F000L));
    }

    @Test
    void dataIsLittleEndianAndAtomicsWork() {
        PhysicalMemory m = new PhysicalMemory(1 << 20);
        m.setIntRelease(0x100, 0x04030201);
        assertEquals(1, m.bytePlain(0x100));
        assertEquals(4, m.bytePlain(0x103));
        assertTrue(m.casInt(0x100, 0x04030201, 7));
        assertFalse(m.casInt(0x100, 0x04030201, 8));
        assertEquals(7, m.getAndSetInt(0x100, 9));
        assertEquals(9, m.getAndAddInt(0x100, 1));
        assertEquals(10, m.getAndBitwiseOrInt(0x100, 0x20));
        assertEquals(0x2A, m.intAcquire(0x100));
        m.setLongPlain(0x1FFC, -2L);                  // crosses a frame boundary
        assertEquals(-2L, m.longPlain(0x1FFC));
        m.setBytePlain(0x101, (byte) 0x77);
        assertEquals(0x772A, m.intPlain(0x100));
    }

    @Test
    void bulkCopiesCrossFrames() {
        PhysicalMemory m = new PhysicalMemory(1 << 20);
        byte[] src = new byte[10_000];
        for (int i = 0; i < src.length; i++) {
            src[i] = (byte) i;
        }
        m.writeBytesPlain(4000, src, 0, src.length);
        byte[] dst = new byte[src.length];
        m.readBytesPlain(4000, dst, 0, dst.length);
        assertArrayEquals(src, dst);
        m.zeroFramePlain(1);
        assertEquals(0, m.bytePlain(4096));
        assertEquals((byte) 95, m.bytePlain(4095));
    }

    @Test
    void rejectsBadAddresses() {
        PhysicalMemory m = new PhysicalMemory(1 << 20);
        assertThrows(IndexOutOfBoundsException.class, () -> m.intPlain(1 << 20));
        assertThrows(IllegalArgumentException.class, () -> m.intPlain(2));
        assertThrows(IllegalArgumentException.class, () -> new PhysicalMemory(1000));
    }
}
