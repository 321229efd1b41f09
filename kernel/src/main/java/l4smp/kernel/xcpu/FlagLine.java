package l4smp.kernel.xcpu;

/**
 * The packed mailbox flags of one destination CPU (thesis 8.3.4): {@value #WORDS} dwords in one
 * cache line, one bit per mailbox, {@value #BITS} mailboxes in all. Polling when nothing is
 * pending is {@value #WORDS} compares of dwords that hit in the L1 (about 8 cycles); setting a
 * flag moves the line to the sender, and the next check moves it back.
 *
 * <p>Bits 0..127 are requests addressed to this CPU, bits 128..255 replies to operations this
 * CPU's threads started (see {@link XcpuFabric}).
 */
public final class FlagLine {

    public static final int WORDS = 8;
    public static final int BITS = WORDS * 32;

    private FlagLine() {
    }

    /** Sets flag {@code bit} of the line at {@code line} (a locked or: a CAS loop). */
    public static void set(XcpuMemory mem, long line, int bit) {
        long word = line + 4L * (bit >>> 5);
        int mask = 1 << (bit & 31);
        while (true) {
            int v = mem.loadAcquire(word);
            if (mem.casVolatile(word, v, v | mask)) {
                return;
            }
        }
    }

    /** Clears flag {@code bit} (a locked and-not: a CAS loop). */
    public static void clear(XcpuMemory mem, long line, int bit) {
        long word = line + 4L * (bit >>> 5);
        int mask = 1 << (bit & 31);
        while (true) {
            int v = mem.loadAcquire(word);
            if ((v & mask) == 0 || mem.casVolatile(word, v, v & ~mask)) {
                return;
            }
        }
    }

    /** Receives the flags found by {@link #checkAndAck}. */
    public interface Handler {
        /** Flag {@code bit} was set and is now cleared: handle its mailbox. */
        void flagged(int bit);
    }

    /**
     * {@code check_n_ack} of 8.3.4: reads every dword of the line; for each set flag (bit scan
     * forward) clears it and hands it to {@code handler}. Returns how many flags it found. The
     * reply half (dwords 4..7) is scanned first, so that a thread's completion is seen no later
     * than a request that its partner sent after it.
     */
    public static int checkAndAck(XcpuMemory mem, long line, Handler handler) {
        int found = 0;
        for (int k = 0; k < WORDS; k++) {
            int w = (k + WORDS / 2) % WORDS;
            long word = line + 4L * w;
            int v = mem.loadAcquire(word);
            while (v != 0) {
                int b = Integer.numberOfTrailingZeros(v);
                v &= v - 1;
                int bit = w * 32 + b;
                clear(mem, line, bit);
                found++;
                handler.flagged(bit);
            }
        }
        return found;
    }
}
