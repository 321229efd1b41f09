package l4smp.kernel.conformance;

import l4smp.kernel.api.ExchangeRegisters;
import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.thread.ThreadId;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The cases of l4test's {@code exreg.cc} (ExchangeRegisters), in every variant: the target runs
 * on the caller's CPU or on the other one (there the request runs on the target's CPU, thesis
 * 8.4.3). Control bits as X.2 lays them out ({@code d h p u f i s S R H}; Pistachio
 * {@code exregs_ctrl_t}: halt 0, recv 1, send 2, sp 3, ip 4, flags 5, uhandle 6, pager 7,
 * haltflag 8).
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SAME_THREAD)
class ExregConformanceTest {

    /** A thread number no case creates (user numbers start at 32). */
    static final ThreadId UNUSED = ThreadId.of(4000, 1);

    static List<Variant> variants() {
        return Variant.all();
    }

    /**
     * l4test {@code exreg_ret}: exchange-registers on a thread that does not exist (control
     * R | S | s | i | p, as {@code dumb_exreg_thread}) returns nilthread; the error code is 2
     * (Pistachio {@code SYS_EXCHANGE_REGISTERS}: {@code set_error_code (EINVALID_THREAD)} and
     * {@code return_exchange_registers (threadid_t::nilthread (), ...)}; X.2: "unavailable thread").
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void exregOfAThreadThatDoesNotExistReturnsNil(Variant v) {
        ConformanceRig rig = new ConformanceRig(v);
        rig.spawn("caller", 0, () -> {
            ExchangeRegisters.Result r = L4.exchangeRegisters(UNUSED, ExchangeRegisters.CANCEL_RECEIVE
                    | ExchangeRegisters.CANCEL_SEND | ExchangeRegisters.SET_SP | ExchangeRegisters.SET_IP
                    | ExchangeRegisters.SET_PAGER, 0, 0, 0, 0, L4.myself());
            rig.note("nil " + r.thread().isNil() + " error " + L4.errorCode());
        });
        rig.runClean();
        assertEquals(List.of("nil true error 2"), rig.log, v.toString());
    }

    /**
     * The halt flag (X.2 ExchangeRegisters: "h: the halt flag is set to H"; Pistachio
     * {@code perform_exregs}: halts only when {@code haltflag_flag} and {@code halt_flag} are
     * set, resumes when {@code haltflag_flag} is set without {@code halt_flag}): control 0x1 (H
     * alone) leaves a computing thread running, 0x101 halts it (its progress stops, the next
     * read returns H in the control word), 0x100 resumes it.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void haltFlagAppliesOnlyWithTheSmallH(Variant v) {
        ConformanceRig rig = new ConformanceRig(v);
        AtomicLong progress = new AtomicLong();
        AtomicLong stop = new AtomicLong();
        ThreadId worker = rig.spawn("worker", 1, () -> {
            while (stop.get() == 0) {
                progress.incrementAndGet();
                L4.compute(1_000);
            }
        });
        rig.spawn("controller", 0, () -> {
            L4.sleep(20_000);
            ExchangeRegisters.Result r = L4.exchangeRegisters(worker, ExchangeRegisters.HALT, 0, 0, 0, 0, null);
            long p0 = progress.get();
            L4.sleep(50_000);
            rig.note("H alone: ok " + r.ok() + ", runs on " + (progress.get() > p0) + ", halted "
                    + L4.readRegisters(worker).halted());
            r = L4.exchangeRegisters(worker, ExchangeRegisters.SET_HALT | ExchangeRegisters.HALT, 0, 0, 0, 0, null);
            long p1 = progress.get();
            L4.sleep(50_000);
            ExchangeRegisters.Result read = L4.readRegisters(worker);
            rig.note("0x101: ok " + r.ok() + ", stopped " + (progress.get() == p1) + ", control H "
                    + ((read.control() & ExchangeRegisters.HALT) != 0));
            L4.exchangeRegisters(worker, ExchangeRegisters.SET_HALT, 0, 0, 0, 0, null);
            long p2 = progress.get();
            L4.sleep(50_000);
            rig.note("0x100: runs on " + (progress.get() > p2) + ", control H "
                    + ((L4.readRegisters(worker).control() & ExchangeRegisters.HALT) != 0));
            stop.set(1);
        });
        rig.runClean();
        assertEquals(List.of("H alone: ok true, runs on true, halted false",
                "0x101: ok true, stopped true, control H true",
                "0x100: runs on true, control H false"), rig.log, v.toString());
    }

    /**
     * The returned control word (X.2; Pistachio {@code perform_exregs}'s {@code old_control}):
     * R (bit 1) for a thread in its receive phase, S (bit 2) for one in its send phase, before a
     * cancel of that phase; the cancel then fails the IPC with error 3 in that phase (l4test
     * {@code ipc.cc}, "Send cancelled" / "Receive cancelled").
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void returnedControlWordReportsTheIpcPhase(Variant v) {
        ConformanceRig rig = new ConformanceRig(v);
        ThreadId[] ids = new ThreadId[3];
        ids[0] = rig.spawn("controller", 0, () -> {
            L4.sleep(30_000);
            ExchangeRegisters.Result r = L4.exchangeRegisters(ids[1], ExchangeRegisters.CANCEL_RECEIVE, 0, 0, 0, 0, null);
            rig.note("receiver control " + r.control());
            r = L4.exchangeRegisters(ids[2], ExchangeRegisters.CANCEL_SEND, 0, 0, 0, 0, null);
            rig.note("sender control " + r.control());
        });
        ids[1] = rig.spawn("receiver", 1, () -> {
            int tag = L4.receive(ThreadId.ANY);
            rig.note("receiver error " + MsgTag.isError(tag) + " code " + IpcError.code(L4.errorCode())
                    + " phase " + IpcError.phase(L4.errorCode()));
        });
        ids[2] = rig.spawn("sender", 1, () -> {
            int tag = L4.send(ids[0], 0); // the controller never receives
            rig.note("sender error " + MsgTag.isError(tag) + " code " + IpcError.code(L4.errorCode())
                    + " phase " + IpcError.phase(L4.errorCode()));
        });
        rig.runClean();
        assertEquals(List.of("receiver control 2", "receiver error true code 3 phase 1",
                "sender control 4", "sender error true code 3 phase 0"), rig.log.stream().sorted().toList(),
                v.toString());
    }

    /**
     * l4test {@code exreg_inactive_thread}: a thread created inactive (no program) is started by
     * exchange-registers with control {@code (0x33 << 3) + 6} (R, S, s, i, p, h: new stack and
     * instruction pointer, resumed); it then sends to its starter, who receives from it. The
     * starter runs on the other CPU in the cross variants (the inactive thread stays on its
     * creator's CPU, X.2 ThreadControl creates on the caller's processor).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void exchangeRegistersStartsAnInactiveThread(Variant v) {
        ConformanceRig rig = new ConformanceRig(v);
        AtomicReference<ThreadId> inactive = new AtomicReference<>();
        ThreadId[] ids = new ThreadId[2];
        ids[0] = rig.spawn("creator", 0, () -> {
            inactive.set(L4.createThread(ThreadId.NIL, "inactive", 100, false, null));
            rig.note("created " + !inactive.get().isNil());
        });
        ids[1] = rig.spawn("starter", 1, () -> {
            L4.sleep(20_000);
            ThreadId t = inactive.get();
            ExchangeRegisters.Result before = L4.readRegisters(t);
            ExchangeRegisters.Result r = L4.exchangeRegisters(t, (0x33 << 3) + 6, 0x1000, 0x2000, 0, 0, ThreadId.NIL,
                    () -> L4.call(ids[1], MsgTag.make(0x5, 0)));
            int tag = L4.receive(t, 5_000_000);
            rig.note("inactive halted " + before.halted() + ", start ok " + r.ok() + ", received "
                    + !MsgTag.isError(tag) + " label " + MsgTag.label(MsgTag.withoutCrossedBits(tag)) + ", ip now 0x"
                    + Long.toHexString(L4.readRegisters(t).ip()));
            L4.send(t, 0); // its call's reply: it ends
        });
        rig.runClean();
        assertEquals(List.of("created true",
                "inactive halted true, start ok true, received true label 5, ip now 0x2000"), rig.log, v.toString());
    }

    /**
     * An entry program is the continuation analogue of a new instruction pointer. Given to a
     * thread blocked in an IPC without S or R, the IPC goes on, and when it ends the thread
     * continues at the new entry, not after its receive (Pistachio {@code perform_exregs}:
     * {@code set_user_ip} rewrites the user frame, an IPC is unwound only for the S and R flags;
     * the returned control word has R, the thread was receiving). The caller cannot give itself
     * a new entry: its continuation makes the call (nilthread, X.2 error 5, invalid parameter).
     * An entry without i is refused by the facade before the trap.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void aNewEntryTakesEffectWhenTheBlockedIpcEnds(Variant v) {
        ConformanceRig rig = new ConformanceRig(v);
        ThreadId[] ids = new ThreadId[2];
        ids[0] = rig.spawn("target", 0, () -> {
            L4.receive(ids[1]);
            rig.note("old program went on");
        });
        ids[1] = rig.spawn("caller", 1, () -> {
            L4.sleep(10_000);
            ExchangeRegisters.Result r = L4.exchangeRegisters(ids[0], ExchangeRegisters.SET_IP, 0, 7, 0, 0, null,
                    () -> rig.note("new entry runs, ip " + L4.readRegisters(L4.myself()).ip()));
            rig.note("ok " + r.ok() + " old ip " + r.ip() + " receiving "
                    + ((r.control() & ExchangeRegisters.CANCEL_RECEIVE) != 0));
            ExchangeRegisters.Result self = L4.exchangeRegisters(L4.myself(), ExchangeRegisters.SET_IP, 0, 9, 0, 0,
                    null, () -> rig.note("caller restarted"));
            rig.note("self: nil " + self.thread().isNil() + " error " + L4.errorCode());
            try {
                L4.exchangeRegisters(ids[0], 0, 0, 0, 0, 0, null, () -> { });
            } catch (IllegalArgumentException e) {
                rig.note("refused: " + e.getMessage());
            }
            rig.note("send ok " + !MsgTag.isError(L4.send(ids[0], 0)));
        });
        rig.runClean();
        assertEquals(List.of("new entry runs, ip 7", "ok true old ip 0 receiving true",
                "refused: exchange-registers: an entry program needs the i bit (SET_IP)", "self: nil true error 5",
                "send ok true"), rig.log.stream().sorted().toList(), v.toString());
    }

    /**
     * l4test {@code ex_thrash} ("ExReg many times (with wait)"): a started thread that sleeps in
     * a loop (its {@code printy_thread}) is given a new instruction pointer and stack 20 times
     * with {@code do_exreg_thread}'s control R | S | s | i | p, a while apart, then killed. Each
     * call succeeds and finds the thread receiving (its sleep; R in the returned control word,
     * Pistachio {@code perform_exregs}), cancels that receive ({@code unwind}), and the thread
     * continues at the new entry: every new entry starts, and no abandoned one ever runs again.
     * {@code ex_thrash2} ("without wait"): 50 calls back to back, the thread mostly without a
     * moment to run between them; the last entry starts, no abandoned one runs. ThreadControl
     * then deletes the thread; the kernel's invariants hold (no queue entry of a dropped
     * continuation is left).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void exThrashMovesARunningThreadToNewEntries(Variant v) {
        for (boolean wait : new boolean[] {true, false}) {
            int rounds = wait ? 20 : 50;
            ConformanceRig rig = new ConformanceRig(v);
            java.util.concurrent.atomic.AtomicIntegerArray started = new java.util.concurrent.atomic.AtomicIntegerArray(
                    rounds + 1);
            java.util.concurrent.atomic.AtomicIntegerArray retired = new java.util.concurrent.atomic.AtomicIntegerArray(
                    rounds + 1);
            java.util.function.IntFunction<l4smp.kernel.UserProgram> printy = g -> () -> {
                started.incrementAndGet(g);
                while (true) {
                    L4.sleep(200_000); // (the thrasher's pauses are shorter: each call finds it asleep)
                    if (retired.get(g) != 0) {
                        rig.note("generation " + g + " ran after it was replaced");
                    }
                }
            };
            ThreadId[] ids = new ThreadId[2];
            ids[0] = rig.spawn("printy", 0, printy.apply(0));
            ids[1] = rig.spawn("thrasher", 1, () -> {
                L4.sleep(20_000);
                int ok = 0;
                int receiving = 0;
                for (int g = 1; g <= rounds; g++) {
                    l4smp.kernel.UserProgram p = printy.apply(g);
                    ExchangeRegisters.Result r = L4.exchangeRegisters(ids[0], ExchangeRegisters.CANCEL_RECEIVE
                            | ExchangeRegisters.CANCEL_SEND | ExchangeRegisters.SET_SP | ExchangeRegisters.SET_IP
                            | ExchangeRegisters.SET_PAGER, 0x8000 + g, 0x1000 + g, 0, 0, L4.myself(), p::run);
                    retired.set(g - 1, 1);
                    ok += r.ok() ? 1 : 0;
                    receiving += (r.control() & ExchangeRegisters.CANCEL_RECEIVE) != 0 ? 1 : 0;
                    if (wait) {
                        L4.sleep(20_000);
                    }
                }
                L4.sleep(20_000);
                int all = 0;
                for (int g = 0; g <= rounds; g++) {
                    all += started.get(g) > 0 ? 1 : 0;
                }
                rig.note("ok " + ok + (wait ? ", receiving " + receiving + ", entries started " + all
                        : ", last entry started " + (started.get(rounds) > 0)) + ", ip 0x"
                        + Long.toHexString(L4.readRegisters(ids[0]).ip()) + ", deleted " + L4.deleteThread(ids[0]));
            });
            rig.runClean();
            assertEquals(List.of("ok " + rounds + (wait ? ", receiving " + rounds + ", entries started " + (rounds + 1)
                    : ", last entry started true") + ", ip 0x" + Long.toHexString(0x1000 + rounds) + ", deleted true"),
                    rig.log, v + (wait ? ", with wait" : ", without wait"));
        }
    }

    /**
     * A thread waiting for its pager's answer to a page fault is given a new entry and a new
     * pager (i and p, without R or S: the fault IPC goes on, Pistachio {@code perform_exregs}).
     * The old pager then ends, so that fault IPC fails (non-existing partner); the thread
     * continues at its new entry, which knows nothing of the old access: its own first fault
     * goes to the new pager and is resolved (a page fault whose IPC failed is the old
     * program's, not the new one's).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void aNewEntryDuringAFaultIpcStartsFreshWithTheNewPager(Variant v) {
        ConformanceRig rig = new ConformanceRig(v);
        var spaces = rig.kernel.spaces();
        ThreadId sigma0 = spaces.startSigma0(0);
        long blocked = 0x0100_0000L;
        long fresh = 0x0200_0000L;
        java.util.concurrent.atomic.AtomicBoolean seen = new java.util.concurrent.atomic.AtomicBoolean();
        ThreadId oldPager = spaces.createThread(l4smp.kernel.ThreadSpec.daemon("old pager", v.cpuOf(0),
                IpcStringConformanceTest.blockingPager(sigma0, blocked, seen)), spaces.createSpace("old pager"), sigma0);
        ThreadId newPager = spaces.createThread(l4smp.kernel.ThreadSpec.daemon("new pager", v.cpuOf(0),
                new l4smp.kernel.user.AnonymousPager(sigma0)), spaces.createSpace("new pager"), sigma0);
        ThreadId target = spaces.createThread(l4smp.kernel.ThreadSpec.of("faulter", v.cpuOf(0), () -> {
            L4.store(blocked, 1);
            rig.note("old program went on");
        }), spaces.createSpace("faulter"), oldPager);
        rig.spawn("controller", 1, () -> {
            while (!seen.get()) {
                L4.sleep(2_000);
            }
            ExchangeRegisters.Result r = L4.exchangeRegisters(target, ExchangeRegisters.SET_IP
                    | ExchangeRegisters.SET_PAGER, 0, 0x3000, 0, 0, newPager, () -> {
                        L4.store(fresh, 42);
                        rig.note("new entry stored and loaded " + L4.load(fresh));
                    });
            rig.note("exregs ok " + r.ok() + ", old pager deleted " + L4.deleteThread(oldPager));
        });
        rig.runClean();
        assertEquals(List.of("exregs ok true, old pager deleted true", "new entry stored and loaded 42"),
                rig.log.stream().sorted().toList(), v.toString());
    }

    /**
     * l4test {@code ex_tc}: exchange-registers on a thread id before the thread exists fails;
     * ThreadControl then creates a thread with exactly that id (X.2 ThreadControl: the dest
     * thread id, number and version, is the caller's choice), which exchange-registers reaches.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void exregThenThreadControlWithThatId(Variant v) {
        ConformanceRig rig = new ConformanceRig(v);
        ThreadId chosen = ThreadId.of(3000, 7);
        rig.spawn("caller", 0, () -> {
            boolean before = L4.readRegisters(chosen).ok();
            ThreadId made = L4.createThread(chosen, "chosen", 100, false, () -> rig.note("chosen runs as "
                    + L4.myself()));
            rig.note("before " + before + ", made " + made + ", exreg ok " + L4.readRegisters(chosen).ok());
        });
        rig.runClean();
        assertEquals(List.of("before false, made 3000.7, exreg ok true", "chosen runs as 3000.7"), rig.log,
                v.toString());
    }

    static List<Variant> allAbis() {
        return Variant.allAbis();
    }

    /**
     * l4test {@code exreg_g2l}: {@code L4_GlobalIdOf (L4_MyLocalId ())} is the caller's global id
     * and {@code L4_LocalIdOf (L4_MyGlobalId ())} its local id, both computed by
     * ExchangeRegisters with control 0, which returns the other form of its dest (X.2
     * ExchangeRegisters: dest a local or global id of a thread of the caller's space; Pistachio
     * {@code SYS_EXCHANGE_REGISTERS} returns "is_local ? dst->get_global_id () :
     * dst->get_local_id ()"). The thesis ABI names threads by global ids only (as its
     * {@code from}), so there a global dest comes back global. A local id reaches a thread of the
     * caller's space on the other CPU too: reading its registers there returns its global id.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("allAbis")
    void exregsTakesALocalOrGlobalIdAndReturnsTheOtherForm(Variant v) {
        ConformanceRig rig = new ConformanceRig(v);
        ThreadId[] ids = new ThreadId[2];
        ids[0] = rig.spawn("target", 0, () -> L4.receive(ids[1]));
        ids[1] = rig.spawn("caller", 1, () -> {
            ExchangeRegisters.Result g = L4.exchangeRegisters(L4.myLocalId(), 0, 0, 0, 0, 0, null);
            ExchangeRegisters.Result l = L4.exchangeRegisters(L4.myself(), 0, 0, 0, 0, 0, null);
            rig.note("global of my local id is me " + g.thread().equals(L4.myself())
                    + ", local of my global id " + (l.thread().equals(L4.myLocalId()) ? "local" : l.thread().equals(
                    L4.myself()) ? "global" : l.thread().toString()));
            L4.sleep(10_000);
            ExchangeRegisters.Result other = L4.readRegisters(ThreadId.local(ids[0].number()));
            rig.note("other by local id: ok " + other.ok() + ", names it " + other.thread().equals(ids[0])
                    + ", receiving " + ((other.control() & ExchangeRegisters.CANCEL_RECEIVE) != 0));
            L4.send(ids[0], 0);
        });
        rig.runClean();
        String local = v.abi() == l4smp.kernel.ipc.Abi.X2 ? "local" : "global";
        assertEquals(List.of("global of my local id is me true, local of my global id " + local,
                "other by local id: ok true, names it true, receiving true"), rig.log, v.toString());
    }
}
