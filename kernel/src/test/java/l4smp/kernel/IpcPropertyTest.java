package l4smp.kernel;

import l4smp.emulator.ExecutionMode;
import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.ipc.Timeout;
import l4smp.kernel.thread.ThreadId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout.ThreadMode;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Property: random sequences of IPC operations among a few threads never lose or duplicate a
 * message, carry its words intact, and every operation completes or fails with an expected
 * code. Every message carries a unique sequence number; a message counts as delivered when the
 * sender's send phase succeeded, as received when the receiver's receive phase did, and the two
 * multisets must be equal. Only finite timeouts are used, so no run can deadlock.
 */
@org.junit.jupiter.api.Timeout(value = 120, threadMode = ThreadMode.SAME_THREAD)
class IpcPropertyTest {

    static final int SEND = 0;
    static final int RECEIVE = 1;
    static final int CALL = 2;
    static final int SEND_RECEIVE_ANY = 3;
    static final int COMPUTE = 4;
    static final int YIELD = 5;

    /** One planned operation of a thread's script. */
    record Op(int kind, int partner, boolean open, long sendTimeout, long receiveTimeout, int words, long cycles) {
    }

    /** What the run observed (owner: whichever CPU thread appends; synchronised lists). */
    static final class Observed {
        final List<Long> delivered = Collections.synchronizedList(new ArrayList<>());
        final List<Long> received = Collections.synchronizedList(new ArrayList<>());
        final List<String> problems = Collections.synchronizedList(new ArrayList<>());
        final int[] completed;
        final int[] errorsByCode = new int[8];

        Observed(int threads) {
            completed = new int[threads];
        }
    }

    static long timeout(Random r) {
        return switch (r.nextInt(4)) {
            case 0 -> Timeout.ZERO;
            case 1 -> 1 + r.nextInt(500);
            default -> 1 + r.nextInt(20_000);
        };
    }

    static List<Op> script(Random r, int self, int threads, int ops) {
        List<Op> list = new ArrayList<>();
        for (int i = 0; i < ops; i++) {
            int kind = r.nextInt(100) < 90 ? r.nextInt(4) : 4 + r.nextInt(2);
            int partner = r.nextInt(threads - 1);
            if (partner >= self) {
                partner++;
            }
            list.add(new Op(kind, partner, r.nextBoolean(), timeout(r), timeout(r), 2 + r.nextInt(4),
                    r.nextInt(2_000)));
        }
        return list;
    }

    static long checkWord(long seq, int i) {
        return seq * 1_000_003L + i;
    }

    /**
     * The body of thread {@code self} (a global index into {@code ids}; its partners are
     * {@code base + op.partner()}): runs its script and records what happened.
     */
    static void runScript(int self, int base, List<Op> script, ThreadId[] ids, Observed obs) {
        long counter = 0;
        for (Op op : script) {
            switch (op.kind()) {
                case COMPUTE -> L4.compute(op.cycles());
                case YIELD -> L4.yieldCpu();
                default -> {
                    boolean sends = op.kind() != RECEIVE;
                    boolean receives = op.kind() != SEND;
                    long seq = ((long) self << 32) | counter++;
                    ThreadId to = sends ? ids[base + op.partner()] : ThreadId.NIL;
                    ThreadId from = switch (op.kind()) {
                        case SEND -> ThreadId.NIL;
                        case RECEIVE -> op.open() ? ThreadId.ANY : ids[base + op.partner()];
                        case CALL -> ids[base + op.partner()];
                        default -> ThreadId.ANY;
                    };
                    int tag = 0;
                    if (sends) {
                        L4.setMr(1, seq);
                        for (int i = 2; i <= op.words(); i++) {
                            L4.setMr(i, checkWord(seq, i));
                        }
                        tag = MsgTag.make(self + 1, op.words());
                    }
                    int result = L4.ipc(to, from, tag, sends ? op.sendTimeout() : Timeout.ZERO,
                            receives ? op.receiveTimeout() : Timeout.ZERO);
                    int err = L4.errorCode();
                    String what = "thread " + self + " op " + op;
                    if (MsgTag.isError(result) != (err != 0)) {
                        obs.problems.add(what + ": E flag and error word disagree: " + err);
                    }
                    if (err != 0) {
                        int code = IpcError.code(err);
                        int phase = IpcError.phase(err);
                        obs.errorsByCode[code]++;
                        if (code != IpcError.TIMEOUT && code != IpcError.NO_PARTNER) {
                            obs.problems.add(what + ": unexpected " + IpcError.describe(err));
                        }
                        if (phase == IpcError.PHASE_SEND && !sends || phase == IpcError.PHASE_RECEIVE && !receives) {
                            obs.problems.add(what + ": error in a phase it did not have: " + IpcError.describe(err));
                        }
                        if (code == IpcError.TIMEOUT && phase == IpcError.PHASE_SEND && op.sendTimeout() == Timeout.NEVER
                                || code == IpcError.TIMEOUT && phase == IpcError.PHASE_RECEIVE
                                && op.receiveTimeout() == Timeout.NEVER) {
                            obs.problems.add(what + ": timeout of a phase without one");
                        }
                    }
                    boolean sendOk = sends && (err == 0 || IpcError.phase(err) == IpcError.PHASE_RECEIVE);
                    if (sendOk) {
                        obs.delivered.add(seq);
                    }
                    if (receives && err == 0) {
                        long got = L4.mr(1);
                        int sender = (int) (got >>> 32);
                        if (MsgTag.label(result) != sender + 1 || MsgTag.untyped(result) < 2) {
                            obs.problems.add(what + ": tag " + MsgTag.toString(result) + " for message " + got);
                        }
                        for (int i = 2; i <= MsgTag.untyped(result); i++) {
                            if (L4.mr(i) != checkWord(got, i)) {
                                obs.problems.add(what + ": MR" + i + " of message " + got + " is " + L4.mr(i));
                            }
                        }
                        if (sender < 0 || sender >= ids.length || !L4.from().equals(ids[sender])) {
                            obs.problems.add(what + ": from " + L4.from() + " but the message is from thread " + sender);
                        }
                        if (!from.isAny() && !L4.from().equals(from)) {
                            obs.problems.add(what + ": closed receive got a message from " + L4.from());
                        }
                        obs.received.add(got);
                    }
                }
            }
            obs.completed[self]++;
        }
    }

    static Observed run(ExecutionMode mode, int cpus, int threadsPerCpu, int ops, long seed) {
        KernelRig rig = new KernelRig(KernelRig.config(mode, cpus, seed).build());
        Random random = new Random(seed);
        Observed obs = new Observed(cpus * threadsPerCpu);
        ThreadId[] ids = new ThreadId[cpus * threadsPerCpu];
        for (int c = 0; c < cpus; c++) {
            int base = c * threadsPerCpu; // partners only on the same CPU
            for (int t = 0; t < threadsPerCpu; t++) {
                int global = base + t;
                List<Op> script = script(random, t, threadsPerCpu, ops);
                ids[global] = rig.spawn("t" + global, c, () -> runScript(global, base, script, ids, obs));
            }
        }
        rig.runClean();
        for (int i = 0; i < obs.completed.length; i++) {
            assertEquals(ops, obs.completed[i], "thread " + i + " did not complete its script (seed " + seed + ")");
        }
        return obs;
    }

    static void assertNoLossNoDuplicate(Observed obs, long seed) {
        assertTrue(obs.problems.isEmpty(), () -> "seed " + seed + ": " + obs.problems);
        List<Long> delivered = new ArrayList<>(obs.delivered);
        List<Long> received = new ArrayList<>(obs.received);
        assertEquals(delivered.size(), Set.copyOf(delivered).size(), "a sequence number delivered twice");
        assertEquals(received.size(), Set.copyOf(received).size(), () -> "seed " + seed + ": a message received twice");
        Collections.sort(delivered);
        Collections.sort(received);
        assertEquals(delivered, received, () -> "seed " + seed + ": delivered and received messages differ");
    }

    @Test
    void randomLocalIpcNeverLosesOrDuplicatesMessagesDeterministic() {
        long messages = 0;
        int[] codes = new int[8];
        for (long seed = 1; seed <= 25; seed++) {
            Observed obs = run(ExecutionMode.DETERMINISTIC, 1, 4, 150, seed);
            assertNoLossNoDuplicate(obs, seed);
            messages += obs.received.size();
            for (int i = 0; i < 8; i++) {
                codes[i] += obs.errorsByCode[i];
            }
        }
        // the property is only worth something if the runs exercised every outcome
        assertTrue(messages > 1_000, "too few messages got through: " + messages);
        assertTrue(codes[IpcError.TIMEOUT] > 100, "timeouts: " + codes[IpcError.TIMEOUT]);
        assertTrue(codes[IpcError.NO_PARTNER] > 0, "no thread ever met a dead partner");
    }

    @Test
    void randomLocalIpcOnTwoParallelCpus() {
        for (long seed = 100; seed < 103; seed++) {
            Observed obs = run(ExecutionMode.PARALLEL, 2, 3, 150, seed);
            assertNoLossNoDuplicate(obs, seed);
            assertTrue(obs.received.size() > 50, "too few messages: " + obs.received.size());
        }
    }

    @Test
    void theSameSeedGivesTheSameRun() {
        Observed a = run(ExecutionMode.DETERMINISTIC, 2, 3, 100, 77);
        Observed b = run(ExecutionMode.DETERMINISTIC, 2, 3, 100, 77);
        assertEquals(a.received, b.received, "the order of receipt must repeat");
        assertEquals(a.delivered, b.delivered);
    }
}
