package l4smp.kernel.ipc;

/**
 * The typed message items of L4 X.2 and the receiver's buffer registers, as 64-bit words.
 *
 * <p>A typed item takes two message registers after the untyped words:
 * <pre>
 *   string item:  word 0 = length << 10 | c << 9 | j << 4 | 0hh0 | C   words 1..j+1 = substring addresses
 *   map item:     word 0 = send base   | 0b1000   word 1 = flexpage
 *   grant item:   word 0 = send base   | 0b1010   word 1 = flexpage
 * </pre>
 * A string item (X.2 "StringItem"; Pistachio {@code L4_StringItem_t}) names j + 1 substrings of
 * {@code length} bytes each; c continues the string with the next string item (a compound
 * string); hh are cache hints (ignored here); the C bit of a receive buffer's first item says
 * that another buffer follows it. A simple string is one item with j = 0, c = 0: two words.
 * How strings meet buffers is {@link StringTransfer}'s.
 * A flexpage is {@code base | log2(size) << 4 | rights} (X.2: rights rwx in bits 0..2, the size
 * exponent in bits 4..9, base aligned to the size, sizes from 4 KB). The receiver's buffer
 * register BR0 (the acceptor) holds a receive window flexpage for map and grant items, and bit
 * 0 {@code s}: strings accepted into the string buffers from BR1 on (each one or more string
 * items with their substring addresses, written as a message's string items are).
 *
 * <p>Addresses: a thread without an address space of its own sees one flat space, identity-mapped
 * onto the user part of physical memory, so a string item's address is a physical address; the
 * copy goes through the accounting layer line by line (between address spaces the space layer
 * copies, {@code SpaceIpc}).
 */
public final class TypedItems {

    public static final int TYPE_MASK = 0b1110;
    public static final int STRING = 0b0000;
    public static final int MAP = 0b1000;
    public static final int GRANT = 0b1010;
    /** Buffer registers (BR0..BR33, as X.2). */
    public static final int BUFFER_REGISTERS = 34;
    /** The acceptor's string-accept bit. */
    public static final long ACCEPT_STRINGS = 1;
    /**
     * The complete-address-space flexpage (X.2 "CompleteAddressSpace": base 0, size field 1;
     * Pistachio {@code L4_CompleteAddressSpace}), as an acceptor: any map or grant item is
     * accepted, at the address its send base names.
     */
    public static final long COMPLETE_ADDRESS_SPACE = 1 << 4;
    /** The longest string (22 bits of length, X.2). */
    public static final int MAX_STRING = (1 << 22) - 1;
    /** A string item's c bit: the string continues with the next string item (compound). */
    public static final long COMPOUND = 1L << 9;
    /** A receive buffer's C bit (in its first item): another buffer follows. */
    public static final long MORE_BUFFERS = 1;
    /** The most substrings of one string item (j + 1, j of 5 bits). */
    public static final int MAX_SUBSTRINGS = 32;

    private TypedItems() {
    }

    public static long stringItem(long address, int length) {
        if (length < 0 || length > MAX_STRING) {
            throw new IllegalArgumentException("string length must be 0.." + MAX_STRING + ", got " + length);
        }
        if (address < 0) {
            throw new IllegalArgumentException("string address must be >= 0, got " + address);
        }
        return (long) length << 10 | STRING;
    }

    /**
     * The first word of a string item: {@code substrings} (1..32) substrings of {@code length}
     * bytes, the addresses in the words after it; {@code compound}: the string goes on in the
     * next item; {@code moreBuffers}: (a receive buffer's first item) another buffer follows.
     */
    public static long stringItem(int length, int substrings, boolean compound, boolean moreBuffers) {
        if (length < 0 || length > MAX_STRING) {
            throw new IllegalArgumentException("string length must be 0.." + MAX_STRING + ", got " + length);
        }
        if (substrings < 1 || substrings > MAX_SUBSTRINGS) {
            throw new IllegalArgumentException("substrings must be 1.." + MAX_SUBSTRINGS + ", got " + substrings);
        }
        return (long) length << 10 | (compound ? COMPOUND : 0) | (long) (substrings - 1) << 4
                | (moreBuffers ? MORE_BUFFERS : 0) | STRING;
    }

    public static long mapItem(long sendBase) {
        return (sendBase & ~0x3FFL) | MAP;
    }

    public static long grantItem(long sendBase) {
        return (sendBase & ~0x3FFL) | GRANT;
    }

    /** A flexpage of {@code 2^log2size} bytes at {@code base} with {@code rights} (rwx = 0b111). */
    public static long fpage(long base, int log2size, int rights) {
        if (log2size < 12 || log2size > 32) {
            throw new IllegalArgumentException("flexpage size must be 2^12..2^32 bytes, got 2^" + log2size);
        }
        if ((base & ((1L << log2size) - 1)) != 0) {
            throw new IllegalArgumentException("flexpage base 0x" + Long.toHexString(base) + " is not aligned to its size 2^"
                    + log2size);
        }
        return base | (long) log2size << 4 | (rights & 7);
    }

    /** The item type: {@link #STRING} for every word with bit 3 clear (hh are cache hints), else the type bits. */
    public static int type(long word0) {
        return (word0 & 0b1000) == 0 ? STRING : (int) (word0 & TYPE_MASK);
    }

    public static int stringLength(long word0) {
        return (int) (word0 >>> 10) & MAX_STRING;
    }

    /** The substrings of a string item (j + 1). */
    public static int substrings(long word0) {
        return (int) ((word0 >>> 4) & 0x1F) + 1;
    }

    /** Whether a string item's string goes on in the next item (c). */
    public static boolean compound(long word0) {
        return (word0 & COMPOUND) != 0;
    }

    /** Whether another receive buffer follows the one this item starts (C). */
    public static boolean moreBuffers(long word0) {
        return (word0 & MORE_BUFFERS) != 0;
    }

    public static int fpageLog2Size(long fpage) {
        return (int) (fpage >>> 4) & 0x3F;
    }

    public static long fpageBase(long fpage) {
        return fpage & ~0xFFFL;
    }

    /**
     * The receive window that acceptor {@code br0} names, without its string-accept bit: the
     * complete address space ({@link #COMPLETE_ADDRESS_SPACE}, any rights bits) as the 2^32-byte
     * flexpage at 0, any other flexpage as it is (checked by {@link #validFpage}).
     */
    public static long receiveWindow(long br0) {
        long window = br0 & ~ACCEPT_STRINGS;
        return (window & ~7L) == COMPLETE_ADDRESS_SPACE ? fpage(0, 32, (int) (window & 7)) : window;
    }

    /** Whether {@code fpage} is well-formed: size 2^12..2^32, base aligned. */
    public static boolean validFpage(long fpage) {
        int s = fpageLog2Size(fpage);
        return s >= 12 && s <= 32 && (fpageBase(fpage) & ((1L << s) - 1)) == 0;
    }
}
