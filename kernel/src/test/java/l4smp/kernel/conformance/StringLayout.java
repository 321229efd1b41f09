package l4smp.kernel.conformance;

import l4smp.kernel.api.L4;

import java.util.ArrayList;
import java.util.List;

/**
 * String items and string buffers as a test writes them, in the word layout of the L4 X.2
 * StringItem (Pistachio {@code user/include/l4/message.h}, {@code L4_StringItem_t}):
 * <pre>
 *   word 0:  length (bits 10..31) | c (bit 9) | j (bits 4..8) | 0hh0 type (bits 1..3) | C (bit 0)
 *   words 1..j+1: the substring addresses, each substring {@code length} bytes
 * </pre>
 * c: the string goes on in the next string item (compound string); j + 1 substrings; C in the
 * first item of a receive buffer: another buffer follows ({@code L4_MsgBufferAppendRcvString}).
 * The encoding is written here from the layout, independently of the kernel's own helpers.
 *
 * <p>A string is a list of parts (compound: more than one); a part is one substring length and
 * its addresses.
 */
final class StringLayout {

    /** One item of a (compound) string: {@code length} bytes at each of {@code addresses}. */
    record Part(int length, long... addresses) {
        int bytes() {
            return length * addresses.length;
        }
    }

    /** A string (send) or a buffer (receive): one or more parts. */
    record Str(List<Part> parts) {
        static Str of(Part... parts) {
            return new Str(List.of(parts));
        }

        int bytes() {
            return parts.stream().mapToInt(Part::bytes).sum();
        }

        int words() {
            return parts.stream().mapToInt(p -> 1 + p.addresses().length).sum();
        }

        /** The byte addresses of this string in order. */
        long[] addresses() {
            long[] a = new long[bytes()];
            int n = 0;
            for (Part p : parts) {
                for (long base : p.addresses()) {
                    for (int i = 0; i < p.length(); i++) {
                        a[n++] = base + i;
                    }
                }
            }
            return a;
        }
    }

    static Part part(int length, long... addresses) {
        return new Part(length, addresses);
    }

    /** The first word of a string item. */
    static long header(int length, int substrings, boolean compound, boolean more) {
        return (long) length << 10 | (compound ? 1L << 9 : 0) | (long) (substrings - 1) << 4 | (more ? 1 : 0);
    }

    /** The words of {@code strings} in order ({@code buffers}: the C bit of every buffer but the last). */
    static long[] words(List<Str> strings, boolean buffers) {
        List<Long> w = new ArrayList<>();
        for (int s = 0; s < strings.size(); s++) {
            List<Part> parts = strings.get(s).parts();
            for (int p = 0; p < parts.size(); p++) {
                Part part = parts.get(p);
                boolean more = buffers && p == 0 && s < strings.size() - 1;
                w.add(header(part.length(), part.addresses().length, p < parts.size() - 1, more));
                for (long a : part.addresses()) {
                    w.add(a);
                }
            }
        }
        return w.stream().mapToLong(Long::longValue).toArray();
    }

    /** Loads {@code strings} into MR{first}... and returns the number of typed words. */
    static int loadMessage(int first, List<Str> strings) {
        long[] w = words(strings, false);
        for (int i = 0; i < w.length; i++) {
            L4.setMr(first + i, w[i]);
        }
        return w.length;
    }

    /** BR0 = {@code acceptor}, then the buffers from BR1. */
    static void loadBuffers(long acceptor, List<Str> buffers) {
        L4.setBr(0, acceptor);
        long[] w = words(buffers, true);
        for (int i = 0; i < w.length; i++) {
            L4.setBr(1 + i, w[i]);
        }
    }

    /**
     * What X.2 delivers (an oracle written from the manual's rules, not from the kernel's walk):
     * send string k fills receive buffer k, byte after byte through the buffer's substrings; a
     * string without a buffer, or longer than its buffer, is a message overflow after what fit
     * was copied. Writes the delivered bytes into {@code memory} (indexed from {@code base})
     * and returns the bytes delivered, negated minus one on overflow.
     */
    static long deliver(List<Str> strings, List<Str> buffers, boolean acceptStrings, byte[] source, long sourceBase,
                        byte[] memory, long base) {
        long total = 0;
        for (int k = 0; k < strings.size(); k++) {
            long[] from = strings.get(k).addresses();
            if (!acceptStrings || k >= buffers.size()) {
                return -total - 1;
            }
            long[] to = buffers.get(k).addresses();
            int n = Math.min(from.length, to.length);
            for (int i = 0; i < n; i++) {
                memory[(int) (to[i] - base)] = source[(int) (from[i] - sourceBase)];
            }
            total += n;
            if (from.length > to.length) {
                return -total - 1;
            }
        }
        return total;
    }

    private StringLayout() {
    }
}
