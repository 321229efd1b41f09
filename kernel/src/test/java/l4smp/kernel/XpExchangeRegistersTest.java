package l4smp.kernel;

import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;
import l4smp.emulator.ScheduleStrategy;
import l4smp.kernel.api.ExchangeRegisters;
import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.ipc.Timeout;
import l4smp.kernel.ipc.XpExchangeRegisters;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.xcpu.Mailbox;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Exchange-registers across processors (thesis 8.4.3): reading and setting the registers of a
 * thread on another CPU, halt and resume, and the abort of a cross-processor IPC in each of its
 * stages (request still in flight, proxy activated but not run, waiting in the receiver's send
 * queue, after delivery), of a
 * receiver waiting for a cross-processor sender, while the target migrates (8.5), and by two
 * CPUs at once; then random interleavings over many seeds, where every message is delivered or
 * aborted exactly once, the invariants hold and no mailbox or hold is leaked. Simulated cycles
 * and counts only.
 */
class XpExchangeRegistersTest {

    private static final int CANCELED_SEND = IpcError.word(IpcError.CANCELED, IpcError.PHASE_SEND);
    private static final int CANCELED_RECEIVE = IpcError.word(IpcError.CANCELED, IpcError.PHASE_RECEIVE);
    private static final int TIMEOUT_RECEIVE = IpcError.word(IpcError.TIMEOUT, IpcError.PHASE_RECEIVE);
    private static final int TIMEOUT_SEND = IpcError.word(IpcError.TIMEOUT, IpcError.PHASE_SEND);

    private static MachineConfig.Builder config(int cpus, long seed) {
        return MachineConfig.builder().cpus(cpus).pinning(false).stuckTimeout(Duration.ofSeconds(20))
                .deterministic(seed);
    }

    private static Machine.RunOutcome runClean(Machine machine, Kernel kernel) {
        Machine.RunOutcome outcome = machine.run();
        assertTrue(outcome.ok(), () -> "run failed: " + outcome.failure());
        assertTrue(kernel.failures().isEmpty(), () -> "threads failed: " + kernel.failures());
        List<String> bad = KernelInvariants.check(kernel);
        assertTrue(bad.isEmpty(), () -> "invariants: " + bad);
        return outcome;
    }

    /**
     * Fails the run if it is not over after {@code cycles} simulated cycles (a live-lock would
     * otherwise keep the deterministic stepper busy forever).
     */
    private static void watchdog(Kernel kernel, int cpu, long cycles) {
        kernel.createThread(ThreadSpec.daemon("watchdog", cpu, () -> {
            L4.sleep(cycles);
            kernel.machine().fail("still running after " + cycles + " simulated cycles", null);
        }));
    }

    /** The exchange-registers statistics summed over the CPUs. */
    private static long[] stats(Kernel kernel) {
        long[] sum = null;
        for (int c = 0; c < kernel.machine().cpuCount(); c++) {
            long[] s = kernel.statistics().exchangeRegistersStats(c);
            if (sum == null) {
                sum = s;
            } else {
                for (int i = 0; i < s.length; i++) {
                    sum[i] += s[i];
                }
            }
        }
        return sum;
    }

    /** After a quiet end: no hold left, every mailbox free (each claimed one was released). */
    private static void assertNothingLeaked(Kernel kernel) {
        for (int c = 0; c < kernel.machine().cpuCount(); c++) {
            assertEquals(0, kernel.statistics().exchangeRegistersHolds(c),
                    "holds left on CPU " + c);
        }
        var memory = kernel.machine().physicalMemory();
        for (Mailbox m : kernel.xcpuFabric().mailboxes()) {
            if (m != null) {
                assertEquals(0, memory.intVolatile(m.address + Mailbox.BUSY), () -> m + " still claimed");
                assertEquals(null, m.exregsPlain(), () -> m + " still names an exchange-registers operation");
            }
        }
    }

    private static ExchangeRegisters.Result cancelSend(ThreadId t) {
        return L4.exchangeRegisters(t, ExchangeRegisters.CANCEL_SEND, 0, 0, 0, 0, null);
    }

    // ---- registers, halt and resume across processors ---------------------------------------

    @Test
    void readsAndSetsTheRegistersOfAThreadOnAnotherCpu() {
        Machine machine = new Machine(config(2, 1).build());
        Kernel kernel = Kernel.boot(machine);
        watchdog(kernel, 0, 50_000_000);
        AtomicInteger stop = new AtomicInteger();
        List<ExchangeRegisters.Result> results = new ArrayList<>();
        ThreadId w = kernel.createThread(ThreadSpec.of("worker", 1, () -> {
            while (stop.get() == 0) {
                L4.sleep(5_000);
            }
        }));
        AtomicReference<ThreadId> self = new AtomicReference<>();
        kernel.createThread(ThreadSpec.of("caller", 0, () -> {
            self.set(L4.myself());
            L4.sleep(2_000);
            results.add(L4.exchangeRegisters(w, ExchangeRegisters.SET_SP | ExchangeRegisters.SET_IP
                    | ExchangeRegisters.SET_FLAGS | ExchangeRegisters.SET_USER_HANDLE | ExchangeRegisters.SET_PAGER,
                    0x1000, 0x2000, 0x3, 77, L4.myself()));
            results.add(L4.readRegisters(w));
            results.add(L4.readRegisters(ThreadId.of(4000, 1))); // nobody
            stop.set(1);
        }));
        var tcb = kernel.lookup(w);
        runClean(machine, kernel);
        ExchangeRegisters.Result set = results.get(0);
        assertTrue(set.ok());
        assertEquals(w, set.thread());
        assertEquals(0, set.userHandle());
        assertEquals(0, set.sp());
        assertEquals("WAITING", set.state()); // it sleeps: a receive with a timeout
        assertFalse(set.canceled());
        ExchangeRegisters.Result read = results.get(1);
        assertEquals(0x1000, read.sp());
        assertEquals(0x2000, read.ip());
        assertEquals(0x3, read.flags());
        assertEquals(77, read.userHandle());
        assertEquals(self.get(), read.pager());
        assertEquals(77, tcb.userHandle());
        ExchangeRegisters.Result none = results.get(2);
        assertFalse(none.ok());
        assertEquals(2, none.errorCode());
        long[] s = stats(kernel);
        assertEquals(3, s[XpExchangeRegisters.S_CALLS]);
        assertEquals(2, s[XpExchangeRegisters.S_REMOTE_REQUESTS], "the two calls to CPU 1 went by mailbox");
        assertEquals(0, s[XpExchangeRegisters.S_UNWINDS]);
        assertNothingLeaked(kernel);
    }

    @Test
    void haltsAndResumesAThreadOnAnotherCpu() {
        Machine machine = new Machine(config(2, 1).build());
        Kernel kernel = Kernel.boot(machine);
        watchdog(kernel, 0, 50_000_000);
        AtomicInteger stop = new AtomicInteger();
        AtomicLong progress = new AtomicLong();
        long[] seen = new long[4];
        boolean[] haltedSeen = new boolean[2];
        ThreadId w = kernel.createThread(ThreadSpec.of("worker", 1, () -> {
            while (stop.get() == 0) {
                progress.incrementAndGet();
                L4.compute(1_000);
            }
        }));
        kernel.createThread(ThreadSpec.of("caller", 0, () -> {
            L4.sleep(20_000);
            // X.2: H applies with h (HALT_THREAD = h | H); Pistachio perform_exregs halts only then.
            haltedSeen[0] = L4.exchangeRegisters(w, ExchangeRegisters.HALT_THREAD, 0, 0, 0, 0, null).halted();
            seen[0] = progress.get();
            L4.sleep(50_000);
            seen[1] = progress.get();
            haltedSeen[1] = L4.readRegisters(w).halted();
            L4.exchangeRegisters(w, ExchangeRegisters.RESUME, 0, 0, 0, 0, null);
            seen[2] = progress.get();
            L4.sleep(50_000);
            seen[3] = progress.get();
            stop.set(1);
        }));
        runClean(machine, kernel);
        assertFalse(haltedSeen[0], "the old value: not halted");
        assertTrue(haltedSeen[1], "halted after the call");
        assertTrue(seen[0] > 0);
        assertEquals(seen[0], seen[1], "a halted thread makes no progress");
        assertTrue(seen[3] > seen[2] + 10, () -> "resumed: progress " + seen[2] + " -> " + seen[3]);
        assertNothingLeaked(kernel);
    }

    /**
     * A thread halted while its cross-processor send is in flight: the reply arrives while it
     * is halted, and it finishes the IPC (delivered once) only after it is resumed.
     */
    @Test
    void haltsASenderInFlightAndResumesIt() {
        Machine machine = new Machine(config(3, 1).build());
        Kernel kernel = Kernel.boot(machine);
        watchdog(kernel, 0, 50_000_000);
        AtomicLong sentAt = new AtomicLong(-1);
        AtomicLong got = new AtomicLong(-1);
        AtomicLong resumedAt = new AtomicLong(-1);
        ThreadId b = kernel.createThread(ThreadSpec.of("receiver", 2, () -> {
            L4.sleep(30_000);
            int tag = L4.receive(ThreadId.ANY);
            got.set(MsgTag.isError(tag) ? -2 : L4.mr(1));
        }));
        ThreadId sender = kernel.createThread(ThreadSpec.of("sender", 1, () -> {
            L4.setMr(1, 9);
            int tag = L4.send(b, MsgTag.make(0, 1));
            sentAt.set(MsgTag.isError(tag) ? -2 : L4.clock());
        }));
        kernel.createThread(ThreadSpec.of("halter", 0, () -> {
            L4.sleep(10_000);
            ExchangeRegisters.Result r = L4.exchangeRegisters(sender, ExchangeRegisters.HALT_THREAD, 0, 0, 0, 0, null);
            assertEquals("LOCKED_WAITING", r.state());
            L4.sleep(200_000); // the message is delivered meanwhile; the sender stays halted
            assertEquals(-1, sentAt.get(), "a halted sender does not return from its send");
            assertTrue(L4.readRegisters(sender).halted());
            resumedAt.set(L4.clock());
            L4.exchangeRegisters(sender, ExchangeRegisters.RESUME, 0, 0, 0, 0, null);
        }));
        runClean(machine, kernel);
        assertEquals(9, got.get());
        assertTrue(sentAt.get() > resumedAt.get(), "the send returned after the resume");
        assertEquals(0, stats(kernel)[XpExchangeRegisters.S_UNWINDS], "a halt cancels nothing");
        assertNothingLeaked(kernel);
    }

    // ---- aborting a cross-processor send in its stages ---------------------------------------

    /**
     * The sender A (CPU {@code a}) sends to B (CPU 2), which does not receive before the abort;
     * L (CPU {@code l}) cancels A's send. A fails "canceled" in its send phase; B never gets
     * the message.
     */
    private static void abortSendInTheSendQueue(int l, int a) {
        Machine machine = new Machine(config(3, 1).build());
        Kernel kernel = Kernel.boot(machine);
        watchdog(kernel, 0, 50_000_000);
        AtomicInteger aError = new AtomicInteger(-1);
        AtomicInteger bError = new AtomicInteger(-1);
        AtomicReference<ExchangeRegisters.Result> result = new AtomicReference<>();
        ThreadId b = kernel.createThread(ThreadSpec.of("receiver", 2, () -> {
            L4.sleep(200_000);
            int tag = L4.receive(ThreadId.ANY, 50_000);
            bError.set(MsgTag.isError(tag) ? L4.errorCode() : 0);
        }));
        ThreadId sender = kernel.createThread(ThreadSpec.of("sender", a, () -> {
            L4.setMr(1, 7);
            int tag = L4.send(b, MsgTag.make(0, 1));
            aError.set(MsgTag.isError(tag) ? L4.errorCode() : 0);
        }));
        kernel.createThread(ThreadSpec.of("aborter", l, () -> {
            L4.sleep(50_000);
            result.set(cancelSend(sender));
        }));
        runClean(machine, kernel);
        assertEquals(CANCELED_SEND, aError.get(), () -> IpcError.describe(aError.get()));
        assertEquals(TIMEOUT_RECEIVE, bError.get(), "the receiver never gets the aborted message");
        assertTrue(result.get().canceled());
        assertEquals("LOCKED_WAITING", result.get().state(), "the send was in a proxy's hands");
        long[] s = stats(kernel);
        assertEquals(1, s[XpExchangeRegisters.S_UNWINDS]);
        assertEquals(1, s[XpExchangeRegisters.S_UNWIND_ABORTED]);
        assertEquals(0, s[XpExchangeRegisters.S_UNWIND_FOUND_NOTHING]);
        assertEquals(1, s[XpExchangeRegisters.S_ABORT_POLLING], "the sender waited in B's send queue");
        assertEquals(1, s[XpExchangeRegisters.S_CANCELED]);
        assertNothingLeaked(kernel);
    }

    @Test
    void abortsASendWaitingInTheReceiversSendQueueAcrossThreeCpus() {
        abortSendInTheSendQueue(0, 1);
    }

    @Test
    void abortsASendInFlightFromTheSendersOwnCpu() {
        abortSendInTheSendQueue(1, 1);
    }

    /**
     * The abort is issued while the send's request has not yet been seen by the receiver's CPU
     * (it computes without a kernel entry): one check there finds the request and the unwind;
     * the proxy takes its first step (the receiver does not wait: it polls) and the unwind,
     * which runs next, takes it back before any transfer.
     */
    @Test
    void abortsASendWhoseRequestIsStillInFlight() {
        Machine machine = new Machine(config(3, 1).build());
        Kernel kernel = Kernel.boot(machine);
        watchdog(kernel, 0, 50_000_000);
        AtomicInteger aError = new AtomicInteger(-1);
        AtomicInteger bError = new AtomicInteger(-1);
        AtomicReference<ExchangeRegisters.Result> result = new AtomicReference<>();
        ThreadId b = kernel.createThread(ThreadSpec.of("receiver", 2, () -> {
            L4.sleep(10_000);
            L4.compute(200_000); // no kernel entry: the mailboxes wait for the next check
            int tag = L4.receive(ThreadId.ANY, 50_000);
            bError.set(MsgTag.isError(tag) ? L4.errorCode() : 0);
        }));
        ThreadId sender = kernel.createThread(ThreadSpec.of("sender", 1, () -> {
            L4.sleep(20_000);
            L4.setMr(1, 7);
            int tag = L4.send(b, MsgTag.make(0, 1));
            aError.set(MsgTag.isError(tag) ? L4.errorCode() : 0);
        }));
        kernel.createThread(ThreadSpec.of("aborter", 0, () -> {
            L4.sleep(40_000);
            result.set(cancelSend(sender));
        }));
        runClean(machine, kernel);
        assertEquals(CANCELED_SEND, aError.get(), () -> IpcError.describe(aError.get()));
        assertEquals(TIMEOUT_RECEIVE, bError.get());
        assertTrue(result.get().canceled());
        long[] s = stats(kernel);
        assertEquals(1, s[XpExchangeRegisters.S_UNWIND_ABORTED]);
        assertEquals(1, s[XpExchangeRegisters.S_ABORT_POLLING]);
        assertNothingLeaked(kernel);
    }

    /**
     * The abort meets the send's proxy activated but not yet run: A0's send (slot 0 of the pair
     * 1 -> 2) is delivered, A's send takes slot 1 before CPU 1 consumed A0's reply, and the
     * receiver's CPU then computes without a kernel entry. The unwind takes the freed slot 0, so
     * the next check on CPU 2 hooks both and the unwind (lower bit) runs first: it finds A's
     * proxy hooked, takes it off the ready list and cancels the send before it ran.
     */
    @ParameterizedTest
    @ValueSource(longs = {2000, 2400})
    void abortsASendWhoseProxyWasActivatedButHasNotRun(long delay) {
        Machine machine = new Machine(config(3, 1).build());
        Kernel kernel = Kernel.boot(machine);
        watchdog(kernel, 0, 50_000_000);
        AtomicInteger aError = new AtomicInteger(-1);
        AtomicLong got = new AtomicLong(-1);
        AtomicReference<ExchangeRegisters.Result> result = new AtomicReference<>();
        ThreadId b = kernel.createThread(ThreadSpec.of("receiver", 2, () -> {
            int tag = L4.receive(ThreadId.ANY);
            got.set(MsgTag.isError(tag) ? -2 : L4.mr(1));
            L4.compute(200_000); // no kernel entry: the mailboxes wait for the next check
            tag = L4.receive(ThreadId.ANY, 50_000);
            if (!MsgTag.isError(tag)) {
                got.set(100 + L4.mr(1)); // A's message must never come
            }
        }));
        kernel.createThread(ThreadSpec.of("first-sender", 1, () -> {
            L4.sleep(10_000);
            L4.setMr(1, 1);
            L4.send(b, MsgTag.make(0, 1));
        }));
        ThreadId sender = kernel.createThread(ThreadSpec.of("sender", 1, () -> {
            L4.sleep(10_000 + delay);
            L4.setMr(1, 2);
            int tag = L4.send(b, MsgTag.make(0, 1));
            aError.set(MsgTag.isError(tag) ? L4.errorCode() : 0);
        }));
        kernel.createThread(ThreadSpec.of("aborter", 0, () -> {
            L4.sleep(60_000);
            result.set(cancelSend(sender));
        }));
        runClean(machine, kernel);
        assertEquals(CANCELED_SEND, aError.get(), () -> IpcError.describe(aError.get()));
        assertEquals(1, got.get(), "A0's message delivered, A's never");
        assertTrue(result.get().canceled());
        long[] s = stats(kernel);
        assertEquals(1, s[XpExchangeRegisters.S_ABORT_HOOKED], "the unwind ran before the hooked proxy");
        assertEquals(0, s[XpExchangeRegisters.S_ABORT_POLLING]);
        assertNothingLeaked(kernel);
    }

    @Test
    void anAbortAfterDeliveryIsTooLate() {
        Machine machine = new Machine(config(3, 1).build());
        Kernel kernel = Kernel.boot(machine);
        watchdog(kernel, 0, 50_000_000);
        AtomicInteger aError = new AtomicInteger(-1);
        AtomicLong got = new AtomicLong(-1);
        AtomicReference<ExchangeRegisters.Result> result = new AtomicReference<>();
        ThreadId b = kernel.createThread(ThreadSpec.of("receiver", 2, () -> {
            int tag = L4.receive(ThreadId.ANY);
            got.set(MsgTag.isError(tag) ? -2 : L4.mr(1));
        }));
        ThreadId sender = kernel.createThread(ThreadSpec.of("sender", 1, () -> {
            L4.sleep(10_000);
            L4.setMr(1, 7);
            int tag = L4.send(b, MsgTag.make(0, 1));
            aError.set(MsgTag.isError(tag) ? L4.errorCode() : 0);
            L4.sleep(100_000);
        }));
        kernel.createThread(ThreadSpec.of("aborter", 0, () -> {
            L4.sleep(60_000);
            result.set(cancelSend(sender));
        }));
        runClean(machine, kernel);
        assertEquals(7, got.get(), "delivered");
        assertEquals(0, aError.get());
        assertFalse(result.get().canceled(), "the IPC had completed: nothing to abort");
        assertEquals("WAITING", result.get().state(), "the sender sleeps");
        assertEquals(0, stats(kernel)[XpExchangeRegisters.S_UNWINDS]);
        assertNothingLeaked(kernel);
    }

    @Test
    void abortsAReceiverWaitingForACrossProcessorSender() {
        Machine machine = new Machine(config(3, 1).build());
        Kernel kernel = Kernel.boot(machine);
        watchdog(kernel, 0, 50_000_000);
        AtomicInteger aError = new AtomicInteger(-1);
        AtomicInteger bError = new AtomicInteger(-1);
        AtomicReference<ExchangeRegisters.Result> result = new AtomicReference<>();
        ThreadId[] ids = new ThreadId[2];
        ids[1] = kernel.createThread(ThreadSpec.of("receiver", 2, () -> {
            int tag = L4.receive(ids[0]); // closed: from the sender on CPU 1
            bError.set(MsgTag.isError(tag) ? L4.errorCode() : 0);
            L4.sleep(200_000);
        }));
        ids[0] = kernel.createThread(ThreadSpec.of("sender", 1, () -> {
            L4.sleep(100_000);
            int tag = L4.send(ids[1], MsgTag.make(0, 0), Timeout.ZERO); // B no longer receives
            aError.set(MsgTag.isError(tag) ? L4.errorCode() : 0);
        }));
        kernel.createThread(ThreadSpec.of("aborter", 0, () -> {
            L4.sleep(50_000);
            result.set(L4.exchangeRegisters(ids[1], ExchangeRegisters.CANCEL_RECEIVE, 0, 0, 0, 0, null));
        }));
        runClean(machine, kernel);
        assertEquals(CANCELED_RECEIVE, bError.get(), () -> IpcError.describe(bError.get()));
        assertEquals(TIMEOUT_SEND, aError.get(), "the canceled receiver withdrew its published wait");
        assertTrue(result.get().canceled());
        assertEquals("WAITING", result.get().state());
        assertNothingLeaked(kernel);
    }

    // ---- two aborts at once ------------------------------------------------------------------

    /** L1 (CPU 0) and L2 (CPU 3) cancel the same send of A (CPU 1) to B (CPU 2) at once. */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
    void twoConcurrentAbortsOfOneIpcExactlyOneWins(long seed) {
        Machine machine = new Machine(config(4, seed).strategy(seed == 1 ? ScheduleStrategy.LOWEST_CLOCK
                : ScheduleStrategy.RANDOM).build());
        Kernel kernel = Kernel.boot(machine);
        watchdog(kernel, 0, 50_000_000);
        AtomicInteger aError = new AtomicInteger(-1);
        AtomicInteger bError = new AtomicInteger(-1);
        AtomicInteger wins = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        ThreadId b = kernel.createThread(ThreadSpec.of("receiver", 2, () -> {
            L4.sleep(300_000);
            int tag = L4.receive(ThreadId.ANY, 50_000);
            bError.set(MsgTag.isError(tag) ? L4.errorCode() : 0);
        }));
        ThreadId sender = kernel.createThread(ThreadSpec.of("sender", 1, () -> {
            int tag = L4.send(b, MsgTag.make(0, 0));
            aError.set(MsgTag.isError(tag) ? L4.errorCode() : 0);
        }));
        for (int cpu : new int[] {0, 3}) {
            kernel.createThread(ThreadSpec.of("aborter" + cpu, cpu, () -> {
                L4.sleep(50_000);
                ExchangeRegisters.Result r = cancelSend(sender);
                assertTrue(r.ok());
                if (r.canceled()) {
                    wins.incrementAndGet();
                }
                done.incrementAndGet();
            }));
        }
        runClean(machine, kernel);
        assertEquals(2, done.get());
        assertEquals(1, wins.get(), "exactly one abort wins");
        assertEquals(CANCELED_SEND, aError.get(), () -> IpcError.describe(aError.get()));
        assertEquals(TIMEOUT_RECEIVE, bError.get());
        long[] s = stats(kernel);
        assertEquals(1, s[XpExchangeRegisters.S_CANCELED]);
        assertEquals(1, s[XpExchangeRegisters.S_UNWIND_ABORTED]);
        assertNothingLeaked(kernel);
    }

    // ---- the target migrates -----------------------------------------------------------------

    /**
     * A worker migrates between CPUs 1 and 3 while a caller on CPU 0 reads and writes its
     * registers: every call reaches it (requests that arrive after it left are retargeted,
     * 8.5), and the last value written is the one it has.
     */
    @Test
    void requestsFollowATargetThatMigrates() {
        Machine machine = new Machine(config(4, 1).build());
        Kernel kernel = Kernel.boot(machine);
        watchdog(kernel, 0, 50_000_000);
        AtomicInteger stop = new AtomicInteger();
        AtomicInteger failures = new AtomicInteger();
        AtomicInteger calls = new AtomicInteger();
        ThreadId w = kernel.createThread(new ThreadSpec("worker", 1, 100, false, () -> {
            while (stop.get() == 0) {
                L4.compute(300);
            }
        }));
        kernel.createThread(new ThreadSpec("migrator", 2, 200, false, () -> {
            for (int i = 0; stop.get() == 0; i++) {
                L4.migrate(w, i % 2 == 0 ? 4 : 2);
                L4.sleep(6_000 + 370 * (i % 11));
            }
        }));
        kernel.createThread(new ThreadSpec("caller", 0, 200, false, () -> {
            for (int i = 1; i <= 300; i++) {
                ExchangeRegisters.Result r = L4.exchangeRegisters(w, ExchangeRegisters.SET_USER_HANDLE,
                        0, 0, 0, i, null);
                calls.incrementAndGet();
                if (!r.ok() || r.userHandle() != i - 1) {
                    failures.incrementAndGet();
                }
            }
            stop.set(1);
        }));
        var tcb = kernel.lookup(w);
        runClean(machine, kernel);
        assertEquals(300, calls.get());
        assertEquals(0, failures.get(), "every call reached the worker and saw the previous value");
        assertEquals(300, tcb.userHandle());
        long[] s = stats(kernel);
        assertTrue(s[XpExchangeRegisters.S_RETARGETS] > 0, "some requests met a worker that had left");
        assertNothingLeaked(kernel);
    }

    // ---- random interleavings: exactly once --------------------------------------------------

    /** Seeds 1..24; more with {@code -Dl4smp.exregs.seeds=N} on the mvn command line. */
    static LongStream seeds() {
        return LongStream.rangeClosed(1, Long.getLong("l4smp.exregs.seeds", 24));
    }

    /**
     * Senders on CPUs 1 and 2 send numbered messages to receivers on CPUs 2 and 3; aborters on
     * CPUs 0 and 3 cancel the senders' sends and the receivers' receives at random moments; a
     * migrator moves one sender between CPUs 1 and 3. Every message is delivered or canceled
     * exactly once (never both, never neither); the aborters' "canceled" reports match the
     * canceled IPCs one to one; invariants hold; nothing is leaked.
     */
    @ParameterizedTest
    @MethodSource("seeds")
    void everyMessageIsDeliveredOrAbortedExactlyOnce(long seed) {
        storm(config(4, seed).strategy(ScheduleStrategy.RANDOM).build(), seed);
    }

    /** The same on real host threads (parallel mode): the assertions hold for any interleaving. */
    @Test
    void everyMessageIsDeliveredOrAbortedExactlyOnceInParallel() {
        storm(MachineConfig.builder().cpus(4).pinning(false).stuckTimeout(Duration.ofSeconds(20)).build(), -1);
    }

    /** The deterministic mode stays replayable: the same seed gives the same run, bit for bit. */
    @Test
    void theSameSeedReplaysTheSameRun() {
        long[] first = replay(7);
        long[] second = replay(7);
        assertTrue(java.util.Arrays.equals(first, second), () -> java.util.Arrays.toString(first) + " vs "
                + java.util.Arrays.toString(second));
    }

    private static long[] replay(long seed) {
        Kernel kernel = storm(config(4, seed).strategy(ScheduleStrategy.RANDOM).build(), seed);
        Machine m = kernel.machine();
        long[] s = stats(kernel);
        long[] out = java.util.Arrays.copyOf(s, s.length + 2 + m.cpuCount());
        out[s.length] = m.traceHash();
        out[s.length + 1] = m.counterTotal(Kernel.C_IPC_XCPU);
        for (int c = 0; c < m.cpuCount(); c++) {
            out[s.length + 2 + c] = m.cpu(c).clock();
        }
        return out;
    }

    private static Kernel storm(MachineConfig config, long seed) {
        Machine machine = new Machine(config);
        Kernel kernel = Kernel.boot(machine);
        watchdog(kernel, 0, 50_000_000);
        int perSender = 30;
        Map<Long, Integer> delivered = new ConcurrentHashMap<>();
        Map<Long, Integer> outcome = new ConcurrentHashMap<>(); // 0 delivered, 1 canceled
        AtomicInteger sendCancelsSeen = new AtomicInteger();
        AtomicInteger receiveCancelsSeen = new AtomicInteger();
        AtomicInteger sendCancelReports = new AtomicInteger();
        AtomicInteger receiveCancelReports = new AtomicInteger();
        AtomicInteger stop = new AtomicInteger();
        AtomicIntegerArrayHolder finished = new AtomicIntegerArrayHolder();
        ThreadId[] receivers = new ThreadId[2];
        int[] receiverCpus = {2, 3};
        for (int r = 0; r < 2; r++) {
            receivers[r] = kernel.createThread(ThreadSpec.daemon("receiver" + r, receiverCpus[r], () -> {
                while (true) {
                    int tag = L4.receive(ThreadId.ANY);
                    if (MsgTag.isError(tag)) {
                        if (L4.errorCode() == CANCELED_RECEIVE) {
                            receiveCancelsSeen.incrementAndGet();
                        }
                        continue;
                    }
                    long key = L4.mr(1);
                    delivered.merge(key, 1, Integer::sum);
                    L4.compute(1_000 + (key % 7) * 1_500);
                }
            }));
        }
        ThreadId[] senders = new ThreadId[2];
        int[] senderCpus = {1, 2};
        for (int s = 0; s < 2; s++) {
            int sid = s;
            senders[s] = kernel.createThread(ThreadSpec.of("sender" + s, senderCpus[s], () -> {
                for (int i = 0; i < perSender; i++) {
                    long key = sid * 1000L + i;
                    L4.setMr(1, key);
                    int tag = L4.send(receivers[(sid + i) % 2], MsgTag.make(0, 1));
                    if (!MsgTag.isError(tag)) {
                        outcome.merge(key, 0, (x, y) -> -100);
                    } else if (L4.errorCode() == CANCELED_SEND) {
                        outcome.merge(key, 1, (x, y) -> -100);
                        sendCancelsSeen.incrementAndGet();
                    } else {
                        throw new AssertionError("send " + key + " failed: " + IpcError.describe(L4.errorCode()));
                    }
                }
                finished.count.incrementAndGet();
            }));
        }
        kernel.createThread(ThreadSpec.daemon("migrator", 0, () -> {
            for (int i = 0; stop.get() == 0; i++) {
                L4.migrate(senders[0], i % 2 == 0 ? 4 : 2);
                L4.sleep(3_000 + 500 * (i % 5));
            }
        }));
        kernel.createThread(ThreadSpec.daemon("send-aborter", 0, () -> {
            for (int i = 0; stop.get() == 0; i++) {
                L4.sleep(900 + 311 * (i % 7));
                if (cancelSend(senders[i % 2]).canceled()) {
                    sendCancelReports.incrementAndGet();
                }
            }
        }));
        kernel.createThread(ThreadSpec.daemon("receive-aborter", 3, () -> {
            for (int i = 0; stop.get() == 0; i++) {
                L4.sleep(1_700 + 257 * (i % 5));
                if (L4.exchangeRegisters(receivers[i % 2], ExchangeRegisters.CANCEL_RECEIVE, 0, 0, 0, 0, null)
                        .canceled()) {
                    receiveCancelReports.incrementAndGet();
                }
            }
        }));
        kernel.createThread(ThreadSpec.of("main", 1, () -> {
            while (finished.count.get() < 2) {
                L4.sleep(5_000);
            }
            stop.set(1);
            L4.sleep(100_000); // let every aborter's last call and every reply settle
        }));
        runClean(machine, kernel);
        assertEquals(2 * perSender, outcome.size(), "every send returned");
        for (var e : outcome.entrySet()) {
            long key = e.getKey();
            int o = e.getValue();
            assertTrue(o == 0 || o == 1, () -> "send " + key + " returned twice");
            Integer d = delivered.get(key);
            if (o == 0) {
                assertEquals(1, d, () -> "seed " + seed + ": send " + key + " succeeded but delivered " + d + " times");
            } else {
                assertEquals(null, d, () -> "seed " + seed + ": send " + key + " was canceled but delivered");
            }
        }
        assertEquals(sendCancelsSeen.get(), sendCancelReports.get(), "one report per canceled send");
        assertEquals(receiveCancelsSeen.get(), receiveCancelReports.get(), "one report per canceled receive");
        long[] s = stats(kernel);
        assertEquals(s[XpExchangeRegisters.S_UNWINDS],
                s[XpExchangeRegisters.S_UNWIND_ABORTED] + s[XpExchangeRegisters.S_UNWIND_FOUND_NOTHING],
                "every unwind answered once");
        assertNothingLeaked(kernel);
        return kernel;
    }

    /**
     * Clients on CPUs 1 to 3 call a server that a migrator moves between CPUs 0 and 3; an
     * aborter cancels the clients' sends and receives at random moments. A call that succeeded
     * was served exactly once and answered with its own key; one canceled in its send phase was
     * never served; one canceled in its receive phase was served once (its reply is lost, the
     * server's reply-and-wait does not wait). Invariants hold; nothing is leaked.
     */
    @ParameterizedTest
    @MethodSource("seeds")
    void callsAbortedInEitherPhaseAreServedAtMostOnce(long seed) {
        Machine machine = new Machine(config(4, seed).strategy(ScheduleStrategy.RANDOM).build());
        Kernel kernel = Kernel.boot(machine);
        watchdog(kernel, 0, 50_000_000);
        int perClient = 20;
        Map<Long, Integer> served = new ConcurrentHashMap<>();
        Map<Long, Integer> outcome = new ConcurrentHashMap<>(); // 0 ok, 1 canceled send, 2 canceled receive
        AtomicInteger finished = new AtomicInteger();
        AtomicInteger stop = new AtomicInteger();
        ThreadId server = kernel.createThread(ThreadSpec.daemon("server", 0, () -> {
            int tag = L4.waitAny();
            while (true) {
                ThreadId client = L4.from();
                long key = L4.mr(1);
                served.merge(key, 1, Integer::sum);
                L4.compute(500 + (key % 5) * 700);
                L4.setMr(1, key);
                tag = L4.replyWait(client, MsgTag.make(0, 1));
                while (MsgTag.isError(tag)) {
                    // The client no longer waits (its receive was canceled): the reply fails in
                    // its send phase and the receive phase does not run (X.2); wait anew.
                    tag = L4.waitAny();
                }
            }
        }));
        ThreadId[] clients = new ThreadId[3];
        for (int c = 0; c < 3; c++) {
            int cid = c;
            clients[c] = kernel.createThread(ThreadSpec.of("client" + c, c + 1, () -> {
                for (int i = 0; i < perClient; i++) {
                    long key = cid * 1000L + i;
                    L4.setMr(1, key);
                    int tag = L4.call(server, MsgTag.make(0, 1));
                    int o;
                    if (!MsgTag.isError(tag)) {
                        if (L4.mr(1) != key) {
                            throw new AssertionError("call " + key + " answered with " + L4.mr(1));
                        }
                        o = 0;
                    } else if (L4.errorCode() == CANCELED_SEND) {
                        o = 1;
                    } else if (L4.errorCode() == CANCELED_RECEIVE) {
                        o = 2;
                    } else {
                        throw new AssertionError("call " + key + " failed: " + IpcError.describe(L4.errorCode()));
                    }
                    outcome.merge(key, o, (x, y) -> -100);
                }
                finished.incrementAndGet();
            }));
        }
        kernel.createThread(ThreadSpec.daemon("migrator", 2, () -> {
            for (int i = 0; stop.get() == 0; i++) {
                L4.migrate(server, i % 2 == 0 ? 4 : 1);
                L4.sleep(4_000 + 900 * (i % 3));
            }
        }));
        kernel.createThread(ThreadSpec.daemon("aborter", 3, () -> {
            for (int i = 0; stop.get() == 0; i++) {
                L4.sleep(600 + 233 * (i % 7));
                L4.exchangeRegisters(clients[i % 3], ExchangeRegisters.CANCEL_SEND | ExchangeRegisters.CANCEL_RECEIVE,
                        0, 0, 0, 0, null);
            }
        }));
        kernel.createThread(ThreadSpec.of("main", 1, () -> {
            while (finished.get() < 3) {
                L4.sleep(5_000);
            }
            stop.set(1);
            L4.sleep(100_000);
        }));
        runClean(machine, kernel);
        assertEquals(3 * perClient, outcome.size());
        for (var e : outcome.entrySet()) {
            long key = e.getKey();
            int o = e.getValue();
            Integer n = served.get(key);
            switch (o) {
                case 0, 2 -> assertEquals(1, n, () -> "seed " + seed + ": call " + key + " (outcome " + o
                        + ") served " + n + " times");
                case 1 -> assertEquals(null, n, () -> "seed " + seed + ": call " + key
                        + " canceled in its send phase but served");
                default -> throw new AssertionError("call " + key + " returned twice");
            }
        }
        assertTrue(served.keySet().stream().allMatch(outcome::containsKey), "nothing served that was not sent");
        assertNothingLeaked(kernel);
    }

    /** A mutable counter captured by the thread lambdas. */
    private static final class AtomicIntegerArrayHolder {
        final AtomicInteger count = new AtomicInteger();
    }

    /** Over a few random interleavings the aborts meet a polling proxy and come too late. */
    @Test
    void theSeedsReachEveryStage() {
        long hooked = 0;
        long polling = 0;
        long nothing = 0;
        for (long seed = 1; seed <= 6; seed++) {
            long[] s = stageRun(seed);
            hooked += s[XpExchangeRegisters.S_ABORT_HOOKED];
            polling += s[XpExchangeRegisters.S_ABORT_POLLING];
            nothing += s[XpExchangeRegisters.S_UNWIND_FOUND_NOTHING];
        }
        assertTrue(polling > 0, "aborts in the send queue");
        assertTrue(nothing > 0, "aborts that came too late");
    }

    private static long[] stageRun(long seed) {
        Machine machine = new Machine(config(3, seed).strategy(ScheduleStrategy.RANDOM).build());
        Kernel kernel = Kernel.boot(machine);
        watchdog(kernel, 0, 50_000_000);
        AtomicInteger stop = new AtomicInteger();
        ThreadId b = kernel.createThread(ThreadSpec.daemon("receiver", 2, () -> {
            for (int i = 0; ; i++) {
                L4.receive(ThreadId.ANY);
                L4.compute(4_000 + 3_000 * (i % 4)); // slow: senders wait in its send queue
            }
        }));
        ThreadId a = kernel.createThread(ThreadSpec.of("sender", 1, () -> {
            for (int i = 0; i < 40; i++) {
                L4.send(b, MsgTag.make(0, 0));
            }
            stop.set(1);
        }));
        kernel.createThread(ThreadSpec.daemon("aborter", 0, () -> {
            for (int i = 0; stop.get() == 0; i++) {
                L4.sleep(400 + 170 * (i % 9));
                cancelSend(a);
            }
        }));
        runClean(machine, kernel);
        return stats(kernel);
    }
}
