package l4smp.kernel.ipc;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The error word's layout and its description. X.2 ErrorCode: {@code offset << 4 | code << 1 |
 * phase}, the offset (bytes transferred) defined for codes 4 to 7 (Pistachio api/v4/ipc.h:
 * {@code ERR_IPC_MSG_OVERFLOW(off)}, {@code ERR_IPC_XFER_TIMEOUT_CURRENT(off)},
 * {@code ERR_IPC_XFER_TIMEOUT_PARTNER(off)}, {@code ERR_IPC_ABORTED(off)}).
 */
class IpcErrorTest {

    @Test
    void theWordPacksOffsetCodeAndPhaseAsX2Says() {
        int w = IpcError.word(IpcError.MESSAGE_OVERFLOW, IpcError.PHASE_RECEIVE, 4096);
        assertEquals(4096 << 4 | 4 << 1 | 1, w);
        assertEquals(IpcError.MESSAGE_OVERFLOW, IpcError.code(w));
        assertEquals(IpcError.PHASE_RECEIVE, IpcError.phase(w));
        assertEquals(4096, IpcError.offset(w));
    }

    @Test
    void describeNamesTheOffsetOfTheCodesThatCarryOne() {
        assertEquals("message overflow in the receive phase after 4096 bytes",
                IpcError.describe(4096 << 4 | 4 << 1 | 1));
        assertEquals("transfer timeout in invoker's space in the send phase after 12 bytes",
                IpcError.describe(12 << 4 | 5 << 1));
        assertEquals("transfer timeout in partner's space in the receive phase after 8192 bytes",
                IpcError.describe(8192 << 4 | 6 << 1 | 1));
        assertEquals("aborted in the send phase after 0 bytes", IpcError.describe(7 << 1));
    }

    @Test
    void describeLeavesTheOffsetOutWhereTheCodeHasNone() {
        assertEquals("no error", IpcError.describe(0));
        assertEquals("timeout in the send phase", IpcError.describe(1 << 1));
        assertEquals("non-existing partner in the receive phase", IpcError.describe(2 << 1 | 1));
        assertEquals("canceled in the receive phase", IpcError.describe(3 << 1 | 1));
    }
}
