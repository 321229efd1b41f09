package l4smp.kernel.thread;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ThreadIdTest {

    @Test
    void encodesNumberAndVersionInOneWord() {
        ThreadId id = ThreadId.of(5, 3);
        assertEquals(5 << 14 | 3, id.raw());
        assertEquals(5, id.number());
        assertEquals(3, id.version());
        assertEquals("5.3", id.toString());
        ThreadId max = ThreadId.of(ThreadId.MAX_NUMBER - 1, ThreadId.MAX_VERSION);
        assertEquals(ThreadId.MAX_NUMBER - 1, max.number());
        assertEquals(ThreadId.MAX_VERSION, max.version());
        assertEquals(18, ThreadId.NUMBER_BITS);
        assertEquals(14, ThreadId.VERSION_BITS);
    }

    @Test
    void rawRoundTripsAndEqualityIsByValue() {
        ThreadId id = ThreadId.of(1234, 17);
        assertEquals(id, ThreadId.fromRaw(id.raw()));
        assertEquals(id.hashCode(), ThreadId.fromRaw(id.raw()).hashCode());
        assertNotEquals(id, ThreadId.of(1234, 18), "another version is another thread");
        assertNotEquals(id, ThreadId.of(1235, 17));
        assertSame(ThreadId.NIL, ThreadId.fromRaw(0));
        assertSame(ThreadId.ANY, ThreadId.fromRaw(-1));
    }

    @Test
    void nilAndAny() {
        assertTrue(ThreadId.NIL.isNil());
        assertFalse(ThreadId.NIL.isAny());
        assertTrue(ThreadId.ANY.isAny());
        assertFalse(ThreadId.ANY.isNil());
        assertEquals("nilthread", ThreadId.NIL.toString());
        assertEquals("anythread", ThreadId.ANY.toString());
        assertFalse(ThreadId.of(1, 1).isNil());
        assertThrows(IllegalArgumentException.class, () -> ThreadId.of(ThreadId.MAX_NUMBER, ThreadId.MAX_VERSION),
                "all ones is anythread, not a thread's id");
        assertFalse(ThreadId.of(ThreadId.MAX_NUMBER, ThreadId.MAX_VERSION - 1).isAny());
    }

    @Test
    void refusesOutOfRangeParts() {
        assertThrows(IllegalArgumentException.class, () -> ThreadId.of(-1, 1));
        assertThrows(IllegalArgumentException.class, () -> ThreadId.of(ThreadId.MAX_NUMBER + 1, 1));
        assertThrows(IllegalArgumentException.class, () -> ThreadId.of(1, 0));
        assertThrows(IllegalArgumentException.class, () -> ThreadId.of(1, ThreadId.MAX_VERSION + 1));
    }
}
