package l4smp.kernel.ipc;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The string-item walk on its own, against memory of its own: random messages of string items
 * (substrings, compound parts) and map items, random receive buffers, and page faults at random
 * bytes after which the walk is resumed where it stopped (thesis 8.4.2). Expected values from
 * X.2's rules as the conformance tests' oracle states them (send string k into buffer k, what fits
 * copied, message overflow with the bytes transferred as the offset; Pistachio ipcx.cc): every
 * delivered byte is written exactly once however often the walk is interrupted, every map item
 * before the point of failure is carried out exactly once, and the receiver's typed words are the
 * sender's.
 */
class StringTransferTest {

    static final int SRC = 0x1000;
    static final int DST = 0x9000;
    static final int SIZE = 0x4000;

    /** Memory, faults at random bytes, write counts. */
    static final class Fake implements StringTransfer.Segments {
        final byte[] src = new byte[SIZE];
        final byte[] dst = new byte[SIZE];
        final int[] writes = new int[SIZE];
        final Random random;
        final double faultChance;
        int partial;
        int maps;
        long[] mapsSeen = new long[64];

        Fake(Random random, double faultChance) {
            this.random = random;
            this.faultChance = faultChance;
            random.nextBytes(src);
        }

        @Override
        public Transfer copy(long source, long target, int length, int from) {
            partial = from;
            for (int i = from; i < length; i++) {
                if (random.nextDouble() < faultChance) {
                    return Transfer.FAULTED; // the byte at i is not mapped yet
                }
                dst[(int) (target + i - DST)] = src[(int) (source + i - SRC)];
                writes[(int) (target + i - DST)]++;
                partial = i + 1;
            }
            return Transfer.DONE;
        }

        @Override
        public Transfer mapItem(long w0, long w1) {
            mapsSeen[maps++] = w1;
            return Transfer.DONE;
        }
    }

    record Piece(int length, int[] addresses) { }

    /** Items of one string or buffer: parts of 1..3 substrings, at increasing addresses from {@code cursor}. */
    static List<Piece> randomString(Random r, int base, int[] cursor) {
        List<Piece> parts = new ArrayList<>();
        int n = 1 + r.nextInt(3);
        for (int p = 0; p < n; p++) {
            int len = r.nextInt(6) == 0 ? 0 : r.nextInt(300);
            int subs = 1 + r.nextInt(3);
            int[] a = new int[subs];
            for (int s = 0; s < subs; s++) {
                cursor[0] += r.nextInt(4);
                a[s] = base + cursor[0];
                cursor[0] += len;
            }
            parts.add(new Piece(len, a));
        }
        return parts;
    }

    static int words(List<Piece> s) {
        return s.stream().mapToInt(p -> 1 + p.addresses().length).sum();
    }

    static void put(long[] regs, int at, List<Piece> s, boolean more) {
        for (int p = 0; p < s.size(); p++) {
            Piece piece = s.get(p);
            regs[at++] = TypedItems.stringItem(piece.length(), piece.addresses().length, p < s.size() - 1, more && p == 0);
            for (int a : piece.addresses()) {
                regs[at++] = a;
            }
        }
    }

    static int[] bytes(List<Piece> s) {
        return s.stream().flatMapToInt(p -> java.util.Arrays.stream(p.addresses())
                .flatMap(a -> java.util.stream.IntStream.range(a, a + p.length()))).toArray();
    }

    @Test
    void interruptedWalksDeliverEveryByteOnceAndReportTheOffset() {
        Random r = new Random(42);
        int overflows = 0;
        int faults = 0;
        for (int round = 0; round < 600; round++) {
            // A message: u untyped words, then strings with map items between them.
            int u = r.nextInt(3);
            long[] mr = new long[64];
            int at = u + 1;
            int[] sc = {0};
            List<List<Piece>> strings = new ArrayList<>();
            List<Long> maps = new ArrayList<>();
            List<Integer> mapAfter = new ArrayList<>(); // how many strings precede each map item
            int n = 1 + r.nextInt(4);
            for (int k = 0; k < n; k++) {
                if (r.nextInt(4) == 0 && at + 2 <= 63) {
                    long fp = TypedItems.fpage(0x10_0000L * (1 + maps.size()), 12, 7);
                    mr[at++] = TypedItems.mapItem(0);
                    mr[at++] = fp;
                    maps.add(fp);
                    mapAfter.add(strings.size());
                }
                List<Piece> s = randomString(r, SRC, sc);
                if (at + words(s) > 63 || sc[0] > SIZE) {
                    break;
                }
                put(mr, at, s, false);
                at += words(s);
                strings.add(s);
            }
            int t = at - u - 1;
            long[] br = new long[TypedItems.BUFFER_REGISTERS];
            int[] bc = {0};
            List<List<Piece>> buffers = new ArrayList<>();
            int m = r.nextInt(5);
            int b = 1;
            for (int k = 0; k < m; k++) {
                List<Piece> s = randomString(r, DST, bc);
                if (b + words(s) > TypedItems.BUFFER_REGISTERS - 1 || bc[0] > SIZE) {
                    break;
                }
                buffers.add(s);
                b += words(s);
            }
            b = 1;
            for (int k = 0; k < buffers.size(); k++) {
                put(br, b, buffers.get(k), k < buffers.size() - 1);
                b += words(buffers.get(k));
            }
            br[0] = buffers.isEmpty() ? 0 : TypedItems.ACCEPT_STRINGS;

            // The oracle.
            byte[] expect = new byte[SIZE];
            Fake fake = new Fake(r, r.nextBoolean() ? 0.01 : 0);
            long total = 0;
            boolean overflow = false;
            int stringsDone = 0;
            for (int k = 0; k < strings.size() && !overflow; k++) {
                int[] from = bytes(strings.get(k));
                if (br[0] == 0 || k >= buffers.size()) {
                    overflow = true;
                    break;
                }
                int[] to = bytes(buffers.get(k));
                int c = Math.min(from.length, to.length);
                for (int i = 0; i < c; i++) {
                    expect[to[i] - DST] = fake.src[from[i] - SRC];
                }
                total += c;
                overflow = from.length > to.length;
                stringsDone = overflow ? k : k + 1;
            }
            int mapsExpected = 0;
            for (int x = 0; x < maps.size(); x++) {
                if (mapAfter.get(x) <= stringsDone) {
                    mapsExpected++;
                }
            }

            // The walk, resumed after every fault.
            StringTransfer walk = new StringTransfer();
            long[] out = new long[64];
            int resumeItem = 0;
            long resumeBytes = 0;
            Transfer result;
            int interruptions = 0;
            while (true) {
                result = walk.walk(mr, u, t, br, out, fake, resumeItem, resumeBytes);
                if (!result.faulted()) {
                    break;
                }
                interruptions++;
                long reached = walk.segmentBase() + fake.partial;
                assertTrue(reached >= resumeBytes, "a resumed walk never goes back");
                resumeItem = walk.item();
                resumeBytes = reached;
            }
            faults += interruptions;
            String where = "round " + round;
            assertEquals(overflow, !result.done(), where);
            if (overflow) {
                overflows++;
                assertEquals(IpcError.MESSAGE_OVERFLOW, result.senderCode(), where);
            }
            assertEquals(total, walk.bytes(), where + ": bytes transferred");
            assertArrayEquals(expect, fake.dst, where + ": delivered bytes");
            for (int i = 0; i < SIZE; i++) {
                assertTrue(fake.writes[i] <= 1, where + ": byte " + i + " written " + fake.writes[i] + " times");
            }
            assertEquals(mapsExpected, fake.maps, where + ": map items carried out once each");
            if (!overflow) {
                for (int i = u + 1; i <= u + t; i++) {
                    assertEquals(mr[i], out[i], where + ": typed word " + i);
                }
            }
        }
        assertTrue(overflows > 50 && overflows < 550, "both outcomes occur: " + overflows + " overflows");
        assertTrue(faults > 100, "the walk was interrupted: " + faults);
    }
}
