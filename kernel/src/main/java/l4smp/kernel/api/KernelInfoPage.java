package l4smp.kernel.api;

import l4smp.kernel.ipc.Abi;

/**
 * The kernel info page as user code reads it: words at byte offsets, as in L4 X.2. The SMP
 * kernel publishes the highest processor number k (processors are numbered 1..k; 0 means
 * invalid) in the 8-bit field at relative address {@value #PROCESSORS_OFFSET} (thesis 7.1/7.2);
 * the higher 24 bits of that word are reserved and read as zero. In the X.2 ABI ({@link Abi#X2})
 * the page has X.2's layout there instead: processors are 0..k-1, the ProcessorInfo word at
 * {@value #PROCESSOR_INFO_OFFSET} holds k - 1 in its bits 0..15 (Pistachio
 * {@code api/v4/kernelinterface.h}: {@code get_num_processors() = processors + 1}; the offset is
 * that structure's on a 32-bit machine) and 0xB8 is X.2's BootInfo word (0 here).
 *
 * <p>The boot (8.2) writes the highest processor number once, when it knows which processors
 * came up (a masked-out processor lowers it), before it releases the other processors; every
 * reader runs after that release (its acquire load orders the plain read here). Otherwise
 * immutable.
 */
public final class KernelInfoPage {

    /** "L4" and the kernel's magic, as X.2's first word. */
    public static final int MAGIC_OFFSET = 0x00;
    /** The API version word. */
    public static final int API_VERSION_OFFSET = 0x04;
    /** The processor clock in kHz (X.2's ProcessorDesc carries it; here one word for all). */
    public static final int CLOCK_KHZ_OFFSET = 0xA0;
    /** Highest processor number, 8 bits (thesis 7.1: "the 8-bit word at relative address 0xB8"). */
    public static final int PROCESSORS_OFFSET = 0xB8;

    /** X.2's ProcessorInfo word: bits 0..15 the number of processors minus one (X.2 ABI only). */
    public static final int PROCESSOR_INFO_OFFSET = 0xCC;

    /** 'L4' 0xE6 'K' */
    public static final int MAGIC = 0x4BE6344C;
    /** X.2 API version 0x84, subversion 0x05 (X.2 revision 5 / "Version 4"). */
    public static final int API_VERSION = 0x84 << 24 | 0x05 << 16;

    private int highestProcessor;
    private final int clockKhz;
    private final Abi abi;

    /** The page of the thesis ABI. */
    public KernelInfoPage(int highestProcessor, int clockKhz) {
        this(highestProcessor, clockKhz, Abi.THESIS);
    }

    /** The page of {@code abi}, with {@code highestProcessor} (k) processors. */
    public KernelInfoPage(int highestProcessor, int clockKhz, Abi abi) {
        this.abi = java.util.Objects.requireNonNull(abi, "abi");
        if (highestProcessor < 1 || highestProcessor > 255) {
            throw new IllegalArgumentException("highest processor number must be 1..255, got " + highestProcessor);
        }
        this.highestProcessor = highestProcessor;
        this.clockKhz = clockKhz;
    }

    /**
     * Sets the highest processor number (1..255). The boot only, before it releases the other
     * processors.
     */
    public void setHighestProcessorNumber(int k) {
        if (k < 1 || k > 255) {
            throw new IllegalArgumentException("highest processor number must be 1..255, got " + k);
        }
        this.highestProcessor = k;
    }

    /** The 32-bit word at byte {@code offset} (word-aligned); unknown offsets read as zero. */
    public int word(int offset) {
        if (offset < 0 || offset >= 4096 || (offset & 3) != 0) {
            throw new IllegalArgumentException("kernel info page offsets are word-aligned in 0..4092, got " + offset);
        }
        return switch (offset) {
            case MAGIC_OFFSET -> MAGIC;
            case API_VERSION_OFFSET -> API_VERSION;
            case CLOCK_KHZ_OFFSET -> clockKhz;
            case PROCESSORS_OFFSET -> abi == Abi.THESIS ? highestProcessor & 0xFF : 0;
            case PROCESSOR_INFO_OFFSET -> abi == Abi.X2 ? (highestProcessor - 1) & 0xFFFF : 0;
            default -> 0;
        };
    }

    /**
     * The number of processors k, in either ABI (the thesis's highest processor number; X.2's
     * ProcessorInfo plus one).
     */
    public int highestProcessorNumber() {
        return highestProcessor;
    }

    /** The ABI whose layout the page has. */
    public Abi abi() {
        return abi;
    }
}
