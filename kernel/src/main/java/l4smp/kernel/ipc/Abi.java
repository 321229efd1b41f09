package l4smp.kernel.ipc;

import java.util.Locale;

/**
 * The system-call ABI the kernel offers its users: where a tag carries the cross-processor bits
 * and how processor numbers count. One kernel implements both; only what a user sees differs.
 *
 * <p>{@link #THESIS}: the X2 draft that thesis section 7.2 fixes. Processors are numbered 1..k
 * (0 = invalid, and in Schedule: no migration); bit 12 of the send tag asks to abort the IPC if it
 * would cross processors (error 7); bit 11 of the received tag says the IPC crossed. X.2 keeps the
 * typed-word count t in bits 6..11, so bit 11 is also t's top bit: the kernel sets the crossed bit
 * only when the message's t is below 32 (the bit is free), and then also sets X (bit 14), which
 * says "bit 11 is the crossed bit, t is bits 6..10". A message with t &ge; 32 arrives with t intact
 * and neither bit: the thesis ABI cannot report its crossing ({@link #typed} decodes both cases).
 *
 * <p>{@link #X2}: L4 X.2 as published and as Pistachio implements it. Processors are numbered
 * 0..k-1 (the UTCB's ProcessorNo, the KIP's ProcessorInfo holds k-1; Schedule's processor control
 * ~0 = no migration, Pistachio {@code api/v4/schedule.cc}); X (bit 14) marks a cross-processor
 * delivery for every t and t is never touched; bit 12 of a tag is p (propagation), so the abort
 * request of design decision 4 is read from the X bit of the send tag, which X.2 leaves to the
 * kernel on send.
 *
 * <p>Propagation (X.2 "Ipc", propagation): the X.2 ABI reads X.2's p bit (bit 12) of the send
 * tag and reports it in bit 12 of the received tag; the thesis ABI, whose bit 12 is the abort
 * request, uses bit 13 for both ({@link #propagatedFlag}).
 *
 * <p>Immutable; any thread.
 */
public enum Abi {
    THESIS,
    X2;

    /** Bits 6..10: t without its top bit. */
    private static final int T_LOW_BITS = 0x1F << 6;

    /** The option spelling: {@code thesis} or {@code x2}. */
    public String optionName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code thesis} or {@code x2}; anything else is refused naming the value. */
    public static Abi parse(String s) {
        if (s != null) {
            for (Abi a : values()) {
                if (a.optionName().equals(s)) {
                    return a;
                }
            }
        }
        throw new IllegalArgumentException("ABI must be thesis or x2, got '" + s + "'");
    }

    /**
     * The processor number users see for the logical processor {@code logical} (0..k-1 in the
     * boot's numbering, thesis 8.2): {@code logical + 1} in the thesis ABI, {@code logical} in X.2.
     */
    public int userProcessor(int logical) {
        return this == THESIS ? logical + 1 : logical;
    }

    /**
     * The logical processor (0..k-1) that user processor number {@code number} names; -1 for the
     * value that means "no migration" ({@link #noMigration}); any other value out of range comes
     * back as it maps (the caller checks it against k).
     */
    public int logicalProcessor(int number) {
        if (number == noMigration()) {
            return -1;
        }
        return this == THESIS ? number - 1 : number;
    }

    /** Schedule's processor value for "no migration": 0 (thesis 7.2) or ~0 (X.2, Pistachio). */
    public int noMigration() {
        return this == THESIS ? 0 : -1;
    }

    /** The send-tag bit that asks to abort a cross-processor IPC (design decision 4). */
    public int abortIfCrossFlag() {
        return this == THESIS ? MsgTag.XCPU_ABORT_FLAG : MsgTag.XCPU_FLAG;
    }

    /** Whether send tag {@code sendTag} asks to abort the IPC if it crosses processors. */
    public boolean abortIfCross(int sendTag) {
        return (sendTag & abortIfCrossFlag()) != 0;
    }

    /** The tag bit that asks for propagation on send and reports it on receive: bit 12 (X.2), bit 13 (thesis). */
    public int propagatedFlag() {
        return this == X2 ? MsgTag.PROPAGATED_FLAG : MsgTag.THESIS_PROPAGATED_FLAG;
    }

    /** Whether send tag {@code sendTag} asks for propagation (X.2's p bit, in this ABI's place). */
    public boolean propagates(int sendTag) {
        return (sendTag & propagatedFlag()) != 0;
    }

    /**
     * The bits the result tag of a cross-processor IPC of a message with tag {@code tag} carries:
     * thesis: bit 11 and X when t &lt; 32, none for t &ge; 32; X.2: X.
     */
    public int crossedBits(int tag) {
        if (this == X2) {
            return MsgTag.XCPU_FLAG;
        }
        return MsgTag.typed(tag) < 32 ? MsgTag.XCPU_FLAG | MsgTag.XCPU_RESULT_BIT : 0;
    }

    /** The typed-word count t of result tag {@code tag} (see the class comment for the thesis's bit 11). */
    public int typed(int tag) {
        if (this == THESIS && (tag & MsgTag.XCPU_FLAG) != 0) {
            return (tag & T_LOW_BITS) >>> 6;
        }
        return MsgTag.typed(tag);
    }

    /** Result tag {@code tag} without the bits this ABI uses to report a crossing. */
    public int withoutCrossedBits(int tag) {
        if ((tag & MsgTag.XCPU_FLAG) == 0) {
            return tag;
        }
        return this == THESIS ? tag & ~(MsgTag.XCPU_FLAG | MsgTag.XCPU_RESULT_BIT) : tag & ~MsgTag.XCPU_FLAG;
    }
}
