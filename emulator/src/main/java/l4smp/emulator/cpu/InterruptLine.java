package l4smp.emulator.cpu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/*
 * Padding: the line is written by every sender of an IPI to its CPU; 128 bytes on each side
 * keep it off the host cache lines of anything else.
 */
@SuppressWarnings("unused")
abstract class InterruptLinePad0 {
    long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15;
}

abstract class InterruptLineFields extends InterruptLinePad0 {
    int pending;
    int parked;
}

@SuppressWarnings("unused")
abstract class InterruptLinePad1 extends InterruptLineFields {
    long p20, p21, p22, p23, p24, p25, p26, p27, p28, p29, p30, p31, p32, p33, p34, p35;
}

/**
 * A CPU's interrupt flag and the handshake that wakes the CPU's host thread when it parks.
 *
 * <h2>Algorithm</h2>
 * A sender posts its IPI to the target's inbox, then {@link #raise()}s the flag with a volatile
 * store and reads {@code parked} with a volatile load; if the owner parks, it unparks it.
 * The owner, before parking, stores {@code parked = 1} (volatile) and re-reads the flag (volatile).
 * Both sides store then load, sequentially consistent (a Dekker handshake): at least one of them
 * sees the other's store, so either the owner does not park or the sender unparks it. A spurious
 * unpark only leaves a permit, which makes the next park return at once.
 *
 * <p>The owner clears the flag with a volatile store before draining the inbox
 * ({@link #clearVolatile()}), so an IPI posted after the drain finds the flag clear and raises it
 * again: no IPI is lost.
 *
 * <p>Thread contract: {@link #raise()} and the readers from any thread; {@link #parkUnlessRaised},
 * {@link #clearVolatile()} and {@link #setOwner} from the owner CPU only.
 */
public final class InterruptLine extends InterruptLinePad1 {

    private static final VarHandle PENDING;
    private static final VarHandle PARKED;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            PENDING = lookup.findVarHandle(InterruptLineFields.class, "pending", int.class);
            PARKED = lookup.findVarHandle(InterruptLineFields.class, "parked", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private volatile Thread owner;

    /** Binds the host thread that parks on this line (parallel mode). Owner. */
    public void setOwner(Thread owner) {
        this.owner = owner;
    }

    /** Raises the flag and wakes the owner if it parks. Any thread. */
    public void raise() {
        // Volatile store, then volatile load: the sender's half of the Dekker handshake.
        PENDING.setVolatile(this, 1);
        if ((int) PARKED.getVolatile(this) != 0) {
            Thread t = owner;
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
    }

    /** Whether the flag is raised; a cheap check for the owner's fast path. Any thread. */
    public boolean raisedOpaque() {
        return (int) PENDING.getOpaque(this) != 0;
    }

    /** Whether the flag is raised. Any thread. */
    public boolean raisedVolatile() {
        return (int) PENDING.getVolatile(this) != 0;
    }

    /** Clears the flag before the owner drains the inbox (volatile: ordered before the drain's loads). Owner. */
    public void clearVolatile() {
        PENDING.setVolatile(this, 0);
    }

    /** Raises the flag again without waking anyone (the owner deferring an IPI). Owner. */
    public void reraiseVolatile() {
        PENDING.setVolatile(this, 1);
    }

    /**
     * Parks the owner's host thread for at most {@code nanos}, unless the flag is raised.
     * Returns whether the flag is raised afterwards. Owner.
     */
    public boolean parkUnlessRaised(long nanos) {
        // Volatile store, then volatile load: the owner's half of the Dekker handshake.
        PARKED.setVolatile(this, 1);
        try {
            if ((int) PENDING.getVolatile(this) != 0) {
                return true;
            }
            LockSupport.parkNanos(this, nanos);
            return (int) PENDING.getVolatile(this) != 0;
        } finally {
            PARKED.setVolatile(this, 0);
        }
    }

    /** Whether the owner is parked or about to park. Any thread. */
    public boolean parkedVolatile() {
        return (int) PARKED.getVolatile(this) != 0;
    }
}
