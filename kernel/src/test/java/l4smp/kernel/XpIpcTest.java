package l4smp.kernel;

import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;
import l4smp.emulator.ScheduleStrategy;
import l4smp.kernel.api.L4;
import l4smp.kernel.api.Utcb;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.ipc.Timeout;
import l4smp.kernel.ipc.TypedItems;
import l4smp.kernel.thread.ThreadId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Cross-processor IPC (thesis 8.3.3 - 8.4): round trips on deterministic and parallel machines,
 * transparency (design decision 6), XP detection (design decision 4, section 7.2), many senders
 * to one receiver, and the lost wake-up of 8.3.3 without the TCB lock (negative control).
 * Assertions on simulated cycles and counts only.
 */
class XpIpcTest {

    static Machine.RunOutcome pingPong(MachineConfig config, int rounds, AtomicLong sum, Kernel[] out) {
        Machine machine = new Machine(config);
        Kernel kernel = Kernel.boot(machine);
        out[0] = kernel;
        ThreadId server = kernel.createThread(ThreadSpec.daemon("server", 1, () -> {
            int tag = L4.waitAny();
            while (true) {
                ThreadId client = L4.from();
                L4.setMr(1, L4.mr(1) + 1);
                tag = L4.replyWait(client, MsgTag.make(0, 1));
            }
        }));
        kernel.createThread(ThreadSpec.of("client", 0, () -> {
            for (int i = 0; i < rounds; i++) {
                L4.setMr(1, i);
                int tag = L4.call(server, MsgTag.make(1, 1));
                if (MsgTag.isError(tag)) {
                    throw new AssertionError("call failed: " + IpcError.describe(L4.errorCode()));
                }
                if (!MsgTag.crossedProcessors(tag) || (tag & MsgTag.XCPU_RESULT_BIT) == 0) {
                    throw new AssertionError("reply not marked cross-processor: " + MsgTag.toString(tag));
                }
                sum.addAndGet(L4.mr(1));
            }
        }));
        return machine.run();
    }

    @Test
    void crossProcessorPingPongDeterministic() {
        AtomicLong sum = new AtomicLong();
        Kernel[] k = new Kernel[1];
        Machine.RunOutcome outcome = pingPong(MachineConfig.builder().cpus(2).deterministic(3).build(), 200, sum, k);
        assertTrue(outcome.ok(), () -> "run failed: " + outcome);
        assertEquals(0, k[0].failures().size(), () -> k[0].failures().toString());
        assertEquals(200L * 201 / 2, sum.get());
        Machine m = k[0].machine();
        assertEquals(400, m.counterTotal(Kernel.C_IPC_XCPU));
        assertEquals(0, m.counterTotal(Kernel.C_IPC_LOCAL));
        // The machine stops when the client ends: the server's last reply mailbox may be unread.
        long replies = m.counterTotal(Kernel.C_XCPU_REPLIES);
        assertTrue(replies == 399 || replies == 400, "replies " + replies);
        long found = m.counterTotal(Kernel.C_XCPU_FOUND_BY_IPI) + m.counterTotal(Kernel.C_XCPU_FOUND_BY_POLLING)
                + m.counterTotal(Kernel.C_XCPU_FOUND_BY_RECEIVE);
        assertEquals(400 + replies, found, "every request and every reply is found exactly once");
    }

    @Test
    void crossProcessorPingPongParallel() {
        AtomicLong sum = new AtomicLong();
        Kernel[] k = new Kernel[1];
        Machine.RunOutcome outcome = pingPong(MachineConfig.builder().cpus(2).pinning(false).build(), 300, sum, k);
        assertTrue(outcome.ok(), () -> "run failed: " + outcome);
        assertEquals(300L * 301 / 2, sum.get());
        assertEquals(600, k[0].machine().counterTotal(Kernel.C_IPC_XCPU));
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void crossProcessorPingPongRandomInterleavings(long seed) {
        AtomicLong sum = new AtomicLong();
        Kernel[] k = new Kernel[1];
        Machine.RunOutcome outcome = pingPong(MachineConfig.builder().cpus(2).deterministic(seed)
                .strategy(ScheduleStrategy.RANDOM).build(), 60, sum, k);
        assertTrue(outcome.ok(), () -> "seed " + seed + " failed: " + outcome);
        assertEquals(60L * 61 / 2, sum.get());
    }

    // ---- many senders, one receiver --------------------------------------------------------------

    /**
     * Clients on every CPU call one server on CPU 0: every request is answered exactly once
     * (the server sees each (client, sequence) once; each client gets its own answer).
     */
    @ParameterizedTest
    @ValueSource(longs = {11, 12, 13, 14, 15, 16})
    void clientsOnEveryCpuEachDeliveredExactlyOnce(long seed) {
        int cpus = 4;
        int clients = 7;
        int rounds = 25;
        Machine machine = new Machine(MachineConfig.builder().cpus(cpus).deterministic(seed)
                .strategy(seed % 2 == 0 ? ScheduleStrategy.RANDOM : ScheduleStrategy.LOWEST_CLOCK).build());
        Kernel kernel = Kernel.boot(machine);
        Map<Long, Integer> seen = new ConcurrentHashMap<>();
        ThreadId server = kernel.createThread(ThreadSpec.daemon("server", 0, () -> {
            int tag = L4.waitAny();
            while (true) {
                if (MsgTag.isError(tag)) {
                    tag = L4.waitAny();
                    continue;
                }
                seen.merge(L4.mr(1), 1, Integer::sum);
                L4.setMr(1, L4.mr(1) * 3);
                tag = L4.replyWait(L4.from(), MsgTag.make(MsgTag.label(tag), 1));
            }
        }));
        AtomicLongArray done = new AtomicLongArray(clients);
        for (int c = 0; c < clients; c++) {
            int id = c;
            kernel.createThread(ThreadSpec.of("client" + c, c % cpus, () -> {
                for (int i = 0; i < rounds; i++) {
                    long key = (long) id << 32 | i;
                    L4.setMr(1, key);
                    int tag = L4.call(server, MsgTag.make(id, 1));
                    if (MsgTag.isError(tag) || L4.mr(1) != key * 3 || MsgTag.label(tag) != id) {
                        throw new AssertionError("client" + id + " round " + i + ": " + MsgTag.toString(tag) + " "
                                + IpcError.describe(L4.errorCode()) + " mr1=" + L4.mr(1));
                    }
                    done.incrementAndGet(id);
                }
            }));
        }
        Machine.RunOutcome outcome = machine.run();
        assertTrue(outcome.ok(), () -> "seed " + seed + ": " + outcome);
        assertEquals(java.util.List.of(), kernel.failures());
        assertEquals(clients * rounds, seen.size());
        assertTrue(seen.values().stream().allMatch(v -> v == 1), "a request delivered twice");
        for (int c = 0; c < clients; c++) {
            assertEquals(rounds, done.get(c));
        }
        assertTrue(machine.counterTotal(Kernel.C_IPC_XCPU) > 0);
    }

    // ---- XP detection (design decision 4, section 7.2) ------------------------------------------

    @Test
    void abortOnRequestReturnsTheProcessorAndTransfersNothing() {
        Machine machine = new Machine(MachineConfig.builder().cpus(3).deterministic(5).build());
        Kernel kernel = Kernel.boot(machine);
        AtomicLong received = new AtomicLong();
        ThreadId remote = kernel.createThread(ThreadSpec.daemon("remote", 2, () -> {
            while (true) {
                L4.waitAny();
                received.incrementAndGet();
            }
        }));
        ThreadId local = kernel.createThread(ThreadSpec.daemon("local", 0, () -> {
            while (true) {
                L4.waitAny();
                received.incrementAndGet();
            }
        }));
        Map<String, Long> r = new ConcurrentHashMap<>();
        kernel.createThread(ThreadSpec.of("client", 0, () -> {
            L4.setMr(1, 42);
            int tag = L4.send(remote, MsgTag.make(7, 1) | MsgTag.XCPU_ABORT_FLAG);
            r.put("errorFlag", MsgTag.isError(tag) ? 1L : 0L);
            r.put("error", (long) L4.errorCode());
            r.put("processor", L4.utcbRead(Utcb.XP_PARTNER_PROCESSOR_OFFSET));
            int ok = L4.send(local, MsgTag.make(7, 1) | MsgTag.XCPU_ABORT_FLAG); // same CPU: not aborted
            r.put("localError", MsgTag.isError(ok) ? (long) L4.errorCode() : 0L);
            int plain = L4.send(remote, MsgTag.make(7, 1)); // detection off: delivered, reported
            r.put("plainCrossed", MsgTag.crossedProcessors(plain) ? 1L : 0L);
            r.put("plainError", MsgTag.isError(plain) ? 1L : 0L);
        }));
        assertTrue(machine.run().ok());
        assertEquals(1, r.get("errorFlag"));
        assertEquals(IpcError.word(IpcError.ABORTED, IpcError.PHASE_SEND), r.get("error").intValue());
        assertEquals(0, r.get("error").intValue() >>> 4, "offset 0: nothing transferred");
        assertEquals(3, r.get("processor"), "the partner's processor number (CPU 2 = processor 3)");
        assertEquals(0, r.get("localError"));
        assertEquals(1, r.get("plainCrossed"));
        assertEquals(0, r.get("plainError"));
        assertEquals(2, received.get(), "the aborted message never arrived; the others did");
        assertEquals(1, machine.counterTotal(Kernel.C_XCPU_ABORTS));
    }

    // ---- transparency (design decision 6) -------------------------------------------------------

    /** One conformance case: threads "a" on CPU 0 and "b" on {@code bCpu}; outcomes by key. */
    interface Case {
        void setup(Kernel k, int bCpu, Map<String, String> out);
    }

    static Map<String, String> runCase(Case c, int bCpu, long seed) {
        Machine machine = new Machine(MachineConfig.builder().cpus(2).deterministic(seed).build());
        Kernel kernel = Kernel.boot(machine);
        Map<String, String> out = new ConcurrentHashMap<>();
        c.setup(kernel, bCpu, out);
        Machine.RunOutcome outcome = machine.run();
        out.put("run", outcome.ok() ? "ok" : outcome.failure());
        out.put("failures", kernel.failures().toString());
        return new TreeMap<>(out);
    }

    static String result(int tag) {
        return MsgTag.toString(MsgTag.withoutCrossedBits(tag)) + " err=" + IpcError.describe(L4.errorCode())
                + " mr1=" + L4.mr(1) + " mr2=" + L4.mr(2);
    }

    static final long T = 20_000; // a timeout well above a cross-processor round trip

    static final Map<String, Case> CASES = Map.ofEntries(
            Map.entry("call-reply", (k, bc, out) -> {
                ThreadId b = k.createThread(ThreadSpec.daemon("b", bc, () -> {
                    int tag = L4.waitAny();
                    L4.setMr(1, L4.mr(1) + L4.mr(2));
                    L4.replyWait(L4.from(), MsgTag.make(9, 2));
                }));
                k.createThread(ThreadSpec.of("a", 0, () -> {
                    L4.setMr(1, 5);
                    L4.setMr(2, 6);
                    out.put("a", result(L4.call(b, MsgTag.make(3, 2))));
                }));
            }),
            Map.entry("send-timeout-zero-not-waiting", (k, bc, out) -> {
                ThreadId b = k.createThread(ThreadSpec.daemon("b", bc, () -> L4.sleep(10 * T)));
                k.createThread(ThreadSpec.of("a", 0, () -> out.put("a", result(L4.send(b, MsgTag.make(1, 0), Timeout.ZERO)))));
            }),
            Map.entry("send-timeout-expires", (k, bc, out) -> {
                ThreadId b = k.createThread(ThreadSpec.daemon("b", bc, () -> {
                    L4.sleep(10 * T);
                    out.put("b", result(L4.receive(ThreadId.ANY, Timeout.ZERO)));
                }));
                k.createThread(ThreadSpec.of("a", 0, () -> {
                    out.put("a", result(L4.send(b, MsgTag.make(1, 0), T)));
                    L4.sleep(20 * T);
                }));
            }),
            Map.entry("receive-timeout-expires", (k, bc, out) -> {
                ThreadId[] a = new ThreadId[1];
                ThreadId b = k.createThread(ThreadSpec.of("b", bc, () -> out.put("b", result(L4.receive(a[0], T)))));
                a[0] = k.createThread(ThreadSpec.daemon("a", 0, () -> L4.sleep(10 * T)));
            }),
            Map.entry("closed-receive-then-send", (k, bc, out) -> {
                ThreadId[] a = new ThreadId[1];
                ThreadId b = k.createThread(ThreadSpec.of("b", bc, () -> out.put("b", result(L4.receive(a[0])))));
                a[0] = k.createThread(ThreadSpec.of("a", 0, () -> {
                    L4.sleep(T);
                    L4.setMr(1, 77);
                    out.put("a", result(L4.send(b, MsgTag.make(2, 1))));
                }));
            }),
            Map.entry("send-first-then-receive-zero", (k, bc, out) -> {
                ThreadId[] a = new ThreadId[1];
                ThreadId b = k.createThread(ThreadSpec.of("b", bc, () -> {
                    L4.sleep(T); // a's send is long posted (and, across CPUs, its request arrived)
                    out.put("b", result(L4.receive(a[0], Timeout.ZERO)));
                }));
                a[0] = k.createThread(ThreadSpec.of("a", 0, () -> {
                    L4.setMr(1, 88);
                    out.put("a", result(L4.send(b, MsgTag.make(2, 1))));
                }));
            }),
            Map.entry("reply-to-a-client-not-waiting", (k, bc, out) -> {
                ThreadId[] a = new ThreadId[1];
                ThreadId b = k.createThread(ThreadSpec.of("b", bc, () -> {
                    L4.sleep(T);
                    out.put("b", result(L4.ipc(a[0], ThreadId.NIL, MsgTag.make(4, 0), Timeout.ZERO, Timeout.ZERO)));
                }));
                a[0] = k.createThread(ThreadSpec.of("a", 0, () -> L4.sleep(10 * T)));
            }),
            Map.entry("receiver-deleted-while-sender-waits", (k, bc, out) -> {
                ThreadId b = k.createThread(ThreadSpec.daemon("b", bc, () -> L4.sleep(100 * T)));
                k.createThread(ThreadSpec.of("deleter", bc, () -> {
                    L4.sleep(5 * T);
                    L4.deleteThread(b);
                }));
                k.createThread(ThreadSpec.of("a", 0, () -> out.put("a", result(L4.send(b, MsgTag.make(1, 0))))));
            }),
            Map.entry("string-item", (k, bc, out) -> {
                byte[] text = "cross-processor string copy, more than one line long".getBytes(StandardCharsets.US_ASCII);
                long src = 0x40_000;
                long dst = 0x80_000;
                ThreadId b = k.createThread(ThreadSpec.of("b", bc, () -> {
                    L4.setBr(0, TypedItems.ACCEPT_STRINGS);
                    L4.setBr(1, TypedItems.stringItem(dst, 256));
                    L4.setBr(2, dst);
                    out.put("b", result(L4.receive(ThreadId.ANY)));
                    out.put("data", new String(L4.readBytes(dst, text.length), StandardCharsets.US_ASCII));
                }));
                k.createThread(ThreadSpec.of("a", 0, () -> {
                    L4.writeBytes(src, text);
                    L4.setMr(1, TypedItems.stringItem(src, text.length));
                    L4.setMr(2, src);
                    out.put("a", result(L4.send(b, MsgTag.make(5, 0, 2))));
                }));
            }),
            Map.entry("string-without-buffer-overflows", (k, bc, out) -> {
                ThreadId b = k.createThread(ThreadSpec.of("b", bc, () -> out.put("b", result(L4.receive(ThreadId.ANY)))));
                k.createThread(ThreadSpec.of("a", 0, () -> {
                    L4.setMr(1, TypedItems.stringItem(0x40_000, 16));
                    L4.setMr(2, 0x40_000);
                    out.put("a", result(L4.send(b, MsgTag.make(5, 0, 2))));
                }));
            }),
            Map.entry("open-receive-fifo", (k, bc, out) -> {
                ThreadId b = k.createThread(ThreadSpec.of("b", bc, () -> {
                    L4.sleep(T);
                    StringBuilder order = new StringBuilder();
                    for (int i = 0; i < 3; i++) {
                        L4.receive(ThreadId.ANY);
                        order.append(L4.mr(1));
                    }
                    out.put("order", order.toString());
                }));
                for (int i = 1; i <= 3; i++) {
                    long v = i;
                    k.createThread(ThreadSpec.of("a" + i, 0, () -> {
                        L4.sleep(v * 500);
                        L4.setMr(1, v);
                        out.put("a" + v, result(L4.send(b, MsgTag.make(1, 1))));
                    }));
                }
            }));

    @ParameterizedTest
    @ValueSource(strings = {"call-reply", "send-timeout-zero-not-waiting", "send-timeout-expires",
            "receive-timeout-expires", "closed-receive-then-send", "send-first-then-receive-zero",
            "reply-to-a-client-not-waiting", "receiver-deleted-while-sender-waits", "string-item",
            "string-without-buffer-overflows", "open-receive-fifo"})
    void sameOutcomeOnOneCpuAndAcrossCpus(String name) {
        Case c = CASES.get(name);
        Map<String, String> local = runCase(c, 0, 7);
        Map<String, String> cross = runCase(c, 1, 7);
        assertEquals("ok", local.get("run"), () -> name + " locally: " + local);
        assertEquals(local, cross, name + ": one CPU vs two CPUs");
    }

    // ---- the lost wake-up of 8.3.3 (negative control) -------------------------------------------

    /**
     * Sender on CPU 0 and receiver on CPU 1 enter IPC at once, many times, under random
     * interleavings. Returns the number of seeds (of {@code seeds}) whose run deadlocked.
     */
    static int rendezvousDeadlocks(boolean withLock, int seeds) {
        int lost = 0;
        for (int seed = 1; seed <= seeds; seed++) {
            Machine machine = new Machine(MachineConfig.builder().cpus(2).deterministic(seed)
                    .strategy(ScheduleStrategy.RANDOM).build());
            Kernel kernel = withLock ? Kernel.boot(machine)
                    : Kernel.bootWithoutTcbLockForTests(machine, KernelConfig.DEFAULT);
            ThreadId[] a = new ThreadId[1];
            ThreadId b = kernel.createThread(ThreadSpec.of("receiver", 1, () -> {
                for (int i = 0; i < 20; i++) {
                    L4.receive(a[0]); // closed, timeout never
                }
            }));
            a[0] = kernel.createThread(ThreadSpec.of("sender", 0, () -> {
                for (int i = 0; i < 20; i++) {
                    L4.send(b, MsgTag.make(1, 0)); // timeout never: only the receiver's wait needs an IPI
                }
            }));
            Machine.RunOutcome outcome = machine.run();
            if (!outcome.ok()) {
                assertTrue(outcome.failure().contains("deadlock"), outcome.failure());
                lost++;
            }
        }
        return lost;
    }

    @Test
    void withoutTheTcbLockAWakeupIsLost() {
        int lost = rendezvousDeadlocks(false, 60);
        assertTrue(lost > 0, "the naive variant should lose a wake-up within 60 seeds");
    }

    @Test
    void withTheTcbLockNoWakeupIsLost() {
        assertEquals(0, rendezvousDeadlocks(true, 60));
    }

    @Test
    void crossFlagsOnlyAfterACrossedIpc() {
        assertFalse(MsgTag.crossedProcessors(MsgTag.make(1, 2)));
        assertEquals(MsgTag.make(1, 2), MsgTag.withoutCrossedBits(MsgTag.make(1, 2) | l4smp.kernel.ipc.Abi.THESIS.crossedBits(MsgTag.make(1, 2))));
    }
}
