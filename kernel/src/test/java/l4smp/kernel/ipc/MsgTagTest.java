package l4smp.kernel.ipc;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MsgTagTest {

    @Test
    void layoutIsX2() {
        int tag = MsgTag.make(0xBEEF, 5, 3);
        assertEquals(0xBEEF << 16 | 3 << 6 | 5, tag);
        assertEquals(0xBEEF, MsgTag.label(tag));
        assertEquals(5, MsgTag.untyped(tag));
        assertEquals(3, MsgTag.typed(tag));
        assertEquals(0, MsgTag.flags(tag));
        assertFalse(MsgTag.isError(tag));
        assertEquals(MsgTag.make(7, 2, 0), MsgTag.make(7, 2));
    }

    @Test
    void fullLabelAndRegisterCountRoundTrip() {
        int tag = MsgTag.make(0xFFFF, 63, 0);
        assertEquals(0xFFFF, MsgTag.label(tag), "label must come back unsigned");
        assertEquals(63, MsgTag.untyped(tag));
        int typed = MsgTag.make(1, 0, 63);
        assertEquals(63, MsgTag.typed(typed));
        assertEquals(0, MsgTag.untyped(typed));
    }

    @Test
    void flags() {
        assertEquals(1 << 15, MsgTag.ERROR_FLAG);
        assertEquals(1 << 14, MsgTag.XCPU_FLAG);
        int err = MsgTag.make(3, 1) | MsgTag.ERROR_FLAG;
        assertTrue(MsgTag.isError(err));
        assertEquals(0b1000, MsgTag.flags(err));
        assertEquals(0b0100, MsgTag.flags(MsgTag.XCPU_FLAG));
        assertEquals(3, MsgTag.label(err));
        assertEquals(1, MsgTag.untyped(err));
        assertTrue(MsgTag.toString(err).contains(" E"));
        assertTrue(MsgTag.toString(MsgTag.XCPU_FLAG).contains(" X"));
    }

    @Test
    void refusesWhatDoesNotFit() {
        assertThrows(IllegalArgumentException.class, () -> MsgTag.make(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> MsgTag.make(0x10000, 0));
        assertThrows(IllegalArgumentException.class, () -> MsgTag.make(0, 64));
        assertThrows(IllegalArgumentException.class, () -> MsgTag.make(0, 40, 24));
        assertThrows(IllegalArgumentException.class, () -> MsgTag.make(0, -1, 0));
    }

    @Test
    void errorWordsAreCodeAndPhase() {
        assertEquals(2, IpcError.word(IpcError.TIMEOUT, IpcError.PHASE_SEND));
        assertEquals(3, IpcError.word(IpcError.TIMEOUT, IpcError.PHASE_RECEIVE));
        assertEquals(15, IpcError.word(IpcError.ABORTED, IpcError.PHASE_RECEIVE));
        for (int code = 1; code <= 7; code++) {
            for (int phase = 0; phase <= 1; phase++) {
                int w = IpcError.word(code, phase);
                assertEquals(code, IpcError.code(w));
                assertEquals(phase, IpcError.phase(w));
            }
        }
        assertEquals("no error", IpcError.describe(0));
        assertEquals("timeout in the receive phase", IpcError.describe(3));
        assertEquals("non-existing partner in the send phase", IpcError.describe(4));
        assertEquals("aborted in the send phase after 0 bytes", IpcError.describe(14)); // code 7 carries an offset (X.2)
        assertEquals("zero", Timeout.toString(Timeout.ZERO));
        assertEquals("never", Timeout.toString(Timeout.NEVER));
        assertFalse(Timeout.isValid(-1));
        assertTrue(Timeout.isValid(Timeout.NEVER));
    }
}
