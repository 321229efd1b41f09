package l4smp.kernel.irq;

import l4smp.emulator.apic.IoApic;
import l4smp.kernel.thread.ThreadId;

/**
 * Interrupts are IPC from hardware threads (thesis 2.4): line L is thread number L, version 1.
 * The kernel reserves thread numbers 0 .. {@value #LINES}-1 for them; user threads start above.
 * An interrupt message has label {@link #LABEL} (X.2: -1 << 4) and no words; the handler
 * acknowledges with an empty send to the interrupt thread, which re-enables the line.
 */
public final class InterruptThreads {

    /** Lines with interrupt threads (the IO-APIC's). */
    public static final int LINES = IoApic.LINES;
    /** The first thread number of user threads. */
    public static final int FIRST_USER_THREAD = 32;
    /** The label of an interrupt message (16 bits of X.2's -1 << 4). */
    public static final int LABEL = 0xFFF0;

    private InterruptThreads() {
    }

    /** The thread id of interrupt line {@code line}. */
    public static ThreadId id(int line) {
        if (line < 0 || line >= LINES) {
            throw new IllegalArgumentException("interrupt line must be 0.." + (LINES - 1) + ", got " + line);
        }
        return ThreadId.of(line, 1);
    }
}
