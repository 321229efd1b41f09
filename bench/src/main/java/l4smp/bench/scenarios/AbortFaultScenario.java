package l4smp.bench.scenarios;

import l4smp.bench.report.SingleWriterLatencyRecorder;
import l4smp.bench.scenario.Scenario;
import l4smp.bench.scenario.ScenarioContext;
import l4smp.kernel.Kernel;
import l4smp.kernel.ThreadSpec;
import l4smp.kernel.api.ExchangeRegisters;
import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.ipc.Timeout;
import l4smp.kernel.ipc.TypedItems;
import l4smp.kernel.space.Spaces;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.user.AnonymousPager;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Exchange-registers aborting a cross-processor IPC whose transfer is suspended in a page fault,
 * the pager on a fourth processor (thesis 8.4.3). Each operation is one round: the sender (CPU 0)
 * sends a string to the receiver (CPU 1) from a buffer that was never mapped; the copy faults,
 * the fault goes to a pager on CPU 2 that never answers, and a thread on CPU 3 cancels the
 * sender's IPC. The nested fault IPC and the suspended transfer must both end: each side reports
 * an error (X.2's "aborted") and the next round starts. A side that is left waiting (the abort
 * not carried to the partner's processor) ends the run as a deadlock; the check after the run
 * counts the rounds both sides finished.
 */
public final class AbortFaultScenario implements Scenario {

    private static final long SEND_BUFFER = 0x0100_0000L;
    private static final long RECEIVE_BUFFER = 0x0200_0000L;
    private static final int LENGTH = 2 * 4096;

    @Override
    public String name() {
        return "abort-fault";
    }

    @Override
    public String description() {
        return "exchange-registers cancels a cross-processor long IPC suspended in a page fault whose pager (CPU 2) "
                + "never answers (8.4.3, four CPUs); one op = one aborted round, both sides must end";
    }

    @Override
    public int defaultCpus() {
        return 4;
    }

    @Override
    public int minCpus() {
        return 4;
    }

    @Override
    public void setup(ScenarioContext context) {
        Kernel kernel = context.kernel();
        Spaces spaces = kernel.spaces();
        ThreadId sigma0 = spaces.startSigma0(0);
        ThreadId silent = spaces.createThread(ThreadSpec.daemon("silent-pager", 2, AbortFaultScenario::silentPager),
                spaces.createSpace("silent-pager"), sigma0);
        ThreadId receiverPager = spaces.createThread(ThreadSpec.daemon("pager", 1, new AnonymousPager(sigma0)),
                spaces.createSpace("pager"), sigma0);
        long rounds = context.ops();
        AtomicLong sending = new AtomicLong(-1); // the round whose send the sender has entered
        AtomicInteger ended = new AtomicInteger(); // sides that finished the current round
        AtomicInteger aborted = new AtomicInteger();
        SingleWriterLatencyRecorder recorder = context.recorder("round");
        ThreadId[] ids = new ThreadId[2];
        ids[1] = spaces.createThread(ThreadSpec.of("receiver", 1, () -> {
            byte[] fill = new byte[LENGTH];
            java.util.Arrays.fill(fill, (byte) 0xEE);
            L4.writeBytes(RECEIVE_BUFFER, fill);
            for (long r = 0; r < rounds; r++) {
                L4.setBr(0, TypedItems.ACCEPT_STRINGS);
                L4.setBr(1, TypedItems.stringItem(RECEIVE_BUFFER, LENGTH));
                L4.setBr(2, RECEIVE_BUFFER);
                // Tell the sender that the receiver is ready, then receive its string.
                int tag = L4.ipc(ids[0], ids[0], MsgTag.make(0, 0), Timeout.NEVER, Timeout.NEVER);
                if (MsgTag.isError(tag) && IpcError.code(L4.errorCode()) == IpcError.ABORTED) {
                    aborted.incrementAndGet();
                }
                ended.incrementAndGet();
            }
        }), spaces.createSpace("receiver"), receiverPager);
        ids[0] = spaces.createThread(ThreadSpec.of("sender", 0, () -> {
            for (long r = 0; r < rounds; r++) {
                L4.receive(ids[1]); // the receiver is ready
                L4.setMr(1, TypedItems.stringItem(SEND_BUFFER, LENGTH));
                L4.setMr(2, SEND_BUFFER);
                long c0 = L4.clock();
                long n0 = System.nanoTime();
                sending.set(r);
                int tag = L4.send(ids[1], MsgTag.make(0, 0, 2)); // faults: the buffer is never mapped
                recorder.record(L4.clock() - c0, System.nanoTime() - n0);
                if (MsgTag.isError(tag) && IpcError.code(L4.errorCode()) == IpcError.ABORTED) {
                    aborted.incrementAndGet();
                }
                ended.incrementAndGet();
                if (!awaitBothSides(ended, r)) {
                    context.fail("stall: the receiver's side of round " + r + " never ended (the abort was not carried"
                            + " to its processor)");
                    return;
                }
            }
        }), spaces.createSpace("sender"), silent);
        spaces.createThread(ThreadSpec.of("canceller", 3, () -> {
            for (long r = 0; r < rounds; r++) {
                for (long waited = 0; sending.get() < r; waited += 5_000) {
                    if (waited >= STALL_CYCLES) {
                        context.fail("stall: the sender never started round " + r);
                        return;
                    }
                    L4.sleep(5_000);
                }
                L4.sleep(60_000); // the sender waits for its pager by now
                L4.exchangeRegisters(ids[0], ExchangeRegisters.CANCEL_SEND | ExchangeRegisters.CANCEL_RECEIVE,
                        0, 0, 0, 0, ThreadId.NIL);
                if (!awaitBothSides(ended, r)) {
                    return;
                }
            }
        }), spaces.createSpace("canceller"), ThreadId.NIL);
        context.afterRun(() -> {
            context.putResult("rounds", ended.get() / 2);
            context.putResult("sides_aborted", aborted.get());
            if (ended.get() != 2 * rounds) {
                context.fail("only " + ended.get() + " of " + 2 * rounds + " sides ended their round");
            }
        });
    }

    /** Simulated cycles a round may take after the cancel before the run counts as stalled. */
    private static final long STALL_CYCLES = 5_000_000;

    /** Sleeps until both sides ended round {@code r}; false after {@link #STALL_CYCLES}. */
    private static boolean awaitBothSides(AtomicInteger ended, long r) {
        for (long waited = 0; ended.get() < 2 * (r + 1); waited += 5_000) {
            if (waited >= STALL_CYCLES) {
                return false;
            }
            L4.sleep(5_000);
        }
        return true;
    }

    /** A pager that takes faults and never answers. */
    private static void silentPager() {
        while (true) {
            L4.waitAny();
        }
    }
}
