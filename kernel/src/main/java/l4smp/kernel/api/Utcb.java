package l4smp.kernel.api;

/**
 * The fields of the user thread control block that user code may name by offset (32-bit
 * layout). The processor number at offset {@value #PROCESSOR_NUMBER_OFFSET} (thesis 7.2) is
 * written by the kernel only: a user write is refused with an {@link IllegalArgumentException}
 * naming the field, and the field keeps its value.
 */
public final class Utcb {

    /** The thread's user-defined handle (X.2), read-write. */
    public static final int USER_HANDLE_OFFSET = 4;
    /** The processor number 1..k (thesis 7.2: "relative address 12"), read-only. */
    public static final int PROCESSOR_NUMBER_OFFSET = 12;
    /** The error code of the last IPC (X.2), written by the kernel, readable. */
    public static final int ERROR_CODE_OFFSET = 20;
    /**
     * The processor number (1..k; 0..k-1 in the X.2 ABI) of the partner of a cross-processor
     * send aborted on request (thesis 7.2 leaves it as "returned in XXX"; design decision 4):
     * written by the kernel, readable, 0 (X.2 ABI: -1) when no abort happened.
     */
    public static final int XP_PARTNER_PROCESSOR_OFFSET = 28;

    private Utcb() {
    }

    static void checkWritable(int offset) {
        if (offset == PROCESSOR_NUMBER_OFFSET) {
            throw new IllegalArgumentException("the UTCB processor number (offset " + PROCESSOR_NUMBER_OFFSET
                    + ") is read-only: it is written by the kernel when the thread changes processor");
        }
        if (offset == XP_PARTNER_PROCESSOR_OFFSET) {
            throw new IllegalArgumentException("the UTCB partner processor number (offset " + XP_PARTNER_PROCESSOR_OFFSET
                    + ") is written by the kernel only");
        }
        if (offset == ERROR_CODE_OFFSET) {
            throw new IllegalArgumentException("the UTCB error code (offset " + ERROR_CODE_OFFSET
                    + ") is written by the kernel only");
        }
        if (offset != USER_HANDLE_OFFSET) {
            throw new IllegalArgumentException("no writable UTCB field at offset " + offset
                    + " (writable: user handle at " + USER_HANDLE_OFFSET + ")");
        }
    }
}
