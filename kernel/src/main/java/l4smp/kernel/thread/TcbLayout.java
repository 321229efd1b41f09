package l4smp.kernel.thread;

import java.util.Locale;

/**
 * Where the fields of a TCB lie in simulated memory (byte offsets from the TCB's base), so that
 * kernel paths touch them through the accounting layer line by line.
 *
 * <p>{@link #GROUPED} is the layout of thesis 8.6, Table 3, for 32-byte lines: three processor
 * local lines (the fast IPC path's fields first), one global line read by other processors and
 * rarely written (myself, cpu, present links), one global line that other processors' proxies
 * modify (partner, proxy, xp completion code, mailbox pointers). {@link #NAIVE} packs the same
 * fields in the declaration order of an unoptimised TCB (the order in which 8.6 introduces
 * them, the SMP fields appended): nobody chose which fields share a line.
 */
public enum TcbLayout {
    GROUPED, NAIVE;

    /** The TCB fields of 8.6. */
    public enum Field {
        IPC_BUFFER, TIMEOUT, READY_LINKS, STATE, STACK,
        WAKEUP_LINKS, RESOURCES, COMM_AREA, SEND_QUEUE, SEND_LINKS,
        PRIORITY, TIMESLICE, REMAINING_TIMESLICE, PAGER,
        MYSELF, CPU, PRESENT_LINKS,
        PARTNER, PROXY, XP_CC, MAILBOX_PTRS,
        /**
         * The TCB lock (8.3.3): a spinlock word in the global-modified line. Not in Table 3 (the
         * thesis's final design does without it); placed in that line's dummy space.
         */
        LOCK,
        /**
         * The published receive specifier (0: not receiving, -1: any, else the raw id of the
         * thread it receives from), which senders on other CPUs read under the TCB lock to learn
         * whether the receiver is ready (8.3.3). In the global-modified line's dummy space.
         */
        WAIT_FOR
    }

    /** Bytes a TCB occupies (five 32-byte lines in the grouped layout). */
    public static final int TCB_BYTES = 160;
    /** Bytes of the processor-local part of the grouped layout (three 32-byte lines). */
    public static final int GROUPED_LOCAL_BYTES = 96;

    /** The offsets, built when first used (after the enum's constants). */
    private static final class Offsets {
        static final int[] GROUPED = new int[Field.values().length];
        static final int[] NAIVE = new int[Field.values().length];

        static {
            // Table 3, line 0: the fast IPC path's local fields.
            GROUPED[Field.IPC_BUFFER.ordinal()] = 0;
            GROUPED[Field.TIMEOUT.ordinal()] = 12;
            GROUPED[Field.READY_LINKS.ordinal()] = 16;
            GROUPED[Field.STATE.ordinal()] = 24;
            GROUPED[Field.STACK.ordinal()] = 28;
            // line 1: wakeup and send-queue links, resources, comm area.
            GROUPED[Field.WAKEUP_LINKS.ordinal()] = 32;
            GROUPED[Field.RESOURCES.ordinal()] = 40;
            GROUPED[Field.COMM_AREA.ordinal()] = 44;
            GROUPED[Field.SEND_QUEUE.ordinal()] = 52;
            GROUPED[Field.SEND_LINKS.ordinal()] = 56;
            // line 2: scheduling and the pager.
            GROUPED[Field.PRIORITY.ordinal()] = 64;
            GROUPED[Field.TIMESLICE.ordinal()] = 68;
            GROUPED[Field.REMAINING_TIMESLICE.ordinal()] = 72;
            GROUPED[Field.PAGER.ordinal()] = 76;
            // line 3: global, read-mostly.
            GROUPED[Field.MYSELF.ordinal()] = 96;
            GROUPED[Field.CPU.ordinal()] = 100;
            GROUPED[Field.PRESENT_LINKS.ordinal()] = 104;
            // line 4: global, modified by other processors' proxies.
            GROUPED[Field.PARTNER.ordinal()] = 128;
            GROUPED[Field.PROXY.ordinal()] = 132;
            GROUPED[Field.XP_CC.ordinal()] = 136;
            GROUPED[Field.MAILBOX_PTRS.ordinal()] = 140;
            GROUPED[Field.LOCK.ordinal()] = 148;
            GROUPED[Field.WAIT_FOR.ordinal()] = 152;

            // An unoptimised TCB: the uniprocessor TCB in the order in which 8.6 introduces its
            // fields (group 1, "(a) ipc buffer" to "(l) link pointers for the send queue", then
            // the identity and present links of group 3), with the fields a port to SMP adds
            // appended at its end, in 8.6's order too (group 2: partner, proxy, xp cc, mailbox
            // pointers; group 3 (b): cpu), followed by this kernel's TCB lock and published
            // receive specifier (8.3.3). Nobody arranged these fields by who writes them.
            Field[] order = {Field.IPC_BUFFER, Field.TIMEOUT, Field.PAGER, Field.STACK, Field.STATE,
                    Field.PRIORITY, Field.TIMESLICE, Field.REMAINING_TIMESLICE, Field.READY_LINKS,
                    Field.WAKEUP_LINKS, Field.RESOURCES, Field.COMM_AREA, Field.SEND_QUEUE, Field.SEND_LINKS,
                    Field.MYSELF, Field.PRESENT_LINKS,
                    Field.PARTNER, Field.PROXY, Field.XP_CC, Field.MAILBOX_PTRS, Field.CPU,
                    Field.LOCK, Field.WAIT_FOR};
            int o = 0;
            for (Field f : order) {
                NAIVE[f.ordinal()] = o;
                o += size(f);
            }
        }

        static int size(Field f) {
            return switch (f) {
                case IPC_BUFFER -> 12;
                case READY_LINKS, WAKEUP_LINKS, SEND_LINKS, COMM_AREA, MAILBOX_PTRS, PRESENT_LINKS -> 8;
                default -> 4;
            };
        }
    }

    /** The byte offset of {@code field} from the TCB's base. */
    public int offset(Field field) {
        return (this == GROUPED ? Offsets.GROUPED : Offsets.NAIVE)[field.ordinal()];
    }

    public static TcbLayout parse(String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "grouped" -> GROUPED;
            case "naive" -> NAIVE;
            default -> throw new IllegalArgumentException("unknown TCB layout '" + text + "' (known: grouped, naive)");
        };
    }
}
