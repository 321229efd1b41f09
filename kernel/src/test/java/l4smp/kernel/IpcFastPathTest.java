package l4smp.kernel;

import l4smp.emulator.ExecutionMode;
import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;
import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.IpcPath;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.ipc.Timeout;
import l4smp.kernel.ipc.TypedItems;
import l4smp.kernel.thread.ThreadId;
import org.junit.jupiter.api.Timeout.ThreadMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The IPC fast path ({@code l4smp.kernel.ipc.IpcFastPath}) is a pure host-speed change: the same
 * local IPC sequences run with it on and with it off ({@code -Dl4smp.ipcFastPath=false} when the
 * kernel is built) give the same figures -- the trace hash, the clock, every counter of the CPU,
 * the accounting layer's event counts and charged cycles, and what the threads received -- with
 * the accounting layer on and off, seeded and in parallel mode. The runs with it on must take
 * the fast path (and, where the sequence has them, the general path's cases too: typed items,
 * send-only replies, senders queued in the send queue, a receive timeout, a higher-priority
 * thread woken by its timeout); the runs with it off must never take it.
 */
@org.junit.jupiter.api.Timeout(value = 120, threadMode = ThreadMode.SAME_THREAD)
class IpcFastPathTest {

    /** What one run leaves: every figure compared, and how often the fast path ran. */
    record Figures(String figures, long fastPaths, long localIpcs) {
    }

    static Stream<Arguments> cases() {
        List<Arguments> list = new ArrayList<>();
        for (ExecutionMode mode : ExecutionMode.values()) {
            for (boolean accounting : new boolean[] {false, true}) {
                for (String workload : new String[] {"pingpong", "mixed", "outranked", "timeouts", "two-servers"}) {
                    list.add(Arguments.of(workload, mode, accounting));
                }
            }
        }
        return list.stream();
    }

    @ParameterizedTest(name = "{0} {1} accounting {2}")
    @MethodSource("cases")
    void theFastPathLeavesEveryFigureAsTheGeneralPath(String workload, ExecutionMode mode, boolean accounting) {
        BiConsumer<Kernel, List<String>> setup = switch (workload) {
            case "pingpong" -> IpcFastPathTest::pingPong;
            case "mixed" -> IpcFastPathTest::mixed;
            case "outranked" -> IpcFastPathTest::outranked;
            case "two-servers" -> IpcFastPathTest::twoServers;
            default -> IpcFastPathTest::timeouts;
        };
        Figures on = run(setup, mode, accounting, true);
        Figures off = run(setup, mode, accounting, false);
        assertEquals(off.figures(), on.figures(), "the figures with the fast path on differ from those with it off");
        assertEquals(0, off.fastPaths(), "the fast path ran while switched off");
        assertTrue(on.fastPaths() > 0, "the fast path never ran");
        if (workload.equals("pingpong")) {
            // The server waits before the client's first call (it was created first), so every
            // call and every reply finds its partner waiting for it.
            assertEquals(600, on.localIpcs());
            assertEquals(on.localIpcs(), on.fastPaths(), "a pingpong IPC took the general path");
        } else if (workload.equals("mixed")) {
            // 400 calls and 400 replies; at least these take the general path: the 24 calls with
            // string items, the 20 calls with a receive timeout and the 57 send-only replies
            // (every 7th of the server's 400).
            assertEquals(800, on.localIpcs());
            assertTrue(on.localIpcs() - on.fastPaths() >= 24 + 20 + 57, "the general path's cases took the fast path: "
                    + on.fastPaths() + " of " + on.localIpcs());
        } else if (workload.equals("two-servers")) {
            // Both servers wait before the client's first call; each call and reply finds its
            // partner waiting, and every call names another thread than the caller's last partner.
            assertEquals(400, on.localIpcs());
            assertEquals(on.localIpcs(), on.fastPaths(), "a call or reply of the two servers took the general path");
        }
    }

    static Figures run(BiConsumer<Kernel, List<String>> setup, ExecutionMode mode, boolean accounting, boolean fast) {
        MachineConfig.Builder b = MachineConfig.builder().cpus(1).pinning(false).accounting(accounting)
                .stuckTimeout(Duration.ofSeconds(30));
        Machine machine = new Machine((mode == ExecutionMode.DETERMINISTIC ? b.deterministic(5) : b).build());
        String before = System.getProperty(IpcPath.FAST_PATH_PROPERTY);
        Kernel kernel;
        System.setProperty(IpcPath.FAST_PATH_PROPERTY, Boolean.toString(fast));
        try {
            kernel = Kernel.boot(machine);
        } finally {
            if (before == null) {
                System.clearProperty(IpcPath.FAST_PATH_PROPERTY);
            } else {
                System.setProperty(IpcPath.FAST_PATH_PROPERTY, before);
            }
        }
        List<String> seen = new CopyOnWriteArrayList<>();
        setup.accept(kernel, seen);
        Machine.RunOutcome outcome = machine.run();
        assertTrue(outcome.ok(), () -> "run failed: " + outcome.failure());
        assertTrue(kernel.failures().isEmpty(), () -> "user threads failed: " + kernel.failures());
        StringBuilder f = new StringBuilder();
        f.append("hash ").append(Long.toHexString(machine.traceHash()));
        f.append(" clock ").append(machine.cpu(0).clock());
        f.append(" counters ").append(machine.counterSnapshot(0));
        if (accounting) {
            f.append(" memory ").append(machine.memorySystem().totalsMapOpaque());
            f.append(" charged ").append(machine.memorySystem().chargedCyclesOpaque(0));
        }
        f.append(" seen ").append(seen);
        assertTrue(seen.size() > 10, "the threads noted almost nothing: " + seen);
        return new Figures(f.toString(), kernel.kernelCpu(0).ipcPath().fastPathsTaken(),
                machine.counterTotal(Kernel.C_IPC_LOCAL));
    }

    /** What an IPC returned, as a thread notes it. */
    static String result(int tag) {
        if (MsgTag.isError(tag)) {
            return "E " + IpcError.describe(L4.errorCode());
        }
        return MsgTag.label(tag) + "/" + MsgTag.untyped(tag) + "/" + MsgTag.typed(tag) + " " + L4.mr(1) + " " + L4.mr(2)
                + " " + L4.mr(3) + " " + L4.from() + " @" + L4.clock();
    }

    /** A client and a server: call and reply-and-wait with 0 to 3 untyped words. */
    static void pingPong(Kernel k, List<String> seen) {
        ThreadId[] server = new ThreadId[1];
        server[0] = k.createThread(ThreadSpec.daemon("server", 0, () -> {
            int tag = L4.waitAny();
            while (true) {
                int u = MsgTag.untyped(tag);
                for (int i = 1; i <= u; i++) {
                    L4.setMr(i, L4.mr(i) * 3 + i);
                }
                tag = L4.replyWait(L4.from(), MsgTag.make(MsgTag.label(tag) + 1, u));
            }
        }));
        k.createThread(ThreadSpec.of("client", 0, () -> {
            for (int r = 0; r < 300; r++) {
                int u = r % 4;
                for (int i = 1; i <= u; i++) {
                    L4.setMr(i, r * 10L + i);
                }
                int tag = L4.call(server[0], MsgTag.make(r & 0xFF, u));
                if (r % 10 == 0) {
                    seen.add("client " + r + ": " + result(tag));
                }
            }
        }));
    }

    /**
     * A server with three clients and a woken thread of higher priority: the fast path's cases
     * (a call to the waiting server, a reply to a client waiting for it while nobody else is in
     * the send queue) mixed with the general path's -- clients queued in the send queue, string
     * items, send-only replies, a receive with a timeout, a sleeping thread of higher priority
     * woken by its timeout, long computations across timer ticks.
     */
    static void mixed(Kernel k, List<String> seen) {
        ThreadId[] server = new ThreadId[1];
        long buffer = 0x30_000;
        server[0] = k.createThread(ThreadSpec.daemon("server", 0, () -> {
            L4.setBr(0, TypedItems.ACCEPT_STRINGS);
            L4.setBr(1, TypedItems.stringItem(buffer, 256));
            L4.setBr(2, buffer);
            int tag = L4.waitAny();
            long n = 0;
            while (true) {
                n++;
                ThreadId client = L4.from();
                int u = MsgTag.untyped(tag);
                if (MsgTag.typed(tag) > 0) {
                    seen.add("server string " + Arrays.toString(L4.readBytes(buffer, 8)));
                }
                L4.setMr(1, L4.mr(1) + n);
                if (n % 13 == 0) {
                    L4.compute(30_000);
                }
                if (n % 7 == 0) {
                    int sent = L4.send(client, MsgTag.make(3, 1), Timeout.ZERO); // a reply, send only
                    seen.add("server send-only " + MsgTag.isError(sent));
                    tag = L4.waitAny();
                } else {
                    tag = L4.replyWait(client, MsgTag.make(2, Math.max(1, u)));
                }
            }
        }));
        for (int c = 0; c < 3; c++) {
            int me = c;
            k.createThread(ThreadSpec.of("client" + c, 0, () -> {
                long src = 0x20_000 + 0x1000L * me;
                L4.writeBytes(src, new byte[] {(byte) me, 1, 2, 3, 4, 5, 6, 7});
                for (int r = 0; r < 120; r++) {
                    L4.setMr(1, me * 1000L + r);
                    int tag;
                    if (me == 2 && r % 5 == 0) {
                        L4.setMr(2, TypedItems.stringItem(src, 8));
                        L4.setMr(3, src);
                        tag = L4.call(server[0], MsgTag.make(1, 1, 2));
                    } else if (me == 1 && r % 6 == 0) {
                        tag = L4.call(server[0], MsgTag.make(1, 1), Timeout.NEVER, 1_000_000);
                    } else {
                        tag = L4.call(server[0], MsgTag.make(1, 1 + (r % 3)));
                    }
                    seen.add("client" + me + " " + r + ": " + result(tag));
                    if (me == 0 && r % 9 == 0) {
                        L4.compute(5_000);
                    }
                }
            }));
        }
        k.createThread(new ThreadSpec("sleeper", 0, 150, false, () -> {
            for (int r = 0; r < 40; r++) {
                boolean timedOut = L4.sleep(7_000 + 1_000L * (r % 5));
                int tag = L4.call(server[0], MsgTag.make(4, 1));
                seen.add("sleeper " + r + " " + timedOut + ": " + result(tag));
            }
        }));
    }

    /**
     * A direct switch refused because a thread of a priority between the caller's and the
     * partner's is ready: the sleeper (150), woken by its timeout while the background thread
     * (110) computes, calls the echo server (100), which waits for it; the background thread must
     * run before the echo server, as the general path's pick decides.
     */
    static void outranked(Kernel k, List<String> seen) {
        ThreadId[] echo = new ThreadId[1];
        echo[0] = k.createThread(ThreadSpec.daemon("echo", 0, () -> {
            int tag = L4.waitAny();
            while (true) {
                seen.add("echo " + L4.mr(1) + " @" + L4.clock());
                L4.setMr(1, L4.mr(1) + 1);
                tag = L4.replyWait(L4.from(), MsgTag.make(5, 1));
            }
        }));
        k.createThread(new ThreadSpec("background", 0, 110, false, () -> {
            L4.sleep(1_000); // the echo server waits before the computing starts
            for (int r = 0; r < 30; r++) {
                L4.compute(20_000);
                seen.add("background " + r + " @" + L4.clock());
            }
        }));
        k.createThread(new ThreadSpec("sleeper", 0, 150, false, () -> {
            for (int r = 0; r < 40; r++) {
                L4.sleep(7_000 + 1_000L * (r % 5));
                L4.setMr(1, r);
                int tag = L4.call(echo[0], MsgTag.make(4, 1));
                seen.add("sleeper " + r + ": " + result(tag));
            }
        }));
    }

    /**
     * One client calling two servers in turn: each call goes to the thread it names, not to the
     * caller's partner of the last IPC (the fast path finds its target through that partner when
     * it is the named thread), although the last partner waits too and would accept the message.
     */
    static void twoServers(Kernel k, List<String> seen) {
        ThreadId[] servers = new ThreadId[2];
        for (int s = 0; s < 2; s++) {
            int which = s;
            servers[s] = k.createThread(ThreadSpec.daemon("server" + s, 0, () -> {
                int tag = L4.waitAny();
                while (true) {
                    L4.setMr(1, L4.mr(1) * 2 + which);
                    tag = L4.replyWait(L4.from(), MsgTag.make(MsgTag.label(tag) + 10 * (which + 1), 1));
                }
            }));
        }
        k.createThread(ThreadSpec.of("client", 0, () -> {
            for (int r = 0; r < 200; r++) {
                L4.setMr(1, r);
                int tag = L4.call(servers[r % 2], MsgTag.make(r & 0xFF, 1));
                if (r % 7 == 0 || MsgTag.label(tag) != (r & 0xFF) + 10 * (r % 2 + 1) || L4.mr(1) != r * 2L + r % 2) {
                    seen.add("client " + r + ": " + result(tag));
                }
            }
        }));
    }

    /**
     * A direct switch refused because a timeout is due: a pingpong pair and a thread of the same
     * priority that sleeps for varying periods; a timeout that expires during an IPC's kernel
     * path fires before the partner runs, as in the general path's duty cycle.
     */
    static void timeouts(Kernel k, List<String> seen) {
        pingPong(k, seen);
        k.createThread(ThreadSpec.of("ticker", 0, () -> {
            for (int r = 0; r < 60; r++) {
                boolean timedOut = L4.sleep(300 + 37L * r);
                seen.add("ticker " + r + " " + timedOut + " @" + L4.clock());
            }
        }));
    }
}
