package l4smp.kernel.ipc;

/**
 * The typed message items of L4 X.2 and the receiver's buffer registers, as 64-bit words.
 *
 * <p>A typed item takes two message registers after the untyped words:
 * <pre>
 *   string item:  word 0 = length << 10 | 0b0000   word 1 = address of the string
 *   map item:     word 0 = send base   | 0b1000   word 1 = flexpage
 *   grant item:   word 0 = send base   | 0b1010   word 1 = flexpage
 * </pre>
 * A flexpage is {@code base | log2(size) << 4 | rights} (X.2: rights rwx in bits 0..2, the size
 * exponent in bits 4..9, base aligned to the size, sizes from 4 KB). The receiver's buffer
 * register BR0 (the acceptor) holds a receive window flexpage for map and grant items, and bit
 * 0 {@code s}: strings accepted into the string buffers BR1/BR2, BR3/BR4, ... (each a string item
 * naming a buffer).
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

    public static int type(long word0) {
        return (int) (word0 & TYPE_MASK);
    }

    public static int stringLength(long word0) {
        return (int) (word0 >>> 10) & MAX_STRING;
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
