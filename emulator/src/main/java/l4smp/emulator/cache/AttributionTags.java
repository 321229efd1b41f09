package l4smp.emulator.cache;

/** The usual attribution tags (any other string is allowed too). */
public final class AttributionTags {
    private AttributionTags() { }

    /** Addresses not registered to any owner. */
    public static final String UNTAGGED = "untagged";
    /** The TCB lines touched only by the thread's own CPU (thesis 8.6). */
    public static final String TCB_LOCAL = "TCB local";
    /** The TCB lines read or written by other CPUs (thesis 8.6: global shared / modified). */
    public static final String TCB_GLOBAL = "TCB global";
    /** XCPU mailbox flag words and mailbox bodies. */
    public static final String MAILBOX = "mailbox";
    /** Ready-list heads of the per-CPU schedulers. */
    public static final String READY_LIST = "ready list";
    /** Pages of user address spaces. */
    public static final String USER_PAGE = "user page";
    /** Spinlock words. */
    public static final String SPINLOCK = "spinlock";
    /** Page directories and page tables. */
    public static final String PAGE_TABLE = "page table";
}
