package l4smp.kernel.thread;

/**
 * An L4 X.2 global thread id: a thread number (18 bits) and a version (14 bits) in one 32-bit
 * word, {@code number << 14 | version}. The version makes an id unique in time: a TCB reused for
 * a new thread gets a new version, and the old id no longer matches the TCB's {@code myself}.
 * {@link #NIL} (0) names no thread; {@link #ANY} (all ones) is the open-receive wildcard.
 *
 * <p>A local thread id (X.2 "LocalId": the thread's UTCB address, so its low 6 bits are zero;
 * Pistachio {@code L4_IsLocalId}) names a thread within its address space; here it is
 * {@code (number + 1) << 6}, the thread's 64-byte UTCB slot. X.2 reserves global ids whose
 * version has its low 6 bits zero, so the two never meet. Immutable value.
 */
public final class ThreadId implements SyscallResult {

    public static final int VERSION_BITS = 14;
    public static final int NUMBER_BITS = 18;
    public static final int MAX_NUMBER = (1 << NUMBER_BITS) - 1;
    public static final int MAX_VERSION = (1 << VERSION_BITS) - 1;

    /** No thread. */
    public static final ThreadId NIL = new ThreadId(0);
    /** Any thread (open receive). */
    public static final ThreadId ANY = new ThreadId(0xFFFF_FFFF);

    private final int raw;

    private ThreadId(int raw) {
        this.raw = raw;
    }

    /** The id of thread {@code number}, version {@code version} (1..MAX_VERSION). */
    public static ThreadId of(int number, int version) {
        if (number < 0 || number > MAX_NUMBER) {
            throw new IllegalArgumentException("thread number must be 0.." + MAX_NUMBER + ", got " + number);
        }
        if (version < 1 || version > MAX_VERSION) {
            throw new IllegalArgumentException("thread version must be 1.." + MAX_VERSION + ", got " + version);
        }
        if (number == MAX_NUMBER && version == MAX_VERSION) {
            throw new IllegalArgumentException("thread number " + MAX_NUMBER + " with version " + MAX_VERSION
                    + " encodes anythread (all ones), not a thread");
        }
        return new ThreadId(number << VERSION_BITS | version);
    }

    /** The id encoded in {@code raw} (as user code passes it in a register). */
    public static ThreadId fromRaw(int raw) {
        if (raw == 0) {
            return NIL;
        }
        if (raw == -1) {
            return ANY;
        }
        return new ThreadId(raw);
    }

    /** The local id of thread {@code number} (see the class comment). */
    public static ThreadId local(int number) {
        if (number < 0 || number > MAX_NUMBER) {
            throw new IllegalArgumentException("thread number must be 0.." + MAX_NUMBER + ", got " + number);
        }
        return new ThreadId((number + 1) << 6);
    }

    /** Whether this is a local id: not nil or any, the low 6 bits zero (X.2 {@code L4_IsLocalId}). */
    public boolean isLocal() {
        return raw != 0 && raw != -1 && (raw & 0x3F) == 0;
    }

    /** The thread number a local id names. */
    public int localNumber() {
        return (raw >>> 6) - 1;
    }

    public int raw() {
        return raw;
    }

    public int number() {
        return raw >>> VERSION_BITS;
    }

    public int version() {
        return raw & MAX_VERSION;
    }

    public boolean isNil() {
        return raw == 0;
    }

    public boolean isAny() {
        return raw == -1;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ThreadId other && other.raw == raw;
    }

    @Override
    public int hashCode() {
        return raw;
    }

    @Override
    public String toString() {
        if (isNil()) {
            return "nilthread";
        }
        if (isAny()) {
            return "anythread";
        }
        if (isLocal()) {
            return "local:" + localNumber();
        }
        return number() + "." + version();
    }
}
