package l4smp.kernel.conformance;

import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.ipc.Timeout;
import l4smp.kernel.thread.ThreadId;
import org.junit.jupiter.api.Timeout.ThreadMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static l4smp.kernel.conformance.StringLayout.Str;
import static l4smp.kernel.conformance.StringLayout.part;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cases of l4test's {@code ipc-string.cc} (string copy IPC without page faults), written
 * anew for the {@code L4} facade, in every {@link Variant}; and a seeded property test of the
 * string-item engine over random layouts of strings and buffers.
 *
 * <p>Expected values: the layouts and the cut points are l4test's; the rules are X.2's
 * StringItem and buffer registers as Pistachio implements them ({@code extended_transfer} in
 * {@code kernel/src/api/v4/ipcx.cc}): send string k goes into receive buffer k, through the
 * substrings (j) and compound parts (c) of both, a new string starts a new buffer, the C bit of
 * a buffer says whether another follows; a string with no buffer or longer than its buffer is
 * a message overflow (code 4) for both sides, after what fit was copied, with the bytes
 * transferred in the ErrorCode's offset ({@code ERR_IPC_MSG_OVERFLOW(total_len)}:
 * {@code offset << 4 | 4 << 1 | phase}). On such an error both sides get the sender's tag with
 * E set, and the receiver's {@code from} is the sender (Pistachio {@code transfer_message}:
 * {@code dst->set_tag(tag)} with the error bit, {@code current->set_tag(to_tcb->get_tag())};
 * the receiver's partner was set to the sender before the transfer).
 */
@org.junit.jupiter.api.Timeout(value = 120, threadMode = ThreadMode.SAME_THREAD)
class IpcStringConformanceTest {

    /** t1_buf of l4test: the receiver's 256 bytes. */
    static final long RCV = 0x40_000;
    /** t2_buf of l4test: the sender's 256 bytes, byte i = i. */
    static final long SND = 0x50_000;
    static final int LABEL = 0x5A;

    /** One l4test case: the receive buffers (null: strings not accepted), the send strings, the cut point, an error. */
    record Case(String name, List<Str> buffers, List<Str> strings, int cut, boolean overflow) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Case> l4testCases() {
        Str rcvComplex = Str.of(part(16, RCV, RCV + 16, RCV + 32), part(32, RCV + 48, RCV + 80, RCV + 112, RCV + 144),
                part(16, RCV + 176), part(64, RCV + 192));
        return List.of(
                new Case("simple string transfer", List.of(Str.of(part(256, RCV))), List.of(Str.of(part(256, SND))), 256, false),
                new Case("simple substring transfer", List.of(Str.of(part(64, RCV, RCV + 64, RCV + 128, RCV + 192))),
                        List.of(Str.of(part(64, SND, SND + 64, SND + 128, SND + 192))), 256, false),
                new Case("compound substring transfer",
                        List.of(Str.of(part(32, RCV, RCV + 32, RCV + 64, RCV + 96), part(64, RCV + 128, RCV + 192))),
                        List.of(Str.of(part(32, SND, SND + 32, SND + 64, SND + 96), part(64, SND + 128, SND + 192))), 256, false),
                new Case("multiple complex strings transfer",
                        List.of(Str.of(part(32, RCV, RCV + 32, RCV + 64, RCV + 96)),
                                Str.of(part(32, RCV + 128, RCV + 160), part(64, RCV + 192))),
                        List.of(Str.of(part(32, SND, SND + 32, SND + 64, SND + 96)),
                                Str.of(part(32, SND + 128, SND + 160), part(64, SND + 192))), 256, false),
                new Case("scatter",
                        List.of(Str.of(part(32, RCV, RCV + 32, RCV + 64, RCV + 96), part(32, RCV + 128, RCV + 160),
                                part(64, RCV + 192))),
                        List.of(Str.of(part(256, SND))), 256, false),
                new Case("gather", List.of(Str.of(part(256, RCV))),
                        List.of(Str.of(part(32, SND, SND + 32, SND + 64, SND + 96), part(32, SND + 128, SND + 160),
                                part(64, SND + 192))), 256, false),
                new Case("complex scatter/gather", List.of(rcvComplex),
                        List.of(Str.of(part(32, SND, SND + 32, SND + 64), part(64, SND + 96, SND + 160),
                                part(16, SND + 224, SND + 240))), 256, false),
                new Case("too long receive buffer", List.of(rcvComplex), List.of(Str.of(part(252, SND))), 252, false),
                new Case("no receive buffer", null, List.of(Str.of(part(256, SND))), 0, true),
                new Case("missing receive buffer", List.of(Str.of(part(256, RCV))),
                        List.of(Str.of(part(128, SND)), Str.of(part(128, SND + 128))), 128, true),
                new Case("too short receive buffer", List.of(Str.of(part(252, RCV))), List.of(Str.of(part(256, SND))), 252, true),
                new Case("complex cut message",
                        List.of(Str.of(part(16, RCV, RCV + 16, RCV + 32, RCV + 48), part(32, RCV + 64)),
                                Str.of(part(32, RCV + 96, RCV + 128, RCV + 160), part(60, RCV + 192))),
                        List.of(Str.of(part(32, SND, SND + 32, SND + 64)),
                                Str.of(part(64, SND + 96, SND + 160), part(16, SND + 224, SND + 240))), 252, true));
    }

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (Variant v : Variant.all()) {
            for (Case c : l4testCases()) {
                all.add(Arguments.of(v, c));
            }
        }
        return all.stream();
    }

    static int errorWord(int offset, int code, int phase) {
        return offset << 4 | code << 1 | phase;
    }

    /**
     * One case of l4test's {@code string_ipc}: the receiver's buffer holds the sender's bytes up
     * to the cut point and 0xff after it (l4test {@code check_strbufs}); without an error both
     * sides succeed; with one, both get message overflow (4) with the cut point as the offset,
     * the sender's tag with E, and the receiver the sender as {@code from}; the receiver's
     * first typed word is a string item (l4test {@code rcv_string_checks}: Pistachio copies the
     * item words before it checks the buffers).
     */
    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    void l4testStringCase(Variant v, Case c) {
        ConformanceRig rig = new ConformanceRig(v);
        ThreadId[] ids = new ThreadId[2];
        int typed = StringLayout.words(c.strings(), false).length;
        int sendTag = MsgTag.make(LABEL, 0, typed);
        ids[0] = rig.spawn("receiver", 0, () -> {
            byte[] fill = new byte[256];
            java.util.Arrays.fill(fill, (byte) 0xff);
            L4.writeBytes(RCV, fill);
            if (c.buffers() == null) {
                L4.setBr(0, 0); // L4_UntypedWordsAcceptor
            } else {
                StringLayout.loadBuffers(1, c.buffers());
            }
            int tag = MsgTag.withoutCrossedBits(L4.receive(ids[1]));
            byte[] got = L4.readBytes(RCV, 256);
            int firstWrong = -1;
            for (int i = 0; i < 256 && firstWrong < 0; i++) {
                int expect = i < c.cut() ? i : 0xff;
                if ((got[i] & 0xff) != expect) {
                    firstWrong = i;
                }
            }
            rig.note("receiver tag 0x" + Integer.toHexString(tag) + " error 0x" + Integer.toHexString(L4.errorCode())
                    + " from sender " + L4.from().equals(ids[1]) + " mr1 string item " + ((L4.mr(1) & 0b1000) == 0)
                    + " first wrong byte " + firstWrong);
            L4.send(ids[1], 0);
        });
        ids[1] = rig.spawn("sender", 1, () -> {
            byte[] data = new byte[256];
            for (int i = 0; i < 256; i++) {
                data[i] = (byte) i;
            }
            L4.writeBytes(SND, data);
            StringLayout.loadMessage(1, c.strings());
            int tag = MsgTag.withoutCrossedBits(L4.send(ids[0], sendTag));
            rig.note("sender tag 0x" + Integer.toHexString(tag) + " error 0x" + Integer.toHexString(L4.errorCode()));
            L4.receive(ids[0]);
        });
        rig.runClean();
        int errorTag = sendTag | MsgTag.ERROR_FLAG;
        List<String> expected = c.overflow()
                ? List.of("receiver tag 0x" + Integer.toHexString(errorTag) + " error 0x"
                                + Integer.toHexString(errorWord(c.cut(), 4, 1)) + " from sender true mr1 string item true first wrong byte -1",
                        "sender tag 0x" + Integer.toHexString(errorTag) + " error 0x" + Integer.toHexString(errorWord(c.cut(), 4, 0)))
                : List.of("receiver tag 0x" + Integer.toHexString(sendTag) + " error 0x0 from sender true mr1 string item true first wrong byte -1",
                        "sender tag 0x0 error 0x0");
        assertEquals(expected, rig.log.stream().sorted().toList(), v + ", " + c.name());
    }

    // ---- the property test ---------------------------------------------------------------------

    /** The receiver's region (buffers with random gaps) and the sender's. */
    static final long PROP_RCV = 0x80_000;
    static final long PROP_SND = 0x90_000;
    static final int REGION = 4096;

    /** One random layout: the strings, the buffers, whether strings are accepted at all. */
    record Layout(List<Str> strings, List<Str> buffers, boolean accept) { }

    /** A random string or buffer of 1..3 parts of 1..3 substrings, 0..{@code maxLength} bytes each, at increasing addresses. */
    static Str randomStr(Random r, long base, long[] cursor, int maxLength) {
        int parts = 1 + r.nextInt(3);
        List<StringLayout.Part> ps = new ArrayList<>();
        for (int p = 0; p < parts; p++) {
            int len = r.nextInt(8) == 0 ? 0 : r.nextInt(maxLength + 1);
            int subs = 1 + r.nextInt(3);
            long[] a = new long[subs];
            for (int s = 0; s < subs; s++) {
                cursor[0] += r.nextInt(3) * 7; // a gap that must stay untouched
                a[s] = base + cursor[0];
                cursor[0] += len;
            }
            ps.add(new StringLayout.Part(len, a));
        }
        return new Str(ps);
    }

    static Layout randomLayout(Random r, long send, long receive, int region, int maxLength) {
        while (true) {
            long[] sc = {0};
            long[] bc = {0};
            List<Str> strings = new ArrayList<>();
            int n = 1 + r.nextInt(4);
            for (int i = 0; i < n; i++) {
                strings.add(randomStr(r, send, sc, maxLength));
            }
            List<Str> buffers = new ArrayList<>();
            int m = r.nextInt(5);
            for (int i = 0; i < m; i++) {
                buffers.add(randomStr(r, receive, bc, maxLength));
            }
            int sw = strings.stream().mapToInt(Str::words).sum();
            int bw = buffers.stream().mapToInt(Str::words).sum();
            if (sw <= 60 && bw <= 33 && sc[0] <= region && bc[0] <= region) {
                return new Layout(strings, buffers, m > 0 && r.nextInt(6) != 0);
            }
        }
    }

    static List<Layout> layouts(long seed, int count, long send, long receive, int region, int maxLength) {
        Random r = new Random(seed);
        List<Layout> all = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            all.add(randomLayout(r, send, receive, region, maxLength));
        }
        return all;
    }

    static List<Variant> variants() {
        return Variant.all();
    }

    /**
     * Random layouts of strings (1..4, each of 1..3 compound parts of 1..3 substrings) and of
     * receive buffers (0..4, likewise) with gaps between their pieces: the receiver's region
     * afterwards is what {@link StringLayout#deliver} says (the bytes delivered are those of the
     * send strings that fit their buffers, in order; nothing outside a buffer is written), and
     * the error is none, or message overflow for both sides with the bytes delivered as the
     * offset (X.2 ErrorCode, Pistachio {@code ERR_IPC_MSG_OVERFLOW(total_len)}). 150 layouts a
     * variant, seeded by the variant.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void randomLayoutsDeliverWhatFitsAndReportTheOffset(Variant v) {
        List<Layout> cases = layouts(1000 + v.seed() * 31 + v.placement().ordinal(), 150, PROP_SND, PROP_RCV, REGION, 96);
        ConformanceRig rig = new ConformanceRig(v);
        ThreadId[] ids = new ThreadId[2];
        byte[] source = new byte[REGION];
        new Random(7).nextBytes(source);
        ids[0] = rig.spawn("receiver", 0, () -> {
            byte[] fill = new byte[REGION];
            for (int k = 0; k < cases.size(); k++) {
                Layout c = cases.get(k);
                java.util.Arrays.fill(fill, (byte) 0xC3);
                L4.writeBytes(PROP_RCV, fill);
                StringLayout.loadBuffers(c.accept() ? 1 : 0, c.buffers());
                int tag = L4.receive(ids[1]);
                checkReceived(rig, k, c, tag, L4.errorCode(), source, PROP_SND, fill, PROP_RCV);
                L4.send(ids[1], 0);
            }
        });
        ids[1] = rig.spawn("sender", 1, () -> {
            L4.writeBytes(PROP_SND, source);
            for (int k = 0; k < cases.size(); k++) {
                Layout c = cases.get(k);
                int typed = StringLayout.loadMessage(1, c.strings());
                L4.send(ids[0], MsgTag.make(1, 0, typed));
                int error = L4.errorCode();
                long delivered = StringLayout.deliver(c.strings(), c.buffers(), c.accept(), source, PROP_SND,
                        new byte[REGION], PROP_RCV);
                int expectError = delivered < 0 ? errorWord((int) (-delivered - 1), 4, 0) : 0;
                if (error != expectError) {
                    rig.note("layout " + k + ": sender error 0x" + Integer.toHexString(error) + ", expected 0x"
                            + Integer.toHexString(expectError));
                }
                L4.receive(ids[0], Timeout.NEVER);
            }
        });
        rig.runClean();
        assertEquals(List.of(), rig.log, v.toString());
    }

    /** The regions of the property test between address spaces: three pages each. */
    static final int SPACE_REGION = 3 * 4096;

    /**
     * The property test between two address spaces, with page faults in the middle of the walk:
     * before every message the sender flushes its whole send region and the receiver its whole
     * receive region (their pagers keep the frames, so the bytes stay), so the copy faults on
     * either side, inside substrings and compound parts, and resumes where it stopped (thesis
     * 8.4.2; Pistachio resumes the copy after the tunnelled fault). The delivered bytes and the
     * error words are those of {@link StringLayout#deliver}, as in the flat space. 40 layouts a
     * variant, pieces up to 1,500 bytes.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void randomLayoutsBetweenSpacesWithFaultsDeliverWhatFits(Variant v) {
        long snd = 0x0300_0000L;
        long rcv = 0x0400_0000L;
        List<Layout> cases = layouts(2000 + v.seed() * 31 + v.placement().ordinal(), 40, snd, rcv, SPACE_REGION, 1500);
        ConformanceRig rig = ConformanceRig.accounted(v);
        var spaces = rig.kernel.spaces();
        ThreadId sigma0 = spaces.startSigma0(0);
        ThreadId[] ids = new ThreadId[2];
        byte[] source = new byte[SPACE_REGION];
        new Random(11).nextBytes(source);
        ThreadId recvPager = spaces.createThread(l4smp.kernel.ThreadSpec.daemon("receiver pager", v.cpuOf(0),
                new l4smp.kernel.user.AnonymousPager(sigma0)), spaces.createSpace("receiver pager"), sigma0);
        ThreadId sendPager = spaces.createThread(l4smp.kernel.ThreadSpec.daemon("sender pager", v.cpuOf(1),
                new l4smp.kernel.user.AnonymousPager(sigma0)), spaces.createSpace("sender pager"), sigma0);
        long flushReceive = l4smp.kernel.ipc.TypedItems.fpage(rcv, 14, 7); // 16 KB around the region
        long flushSend = l4smp.kernel.ipc.TypedItems.fpage(snd, 14, 7);
        ids[0] = spaces.createThread(l4smp.kernel.ThreadSpec.of("receiver", v.cpuOf(0), () -> {
            byte[] fill = new byte[SPACE_REGION];
            for (int k = 0; k < cases.size(); k++) {
                Layout c = cases.get(k);
                java.util.Arrays.fill(fill, (byte) 0xC3);
                L4.writeBytes(rcv, fill);
                L4.unmap(flushReceive, true);
                StringLayout.loadBuffers(c.accept() ? 1 : 0, c.buffers());
                int tag = L4.receive(ids[1]);
                checkReceived(rig, k, c, tag, L4.errorCode(), source, snd, fill, rcv);
                L4.send(ids[1], 0);
            }
        }), spaces.createSpace("receiver"), recvPager);
        ids[1] = spaces.createThread(l4smp.kernel.ThreadSpec.of("sender", v.cpuOf(1), () -> {
            L4.writeBytes(snd, source);
            for (int k = 0; k < cases.size(); k++) {
                Layout c = cases.get(k);
                L4.unmap(flushSend, true);
                int typed = StringLayout.loadMessage(1, c.strings());
                L4.send(ids[0], MsgTag.make(1, 0, typed));
                int error = L4.errorCode();
                long delivered = StringLayout.deliver(c.strings(), c.buffers(), c.accept(), source, snd,
                        new byte[SPACE_REGION], rcv);
                int expectError = delivered < 0 ? errorWord((int) (-delivered - 1), 4, 0) : 0;
                if (error != expectError) {
                    rig.note("layout " + k + ": sender error 0x" + Integer.toHexString(error) + ", expected 0x"
                            + Integer.toHexString(expectError));
                }
                L4.receive(ids[0]);
            }
        }), spaces.createSpace("sender"), sendPager);
        rig.runClean();
        assertEquals(List.of(), rig.log, v.toString());
        assertTrue(rig.machine.counterTotal(l4smp.kernel.space.Spaces.C_XFER_FAULTS) > 0, "the copies faulted");
    }

    // ---- pieces at the end of user memory -------------------------------------------------------

    /**
     * A string piece that runs past the end of user memory (the flat space's: the kernel's
     * region begins there) on either side is clipped as Pistachio clips it: {@code ipc_copy}
     * limits the copy to {@code space_t::get_copy_limit} ("Do not go beyond user-area
     * boundary": {@code USER_AREA_END - addr}), copies what lies inside, and
     * {@code extended_transfer} then reports message overflow for both sides with the bytes
     * copied, the clipped part included ({@code ERR_IPC_MSG_OVERFLOW(total_len)}, offset
     * {@code << 4}). Cases: the sender's 256-byte string with 100 bytes inside; the receiver's
     * buffer with 60 bytes inside; a first string of 32 bytes and a second that starts outside
     * (offset 32). Log: the receiver's error word, the sender's, and the bytes that arrived
     * intact where the receiver's memory lies inside.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void aPiecePastTheEndOfUserMemoryIsClippedThere(Variant v) {
        for (boolean inSpaces : new boolean[] {false, true}) {
            clipCases(v, inSpaces);
        }
    }

    /** The cases of {@link #aPiecePastTheEndOfUserMemoryIsClippedThere} in the flat space or between two spaces. */
    static void clipCases(Variant v, boolean inSpaces) {
        record Clip(String name, long sendAt, long recvAt, boolean second, int expected) {
        }
        for (int k = 0; k < 3; k++) {
            ConformanceRig rig = new ConformanceRig(v);
            var spaces = rig.kernel.spaces();
            long end = inSpaces ? l4smp.kernel.space.AddressSpace.USER_LIMIT : rig.machine.kernelRegion().base();
            Clip c = List.of(new Clip("source past the end", end - 100, RCV, false, 100),
                    new Clip("buffer past the end", SND, end - 60, false, 60),
                    new Clip("second string starts outside", SND, RCV, true, 32)).get(k);
            byte[] data = new byte[256];
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) (i * 5 + 1);
            }
            int strings = c.second() ? 2 : 1;
            int len = c.second() ? 32 : 256;
            ThreadId[] ids = new ThreadId[2];
            l4smp.kernel.UserProgram receiver = () -> {
                int room = (int) Math.min(256, end - c.recvAt());
                L4.writeBytes(c.recvAt(), new byte[room]);
                L4.setBr(0, l4smp.kernel.ipc.TypedItems.ACCEPT_STRINGS);
                L4.setBr(1, StringLayout.header(256, 1, false, c.second()));
                L4.setBr(2, c.recvAt());
                if (c.second()) {
                    L4.setBr(3, StringLayout.header(256, 1, false, false));
                    L4.setBr(4, RCV + 0x1000);
                }
                int tag = L4.receive(ids[1]);
                byte[] got = L4.readBytes(c.recvAt(), room);
                int intact = 0;
                while (intact < room && got[intact] == data[intact]) {
                    intact++;
                }
                rig.note("receiver error " + MsgTag.isError(tag) + " 0x" + hex(L4.errorCode()) + " intact " + intact);
            };
            l4smp.kernel.UserProgram sender = () -> {
                L4.writeBytes(c.sendAt(), java.util.Arrays.copyOf(data, (int) Math.min(256, end - c.sendAt())));
                L4.sleep(20_000);
                L4.setMr(1, 0x1234);
                L4.setMr(2, StringLayout.header(len, 1, false, false));
                L4.setMr(3, c.sendAt());
                if (c.second()) {
                    L4.setMr(4, StringLayout.header(len, 1, false, false));
                    L4.setMr(5, end + 0x1000);
                }
                int tag = L4.send(ids[0], MsgTag.make(LABEL, 1, 2 * strings));
                rig.note("sender error " + MsgTag.isError(tag) + " 0x" + hex(L4.errorCode()));
            };
            if (inSpaces) {
                ThreadId sigma0 = spaces.startSigma0(0);
                ThreadId[] pagers = new ThreadId[2];
                for (int p = 0; p < 2; p++) {
                    pagers[p] = spaces.createThread(l4smp.kernel.ThreadSpec.daemon("pager " + p, v.cpuOf(p),
                            new l4smp.kernel.user.AnonymousPager(sigma0)), spaces.createSpace("pager " + p), sigma0);
                }
                ids[0] = spaces.createThread(l4smp.kernel.ThreadSpec.of("receiver", v.cpuOf(0), receiver),
                        spaces.createSpace("receiver"), pagers[0]);
                ids[1] = spaces.createThread(l4smp.kernel.ThreadSpec.of("sender", v.cpuOf(1), sender),
                        spaces.createSpace("sender"), pagers[1]);
            } else {
                ids[0] = rig.spawn("receiver", 0, receiver);
                ids[1] = rig.spawn("sender", 1, sender);
            }
            rig.runClean();
            assertEquals(List.of("receiver error true 0x" + hex(errorWord(c.expected(), 4, 1)) + " intact "
                            + c.expected(), "sender error true 0x" + hex(errorWord(c.expected(), 4, 0))),
                    rig.log.stream().sorted().toList(), v + (inSpaces ? ", between spaces, " : ", flat, ") + c.name());
        }
    }

    // ---- long IPC between address spaces: page faults, transfer timeouts, aborts -----------------

    /** The sender's and the receiver's string buffers in their own address spaces (page aligned). */
    static final long SEND_BUF = 0x0100_0000L;
    static final long RECV_BUF = 0x0200_0000L;
    static final int PAGE = 4096;
    /** The string: two pages. */
    static final int LONG = 2 * PAGE;

    /**
     * A pager as AnonymousPager (fresh frames from sigma0), except that it never answers a fault
     * on the page at {@code blocked} (l4test's {@code ipc_pf_block_address}); {@code seen} is set
     * when that fault arrived.
     */
    static l4smp.kernel.UserProgram blockingPager(ThreadId sigma0, long blocked, java.util.concurrent.atomic.AtomicBoolean seen) {
        return () -> {
            java.util.HashMap<Long, Long> given = new java.util.HashMap<>();
            long next = l4smp.kernel.user.AnonymousPager.POOL;
            int tag = L4.waitAny();
            while (true) {
                ThreadId client = L4.from();
                long page = L4.mr(1) & ~0xFFFL;
                if (MsgTag.isError(tag) || (MsgTag.label(tag) & 0xFFF0) != l4smp.kernel.space.FaultState.PAGE_FAULT_LABEL) {
                    tag = L4.waitAny();
                    continue;
                }
                if (page == blocked) {
                    seen.set(true);
                    tag = L4.waitAny(); // never answered
                    continue;
                }
                Long mine = given.get(page);
                if (mine == null) {
                    long fp = L4.sigma0Request(sigma0, l4smp.kernel.user.Sigma0.ANY_PAGE, next);
                    if (fp == 0) {
                        throw new IllegalStateException("sigma0 refused a page");
                    }
                    mine = next;
                    next += PAGE;
                    given.put(page, mine);
                }
                L4.setMr(1, l4smp.kernel.ipc.TypedItems.mapItem(page));
                L4.setMr(2, l4smp.kernel.ipc.TypedItems.fpage(mine, 12, 7));
                tag = L4.replyWait(client, MsgTag.make(0, 0, 2));
            }
        };
    }

    /** How a long-IPC case's second page behaves. */
    enum Second {
        /** Mapped: no fault at all. */
        MAPPED,
        /** Flushed from the sender's space, its pager answers (a fault, resolved). */
        SENDER_FLUSHED,
        /** The sender's second page faults and its pager never answers. */
        SENDER_BLOCKED,
        /** The receiver's second page faults and its pager never answers. */
        RECEIVER_BLOCKED
    }

    /**
     * A two-page string from the sender (party 1, its own space) to the receiver (party 0, its
     * own space), both with transfer timeouts {@code xfer}; the second page as {@code second};
     * with {@code cancel}, a third thread (party 2) cancels the faulting side's IPC once its
     * pager holds the fault. Log: each side's result tag, error word, whether {@code from} is the
     * partner, and the receiver's bytes: how many arrived intact, and whether the rest is
     * untouched.
     */
    static List<String> longIpc(Variant v, long xfer, Second second, boolean cancel) {
        return longIpc(v, xfer, second, cancel, new int[1]);
    }

    /** {@link #longIpc} that also leaves the receiver's result tag, crossed bits and all, in {@code receiverTag[0]}. */
    static List<String> longIpc(Variant v, long xfer, Second second, boolean cancel, int[] receiverTag) {
        ConformanceRig rig = ConformanceRig.accounted(v);
        var spaces = rig.kernel.spaces();
        ThreadId sigma0 = spaces.startSigma0(0);
        java.util.concurrent.atomic.AtomicBoolean seen = new java.util.concurrent.atomic.AtomicBoolean();
        ThreadId[] ids = new ThreadId[2];
        long blockedSend = second == Second.SENDER_BLOCKED ? SEND_BUF + PAGE : -1;
        long blockedRecv = second == Second.RECEIVER_BLOCKED ? RECV_BUF + PAGE : -1;
        ThreadId recvPager = spaces.createThread(l4smp.kernel.ThreadSpec.daemon("receiver pager", v.cpuOf(0),
                blockingPager(sigma0, blockedRecv, seen)), spaces.createSpace("receiver pager"), sigma0);
        ThreadId sendPager = spaces.createThread(l4smp.kernel.ThreadSpec.daemon("sender pager", v.cpuOf(1),
                blockingPager(sigma0, blockedSend, seen)), spaces.createSpace("sender pager"), sigma0);
        int sendTag = MsgTag.make(LABEL, 1, 2);
        ids[0] = spaces.createThread(l4smp.kernel.ThreadSpec.of("receiver", v.cpuOf(0), () -> {
            byte[] fill = new byte[second == Second.RECEIVER_BLOCKED ? PAGE : LONG];
            java.util.Arrays.fill(fill, (byte) 0xEE);
            L4.writeBytes(RECV_BUF, fill); // maps the pages that are not to fault
            L4.setXferTimeouts(xfer, xfer);
            L4.setBr(0, l4smp.kernel.ipc.TypedItems.ACCEPT_STRINGS);
            L4.setBr(1, StringLayout.header(LONG, 1, false, false));
            L4.setBr(2, RECV_BUF);
            receiverTag[0] = L4.ipc(ids[1], ids[1], MsgTag.make(0, 0), Timeout.NEVER, Timeout.NEVER);
            int tag = MsgTag.withoutCrossedBits(receiverTag[0]);
            int error = L4.errorCode();
            boolean fromSender = L4.from().equals(ids[1]);
            byte[] got = L4.readBytes(RECV_BUF, fill.length);
            int intact = 0;
            while (intact < got.length && got[intact] == (byte) (intact * 7 + 3)) {
                intact++;
            }
            boolean restUntouched = true;
            for (int i = intact; i < got.length; i++) {
                restUntouched &= got[i] == (byte) 0xEE;
            }
            rig.note("receiver tag 0x" + Integer.toHexString(tag) + " error 0x" + Integer.toHexString(error)
                    + " from sender " + fromSender + " intact " + intact + " rest untouched " + restUntouched);
        }), spaces.createSpace("receiver"), recvPager);
        ids[1] = spaces.createThread(l4smp.kernel.ThreadSpec.of("sender", v.cpuOf(1), () -> {
            byte[] data = new byte[second == Second.SENDER_BLOCKED ? PAGE : LONG];
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) (i * 7 + 3);
            }
            L4.writeBytes(SEND_BUF, data);
            if (second == Second.SENDER_FLUSHED) {
                L4.unmap(l4smp.kernel.ipc.TypedItems.fpage(SEND_BUF + PAGE, 12, 7), true); // the pager keeps the frame
            }
            L4.setXferTimeouts(xfer, xfer);
            L4.receive(ids[0]); // the receiver is ready
            L4.setMr(1, 0x1234);
            L4.setMr(2, StringLayout.header(LONG, 1, false, false));
            L4.setMr(3, SEND_BUF);
            int tag = MsgTag.withoutCrossedBits(L4.send(ids[0], sendTag));
            rig.note("sender tag 0x" + Integer.toHexString(tag) + " error 0x" + Integer.toHexString(L4.errorCode())
                    + " from receiver " + L4.from().equals(ids[0]));
        }), spaces.createSpace("sender"), sendPager);
        if (cancel) {
            ThreadId victim = second == Second.RECEIVER_BLOCKED ? ids[0] : ids[1];
            rig.spawn("canceller", 2, () -> {
                while (!seen.get()) {
                    L4.sleep(2_000);
                }
                L4.exchangeRegisters(victim, l4smp.kernel.api.ExchangeRegisters.CANCEL_SEND
                        | l4smp.kernel.api.ExchangeRegisters.CANCEL_RECEIVE, 0, 0, 0, 0, ThreadId.NIL);
            });
        }
        rig.runClean();
        return rig.log.stream().sorted().toList();
    }

    static String hex(int v) {
        return Integer.toHexString(v);
    }

    /** The log of {@link #longIpc} for a transfer that failed with {@code code} for the sender and {@code receiverCode}. */
    static List<String> failedLongIpc(int offset, int senderCode, int receiverCode) {
        int errorTag = MsgTag.make(LABEL, 1, 2) | MsgTag.ERROR_FLAG;
        return List.of("receiver tag 0x" + hex(errorTag) + " error 0x" + hex(errorWord(offset, receiverCode, 1))
                        + " from sender true intact " + offset + " rest untouched true",
                "sender tag 0x" + hex(errorTag) + " error 0x" + hex(errorWord(offset, senderCode, 0)) + " from receiver true");
    }

    static final List<String> LONG_IPC_DONE = List.of(
            "receiver tag 0x" + hex(MsgTag.make(LABEL, 1, 2)) + " error 0x0 from sender true intact " + LONG
                    + " rest untouched true",
            "sender tag 0x0 error 0x0 from receiver false");

    /**
     * An 8 KB string between two spaces with both transfer timeouts zero and no page fault
     * arrives: the transfer timeout runs from the first page fault (Pistachio space.cc: the
     * page-fault handler calls handle_xfer_timeouts, the copy itself never does; X.2
     * XferTimeouts bound the time of page faults during a transfer).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void anEightKilobyteCopyWithZeroTransferTimeoutsAndNoFaultsSucceeds(Variant v) {
        assertEquals(LONG_IPC_DONE, longIpc(v, Timeout.ZERO, Second.MAPPED, false), v.toString());
    }

    /** A fault resolved by the pager within a transfer timeout: the string arrives. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void aResolvedFaultWithinTheTransferTimeoutLetsTheStringArrive(Variant v) {
        assertEquals(LONG_IPC_DONE, longIpc(v, 5_000_000, Second.SENDER_FLUSHED, false), v.toString());
    }

    /**
     * A zero transfer timeout ends the transfer at its first page fault (Pistachio
     * handle_xfer_timeouts: "If any xfer timeout is zero, we abort IPC immediately"), after the
     * first page was copied: offset 4096 (X.2 ErrorCode; Pistachio calculate_errorcodes: the
     * bytes copied up to the faulting address). The fault was in the sender's space: the sender
     * gets 5 ("in the invoker's address space"), the receiver 6; both the sender's tag with E,
     * the receiver the sender as {@code from} (X.2 ErrorCode; Pistachio transfer_message).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void aZeroTransferTimeoutFailsAtTheFirstFaultWithTheBytesCopied(Variant v) {
        assertEquals(failedLongIpc(PAGE, 5, 6), longIpc(v, Timeout.ZERO, Second.SENDER_FLUSHED, false), v.toString());
    }

    /**
     * The transfer timeout expires while the sender's pager holds the fault on the second page:
     * offset 4096; 5 for the sender (the fault is in its space), 6 for the receiver.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void theTransferTimeoutExpiresDuringTheSendersFault(Variant v) {
        assertEquals(failedLongIpc(PAGE, 5, 6), longIpc(v, 300_000, Second.SENDER_BLOCKED, false), v.toString());
    }

    /**
     * The transfer timeout expires while the receiver's pager holds the fault on its second
     * page: offset 4096; 5 for the receiver (its own space), 6 for the sender.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void theTransferTimeoutExpiresDuringTheReceiversFault(Variant v) {
        assertEquals(failedLongIpc(PAGE, 6, 5), longIpc(v, 300_000, Second.RECEIVER_BLOCKED, false), v.toString());
    }

    /**
     * Exchange-registers cancels the sender while its pager holds the fault of the long IPC:
     * the transfer is aborted for both (7) with the bytes copied before the fault as the offset
     * (Pistachio calculate_errorcodes: ERR_IPC_ABORTED(offset) for both sides).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void anAbortDuringTheSendersFaultReportsTheBytesCopied(Variant v) {
        assertEquals(failedLongIpc(PAGE, 7, 7), longIpc(v, Timeout.NEVER, Second.SENDER_BLOCKED, true), v.toString());
    }

    static List<Variant> allAbis() {
        return Variant.allAbis();
    }

    /**
     * A long IPC that fails once its transfer has begun, the fault of either side timed out or
     * canceled, still reports to the receiver that it crossed processors when it did: its result
     * tag is the sender's tag with E (Pistachio {@code transfer_message}) and the ABI's crossed
     * bits (thesis 7.2: bit 11 of the received tag; X.2 as l4smp offers it: the X flag), exactly
     * as a failed transfer that ends on the direct path (a message overflow) reports it; on one
     * processor no crossed bit. Cases: the transfer timeout during the sender's fault, during the
     * receiver's fault, exchange-registers canceling either side's fault, a zero transfer timeout.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("allAbis")
    void aFailedLongIpcReportsTheCrossingToTheReceiver(Variant v) {
        int errorTag = MsgTag.make(LABEL, 1, 2) | MsgTag.ERROR_FLAG;
        int expected = errorTag | (v.cross() ? v.abi().crossedBits(MsgTag.make(LABEL, 1, 2)) : 0);
        record Way(String name, long xfer, Second second, boolean cancel) {
        }
        for (Way w : List.of(new Way("timeout in the sender's fault", 300_000, Second.SENDER_BLOCKED, false),
                new Way("timeout in the receiver's fault", 300_000, Second.RECEIVER_BLOCKED, false),
                new Way("sender's fault canceled", Timeout.NEVER, Second.SENDER_BLOCKED, true),
                new Way("receiver's fault canceled", Timeout.NEVER, Second.RECEIVER_BLOCKED, true),
                new Way("zero transfer timeout", Timeout.ZERO, Second.SENDER_FLUSHED, false))) {
            int[] tag = new int[1];
            longIpc(v, w.xfer(), w.second(), w.cancel(), tag);
            assertEquals("0x" + hex(expected), "0x" + hex(tag[0]), v + ", " + w.name());
        }
    }

    // ---- MR0 after a failed IPC ---------------------------------------------------------------

    /**
     * A blocked sender whose send timeout expires, and one canceled by exchange-registers, get
     * their own tag back with E set (MR0 and the result), the error in the send phase
     * (l4test ipc.cc "Send timeout", "Send cancelled": codes 1 and 3, phase 0).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void aTimedOutOrCanceledBlockedSenderGetsItsOwnTagWithE(Variant v) {
        ConformanceRig rig = new ConformanceRig(v);
        ThreadId[] ids = new ThreadId[3];
        int tag = MsgTag.make(0x77, 3);
        ids[0] = rig.spawn("deaf", 0, () -> L4.receive(ids[0], 2_000_000)); // receives from nobody meanwhile
        ids[1] = rig.spawn("sender", 1, () -> {
            int r = MsgTag.withoutCrossedBits(L4.send(ids[0], tag, 20_000));
            rig.note("timed out: tag 0x" + hex(r) + " mr0 0x" + Long.toHexString(MsgTag.withoutCrossedBits((int) L4.mr(0)))
                    + " error 0x" + hex(L4.errorCode()));
            rig.note("hold");
            r = MsgTag.withoutCrossedBits(L4.send(ids[0], tag));
            rig.note("canceled: tag 0x" + hex(r) + " mr0 0x" + Long.toHexString(MsgTag.withoutCrossedBits((int) L4.mr(0)))
                    + " error 0x" + hex(L4.errorCode()));
        });
        ids[2] = rig.spawn("canceller", 2, () -> {
            while (!rig.log.contains("hold")) {
                L4.sleep(5_000);
            }
            L4.sleep(50_000); // the sender blocks in its second send by now
            L4.exchangeRegisters(ids[1], l4smp.kernel.api.ExchangeRegisters.CANCEL_SEND, 0, 0, 0, 0, ThreadId.NIL);
        });
        rig.runClean();
        int e = tag | MsgTag.ERROR_FLAG;
        assertEquals(List.of("timed out: tag 0x" + hex(e) + " mr0 0x" + hex(e) + " error 0x" + hex(errorWord(0, 1, 0)),
                "hold",
                "canceled: tag 0x" + hex(e) + " mr0 0x" + hex(e) + " error 0x" + hex(errorWord(0, 3, 0))), rig.log, v.toString());
    }

    /**
     * The receiver's check of layout {@code k}: the bytes at {@code rcv} (filled with
     * {@code fill} before the receive), the error word and the tag's E bit against what X.2 says
     * the transfer delivers ({@link StringLayout#deliver}); a mismatch is noted in the rig's log.
     * {@code error} is the error word read right after the receive.
     */
    static void checkReceived(ConformanceRig rig, int k, Layout c, int tag, int error, byte[] source, long snd,
                              byte[] fill, long rcv) {
        byte[] got = L4.readBytes(rcv, fill.length);
        byte[] expect = fill.clone();
        long delivered = StringLayout.deliver(c.strings(), c.buffers(), c.accept(), source, snd, expect, rcv);
        int expectError = delivered < 0 ? errorWord((int) (-delivered - 1), 4, 1) : 0;
        if (!java.util.Arrays.equals(expect, got) || error != expectError || MsgTag.isError(tag) != (delivered < 0)) {
            rig.note("layout " + k + " " + c + ": receiver error 0x" + Integer.toHexString(error) + ", expected 0x"
                    + Integer.toHexString(expectError) + ", bytes " + (java.util.Arrays.equals(expect, got)
                    ? "right" : "wrong at " + java.util.Arrays.mismatch(expect, got)));
        }
    }
}
