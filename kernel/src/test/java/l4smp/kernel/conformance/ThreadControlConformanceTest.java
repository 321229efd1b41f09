package l4smp.kernel.conformance;

import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.ipc.Timeout;
import l4smp.kernel.thread.ThreadId;
import org.junit.jupiter.api.Timeout.ThreadMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The cases of l4test's {@code tcontrol.cc} (ThreadControl), in every variant. Expected values
 * from X.2 ThreadControl and Pistachio's {@code sys_thread_control} ({@code api/v4/thread.cc}).
 */
@org.junit.jupiter.api.Timeout(value = 60, threadMode = ThreadMode.SAME_THREAD)
class ThreadControlConformanceTest {

    static List<Variant> variants() {
        return Variant.all();
    }

    /**
     * l4test {@code run_a_thread}: ThreadControl creates a thread with the caller's choice of
     * global id (X.2: the dest thread id, thread number and version), it runs as that id, and
     * ThreadControl deletes it again ({@code kill_thread}); afterwards the id names no thread.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void runAThreadWithAChosenIdAndDeleteIt(Variant v) {
        ConformanceRig rig = new ConformanceRig(v);
        ThreadId chosen = ThreadId.of(2000, 3);
        rig.spawn("creator", 0, () -> {
            ThreadId t = L4.createThread(chosen, "printy", 100, true, () -> {
                rig.note("runs as " + L4.myself());
                L4.receive(ThreadId.ANY); // waits until deleted
            });
            L4.sleep(20_000);
            boolean deleted = L4.deleteThread(t);
            rig.note("created " + t + ", deleted " + deleted + ", exists after " + L4.readRegisters(chosen).ok());
        });
        rig.runClean();
        assertEquals(List.of("runs as 2000.3", "created 2000.3, deleted true, exists after false"), rig.log,
                v.toString());
    }

    /**
     * A chosen id must be a free user thread number: one held by a live thread, or an interrupt
     * thread's number, is refused with X.2 error 2 (unavailable thread); the id of a thread that
     * was deleted may be taken again with a new version (X.2: the version tells the incarnations
     * apart, so the old id no longer reaches the new thread).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void chosenIdMustBeAvailable(Variant v) {
        ConformanceRig rig = new ConformanceRig(v);
        rig.spawn("creator", 0, () -> {
            ThreadId taken = L4.createThread(ThreadId.NIL, "first", 100, true, () -> L4.receive(ThreadId.ANY));
            ThreadId again = L4.createThread(ThreadId.of(taken.number(), 2), "second", 100, true, () -> { });
            int e1 = L4.errorCode();
            ThreadId irq = L4.createThread(ThreadId.of(3, 1), "irq", 100, true, () -> { });
            int e2 = L4.errorCode();
            L4.deleteThread(taken);
            ThreadId reused = L4.createThread(ThreadId.of(taken.number(), 2), "reused", 100, true,
                    () -> L4.receive(ThreadId.ANY));
            rig.note("live " + again + " error " + e1 + ", interrupt number " + irq + " error " + e2 + ", reused "
                    + reused.equals(ThreadId.of(taken.number(), 2)) + ", old id reaches it "
                    + L4.readRegisters(taken).ok());
        });
        rig.runClean();
        assertEquals(List.of("live nilthread error 2, interrupt number nilthread error 2, reused true, "
                + "old id reaches it false"), rig.log, v.toString());
    }

    /**
     * l4test {@code delete_self}: a thread that deletes itself is refused and goes on (Pistachio
     * {@code sys_thread_control}: "do not allow deletion of ourself"; the call returns 0, error 2
     * unavailable thread).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void deleteSelfIsRefusedAndTheCallerGoesOn(Variant v) {
        ConformanceRig rig = new ConformanceRig(v);
        rig.spawn("self", 1, () -> {
            boolean deleted = L4.deleteThread(L4.myself());
            rig.note("deleted " + deleted + " error " + L4.errorCode() + ", still runs");
        });
        rig.runClean();
        assertEquals(List.of("deleted false error 2, still runs"), rig.log, v.toString());
    }

    /**
     * l4test {@code tc_then_exreg}: a thread created inactive does not run until
     * exchange-registers gives it its program and resumes it ({@code do_exreg_thread}: new ip and
     * sp); then it runs (its flag is set).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void inactiveUntilStarted(Variant v) {
        ConformanceRig rig = new ConformanceRig(v);
        AtomicInteger worked = new AtomicInteger();
        rig.spawn("creator", 0, () -> {
            ThreadId t = L4.createThread(ThreadId.NIL, "ok-thread", 100, false, null);
            L4.sleep(50_000);
            int before = worked.get();
            boolean ok = L4.startThread(t, () -> worked.set(1)).ok();
            L4.sleep(50_000);
            rig.note("before start " + before + ", started " + ok + ", after " + worked.get());
        });
        rig.runClean();
        assertEquals(List.of("before start 0, started true, after 1"), rig.log, v.toString());
    }

    /**
     * Deleting a thread on another processor is done on that processor (Pistachio's cross-CPU
     * delete; here each CPU ends only its own threads, so the request travels like an
     * exchange-registers request): the call succeeds, the thread is gone, and a send to it fails
     * with "non-existing partner" (X.2 error 2, send phase). On one CPU the same holds locally.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void deleteAThreadOnTheOtherCpu(Variant v) {
        ConformanceRig rig = new ConformanceRig(v);
        AtomicReference<ThreadId> victim = new AtomicReference<>();
        rig.spawn("deleter", 0, () -> {
            L4.sleep(30_000);
            ThreadId t = victim.get();
            boolean deleted = L4.deleteThread(t);
            int tag = L4.send(t, 0, Timeout.ZERO);
            int code = IpcError.code(L4.errorCode());
            rig.note("deleted " + deleted + ", exists " + L4.readRegisters(t).ok() + ", send error "
                    + MsgTag.isError(tag) + " code " + code);
        });
        victim.set(rig.spawn("victim", 1, () -> L4.receive(ThreadId.ANY)));
        rig.runClean();
        assertEquals(List.of("deleted true, exists false, send error true code 2"), rig.log, v.toString());
    }

    /**
     * Arguments that cannot be encoded are refused before the trap with an exception naming the
     * argument (anythread as the dest id, a priority above 255, a start without a program), and
     * the caller goes on; the kernel is unchanged (the run's invariants hold).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void badArgumentsAreRefusedByName(Variant v) {
        ConformanceRig rig = new ConformanceRig(v);
        rig.spawn("caller", 0, () -> {
            List<Runnable> calls = List.of(
                    () -> L4.createThread(ThreadId.ANY, "x", 100, true, () -> { }),
                    () -> L4.createThread(ThreadId.NIL, "x", 300, true, () -> { }),
                    () -> L4.startThread(L4.myself(), null));
            for (Runnable call : calls) {
                try {
                    call.run();
                    rig.note("accepted");
                } catch (IllegalArgumentException e) {
                    rig.note(e.getMessage());
                }
            }
        });
        rig.runClean();
        assertEquals(List.of("ThreadControl: dest must be a thread id or nilthread, got anythread",
                "thread priority must be 0..255, got 300 for x",
                "startThread: program must not be null"), rig.log, v.toString());
    }

    /**
     * ThreadControl names its dest by a global id (X.2 ThreadControl; Pistachio
     * {@code SYS_THREAD_CONTROL}: "if (! dest_tid.is_global ()) { set_error_code
     * (EINVALID_SPACE); return_thread_control (0); }"): a delete or a create with a local id fails
     * with error 3 (invalid space) and leaves the thread it would name alone; the global id then
     * deletes it.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void threadControlRefusesALocalDestWithInvalidSpace(Variant v) {
        ConformanceRig rig = new ConformanceRig(v);
        ThreadId[] ids = new ThreadId[2];
        ids[0] = rig.spawnDaemon("victim", 0, () -> L4.receive(ThreadId.ANY));
        ids[1] = rig.spawn("controller", 1, () -> {
            L4.sleep(10_000);
            boolean deleted = L4.deleteThread(ThreadId.local(ids[0].number()));
            int deleteError = L4.errorCode();
            boolean alive = L4.readRegisters(ids[0]).ok();
            ThreadId made = L4.createThread(ThreadId.local(2500), "local", 100, false, () -> { });
            rig.note("delete by local id " + deleted + " error " + deleteError + ", alive " + alive
                    + ", create with local id nil " + made.isNil() + " error " + L4.errorCode());
            rig.note("delete by global id " + L4.deleteThread(ids[0]) + ", alive "
                    + L4.readRegisters(ids[0]).ok());
        });
        rig.runClean();
        assertEquals(List.of("delete by local id false error 3, alive true, create with local id nil true error 3",
                "delete by global id true, alive false"), rig.log, v.toString());
    }
}
