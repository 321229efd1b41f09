package l4smp.tests;

import l4smp.emulator.cache.ConcurrentAttributionRegistry;
import l4smp.emulator.cache.KernelRegion;
import l4smp.emulator.memory.PhysicalMemory;
import l4smp.kernel.sched.ReadyList;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.xcpu.FlagLine;
import l4smp.kernel.xcpu.HostXcpuMemory;
import l4smp.kernel.xcpu.Mailbox;
import l4smp.kernel.xcpu.MailboxPool;
import l4smp.kernel.xcpu.MigrationHandshake;
import l4smp.kernel.xcpu.SpinLock;
import l4smp.kernel.xcpu.XcpuFabric;
import l4smp.kernel.xcpu.XcpuMemory;
import l4smp.kernel.xcpu.XpSendHandshake;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The negative controls can fail: each protocol's planted variant shows its forbidden outcome
 * under some seeded interleaving, and the real protocol never does, over the same schedules
 * ({@link SteppedSchedule}: the kernel's own {@link XpSendHandshake}, {@link MigrationHandshake},
 * {@link SpinLock}, {@link FlagLine}, {@link MailboxPool} and {@link XcpuFabric} code, every memory operation one
 * step; a planted variant switches off the one step that closes its race). The jcstress tests of the same
 * protocols run them on real threads and weak hardware ordering; these show that the outcome the
 * jcstress controls call "interesting" is reachable, and that the real protocol forbids it.
 */
class NegativeControlTest {

    private static final int SCHEDULES = 1500;
    private static final long LOCK = 0x1000;
    private static final long WAITING = 0x1004;
    private static final long FLAGS = 0x1080;
    private static final int BIT = 5;

    // ---- the lost wake-up of 8.3.3 (TcbLockRaceStress) ----------------------------------------

    private static Tcb thread(int cpu) {
        return new Tcb(ThreadId.of(40, 1), "t1", cpu, 100, false, () -> { });
    }

    /**
     * Runs the rendezvous once with the kernel's handshake steps ({@link XpSendHandshake}: the
     * sender's as XpSendPath runs them, the receiver's as XpMailboxCheck does; {@code withLock}
     * false is the LOST_WAKEUP plant); returns {IPI decided, flag found}.
     */
    private static int[] rendezvous(long seed, boolean withLock) {
        HostXcpuMemory mem = new HostXcpuMemory(new PhysicalMemory(16 * 1024));
        SteppedSchedule s = new SteppedSchedule(mem);
        Tcb receiver = thread(0);
        int[] r = new int[2];
        s.run(seed, sch -> {
            var m = sch.memory(0); // the sender: reads whether B waits, sets its flag
            if (!XpSendHandshake.lockOnCpu(m, LOCK, withLock, receiver, 0)) {
                throw new IllegalStateException("the receiver never moves here");
            }
            r[0] = XpSendHandshake.readWaitFor(m, WAITING) != 0 ? 1 : 0;
            XpSendHandshake.flagAndUnlock(m, FLAGS, BIT, LOCK, withLock);
        }, sch -> {
            var m = sch.memory(1); // the receiver: checks its flags, publishes that it waits
            XpSendHandshake.lockForReceive(m, LOCK, withLock);
            int found = FlagLine.checkAndAck(m, FLAGS, bit -> { });
            if (found == 0) {
                XpSendHandshake.publishWaitFor(m, WAITING, -1);
            }
            XpSendHandshake.unlock(m, LOCK, withLock);
            r[1] = found;
        }, 100_000);
        return r;
    }

    @Test
    void withoutTheTcbLockTheLostWakeupHappens() {
        int lost = 0;
        for (long seed = 1; seed <= SCHEDULES; seed++) {
            int[] r = rendezvous(seed, false);
            if (r[0] == 0 && r[1] == 0) {
                lost++;
            }
        }
        assertTrue(lost > 0, "the naive rendezvous never lost a wake-up in " + SCHEDULES + " schedules");
    }

    @Test
    void withTheTcbLockNoWakeupIsLost() {
        for (long seed = 1; seed <= SCHEDULES; seed++) {
            int[] r = rendezvous(seed, true);
            assertEquals(1, r[0] + r[1], "seed " + seed + ": exactly one of IPI and found flag");
        }
    }

    // ---- a migration against a send to the migrating thread, 8.5 race 2 (MigrationIpcStress) ----

    /**
     * t1 moves from CPU 0 to CPU 1 (XpSendHandshake.moveUnderLock, then CPU 0's check_n_ack
     * retargets what it finds to CPU 1) while a sender flags its request where it reads t1 to be.
     * Returns {requests at CPU 1, requests left at CPU 0}.
     */
    private static int[] migrationAgainstSend(long seed, boolean locking) {
        HostXcpuMemory mem = new HostXcpuMemory(new PhysicalMemory(16 * 1024));
        SteppedSchedule s = new SteppedSchedule(mem);
        Tcb t1 = thread(0);
        long[] lines = {FLAGS, FLAGS + 0x80};
        s.run(seed, sch -> {
            var m = sch.memory(0); // the sender's XP send path
            sch.step(0); // its read of t1's CPU is a step of its own
            int b = t1.cpuAcquire();
            while (!XpSendHandshake.lockOnCpu(m, LOCK, locking, t1, b)) {
                b = t1.cpuAcquire();
            }
            XpSendHandshake.flagAndUnlock(m, lines[b], BIT, LOCK, locking);
        }, sch -> {
            var m = sch.memory(1); // part B on CPU 0, then CPU 0's next check_n_ack
            sch.step(1);
            XpSendHandshake.moveUnderLock(m, LOCK, locking, t1, 1);
            FlagLine.checkAndAck(m, lines[0], bit -> FlagLine.set(m, lines[1], BIT + 1));
        }, 100_000);
        return new int[] {FlagLine.checkAndAck(mem, lines[1], bit -> { }), FlagLine.checkAndAck(mem, lines[0], bit -> { })};
    }

    @Test
    void withoutTheTcbLockAMigrationLosesARequest() {
        int lost = 0;
        for (long seed = 1; seed <= SCHEDULES; seed++) {
            if (migrationAgainstSend(seed, false)[1] > 0) {
                lost++;
            }
        }
        assertTrue(lost > 0, "the unlocked move never left a request behind in " + SCHEDULES + " schedules");
    }

    @Test
    void withTheTcbLockTheRequestFollowsTheMigratedThread() {
        for (long seed = 1; seed <= SCHEDULES; seed++) {
            int[] r = migrationAgainstSend(seed, true);
            assertEquals(1, r[0], "seed " + seed + ": the request did not reach the new CPU once");
            assertEquals(0, r[1], "seed " + seed + ": a request left at the CPU t1 left");
        }
    }

    // ---- two migrations of one thread (ConcurrentMigrationStress) ------------------------------

    private static long migrationLock(int cpu) {
        return LOCK + 0x20L * cpu;
    }

    /**
     * Initiator {@code a} moves t1 to {@code c} with the kernel's steps
     * ({@link MigrationHandshake}); {@code recheck} false skips the re-check under the locks.
     */
    private static void migrate(SteppedSchedule sch, int actor, Tcb t1, ReadyList[] ready, int a, int c, boolean recheck) {
        var m = sch.memory(actor);
        int[] order = new int[3];
        while (true) {
            sch.step(actor); // the read of t1's CPU is a step of its own
            int b = t1.cpuAcquire();
            int n = MigrationHandshake.lockOrder(a, b, c, order);
            for (int i = 0; i < n; i++) {
                SpinLock.lock(m, migrationLock(order[i]));
            }
            boolean moved = recheck && !MigrationHandshake.stillOn(t1, b);
            if (!moved && b != c) {
                ready[b].remove(t1);
                ready[c].enqueueTail(t1);
                t1.setCpuRelease(c);
            }
            MigrationHandshake.unlockAll(m, a, b, c, migrationLock(a), migrationLock(b), migrationLock(c));
            if (!moved) {
                return;
            }
        }
    }

    /** Two migrations of t1 from CPU 1 (to 2 and to 3); returns the ready lists t1 is in. */
    private static int twoMigrations(long seed, boolean recheck) {
        HostXcpuMemory mem = new HostXcpuMemory(new PhysicalMemory(16 * 1024));
        SteppedSchedule s = new SteppedSchedule(mem);
        Tcb t1 = thread(1);
        ReadyList[] ready = new ReadyList[5];
        for (int i = 0; i < ready.length; i++) {
            ready[i] = new ReadyList();
        }
        ready[1].enqueueTail(t1);
        s.run(seed, sch -> migrate(sch, 0, t1, ready, 0, 2, recheck), sch -> migrate(sch, 1, t1, ready, 4, 3, recheck), 100_000);
        int lists = 0;
        for (ReadyList r : ready) {
            lists += r.occurrences(t1);
        }
        return lists;
    }

    @Test
    void withoutTheRecheckTwoMigrationsPutAThreadInTwoReadyLists() {
        int broken = 0;
        for (long seed = 1; seed <= SCHEDULES; seed++) {
            if (twoMigrations(seed, false) != 1) {
                broken++;
            }
        }
        assertTrue(broken > 0, "two migrations without the re-check never misplaced the thread in " + SCHEDULES + " schedules");
    }

    @Test
    void withTheRecheckTheThreadIsInOneReadyList() {
        for (long seed = 1; seed <= SCHEDULES; seed++) {
            assertEquals(1, twoMigrations(seed, true), "seed " + seed + ": t1 not in exactly one ready list");
        }
    }

    // ---- the idle-time ordering of 8.3.4 (IdleCheckStress) ------------------------------------

    /**
     * A CPU about to idle against a sender (DispatchPath.doWorkLocal against XpIpc.trigger): the
     * CPU publishes "idle" as its next check (a release store) and then, after a full fence,
     * checks its flags (XpMailboxCheck.publishNextCheck, checkAtExit); the sender sets its flag
     * and then reads the next check, deciding on an IPI when it reads "idle". The planted
     * variant checks first and publishes after. Returns {IPI decided, flag found}.
     */
    private static int[] idle(long seed, boolean publishFirst) {
        PhysicalMemory pm = new PhysicalMemory(256 * 1024);
        KernelRegion region = new KernelRegion(new ConcurrentAttributionRegistry(), 0, 256 * 1024, 32);
        XcpuFabric fabric = new XcpuFabric(2, region);
        HostXcpuMemory mem = new HostXcpuMemory(pm);
        fabric.setNextCheckRelease(1, 1_000); // CPU 1 is in the kernel: it checks at its exit
        SteppedSchedule s = new SteppedSchedule(mem);
        int[] r = new int[2];
        long line = fabric.flagLine(1);
        s.run(seed, sch -> {
            var m = sch.memory(0); // the sender on CPU 0
            FlagLine.set(m, line, BIT);
            sch.step(0);
            r[0] = fabric.nextCheckVolatile(1) == XcpuFabric.IDLE ? 1 : 0;
        }, sch -> {
            var m = sch.memory(1); // CPU 1, about to idle
            if (publishFirst) {
                sch.step(1);
                fabric.setNextCheckRelease(1, XcpuFabric.IDLE);
                java.lang.invoke.VarHandle.fullFence();
                r[1] = FlagLine.checkAndAck(m, line, bit -> { });
            } else {
                r[1] = FlagLine.checkAndAck(m, line, bit -> { });
                sch.step(1);
                fabric.setNextCheckRelease(1, XcpuFabric.IDLE);
            }
        }, 100_000);
        return r;
    }

    @Test
    void checkingBeforePublishingIdleLosesAWakeup() {
        int lost = 0;
        for (long seed = 1; seed <= SCHEDULES; seed++) {
            int[] r = idle(seed, false);
            if (r[0] == 0 && r[1] == 0) {
                lost++;
            }
        }
        assertTrue(lost > 0, "checking before publishing never lost a wake-up in " + SCHEDULES + " schedules");
    }

    @Test
    void publishingIdleBeforeTheCheckLosesNoWakeup() {
        for (long seed = 1; seed <= SCHEDULES; seed++) {
            int[] r = idle(seed, true);
            assertTrue(r[0] + r[1] >= 1, "seed " + seed + ": no IPI and no flag found (a lost wake-up)");
        }
    }

    // ---- the migration request's post and take, 8.7.2 (MigrationRequestStress) ----------------

    /** The record of a migration operation (Migration.Op) as the initiator writes it. */
    private static final class Request implements Mailbox.MigrationOperation {
        int b;
        int c;
    }

    private static final int SEQ = 7;

    private static XcpuFabric fabric(int cpus) {
        return new XcpuFabric(cpus, new KernelRegion(new ConcurrentAttributionRegistry(), 0, 56 * 1024, 32));
    }

    /**
     * CPU 0's check_n_ack with the kernel's handling (XpMailboxCheck.flagged, then
     * MigrationParts.servePending); adds to {@code found}: [0] migration requests taken complete,
     * [1] IPC requests, [2] anything misread or incomplete.
     */
    private static void check(XcpuMemory m, XcpuFabric fabric, Request request, int[] found) {
        FlagLine.checkAndAck(m, fabric.flagLine(0), bit -> {
            Mailbox box = fabric.mailboxForBit(0, bit);
            if (MigrationHandshake.isRequest(box, bit)) {
                int seq = box.migrationSeqPlain();
                Request r = (Request) MigrationHandshake.take(m, box);
                found[seq == SEQ && r == request && r.b == 0 && r.c == 2 ? 0 : 2]++;
            } else {
                found[bit < FlagLine.BITS / 2 && box.opPlain() == Mailbox.OP_SEND ? 1 : 2]++;
            }
        });
    }

    /**
     * Actor {@code actor}'s view of the shared memory in which the code after each operation is a
     * step of its own too: the plain stores between two operations (a mailbox's fill) can then
     * interleave with the other actor, as they can on a real machine.
     */
    private static XcpuMemory stepAfter(SteppedSchedule sch, int actor) {
        XcpuMemory m = sch.memory(actor);
        return new XcpuMemory() {
            @Override
            public int loadAcquire(long pa) {
                int v = m.loadAcquire(pa);
                sch.step(actor);
                return v;
            }

            @Override
            public void storeRelease(long pa, int value) {
                m.storeRelease(pa, value);
                sch.step(actor);
            }

            @Override
            public int xchgVolatile(long pa, int value) {
                int v = m.xchgVolatile(pa, value);
                sch.step(actor);
                return v;
            }

            @Override
            public boolean casVolatile(long pa, int expect, int update) {
                boolean v = m.casVolatile(pa, expect, update);
                sch.step(actor);
                return v;
            }

            @Override
            public void spinUntilEquals(long pa, int value, String reason) {
                m.spinUntilEquals(pa, value, reason);
            }
        };
    }

    /**
     * CPU 1 posts a migration request to CPU 0 (claim, record, {@link MigrationHandshake#post};
     * {@code flagFirst}: the planted variant sets the flag before {@link MigrationHandshake#fill})
     * while CPU 0 runs one check_n_ack; CPU 0's next check follows. Every operation, and the code
     * after it, is a step ({@link #stepAfter}). Returns {taken complete by either check, misread
     * or incomplete, mailbox busy after}.
     */
    private static int[] postAndTake(long seed, boolean flagFirst) {
        HostXcpuMemory mem = new HostXcpuMemory(new PhysicalMemory(64 * 1024));
        XcpuFabric fabric = fabric(2);
        Mailbox box = fabric.mailbox(1, 0, 0);
        Request request = new Request();
        int[] found = new int[3];
        SteppedSchedule s = new SteppedSchedule(mem);
        s.run(seed, sch -> {
            var m = stepAfter(sch, 0); // the initiator on CPU 1
            assertTrue(MailboxPool.tryClaim(m, box.address));
            MailboxPool.unlock(m, box.address);
            if (flagFirst) {
                FlagLine.set(m, fabric.flagLine(0), box.requestBit);
            }
            request.b = 0;
            request.c = 2;
            if (flagFirst) {
                MigrationHandshake.fill(m, box, request, SEQ);
            } else {
                MigrationHandshake.post(m, box, request, SEQ, fabric.flagLine(0));
            }
        }, sch -> check(stepAfter(sch, 1), fabric, request, found), 100_000);
        check(mem, fabric, request, found);
        return new int[] {found[0], found[2], mem.loadAcquire(box.address + Mailbox.BUSY)};
    }

    @Test
    void aFlagSetBeforeTheFillLosesOrTearsTheMigrationRequest() {
        int broken = 0;
        for (long seed = 1; seed <= SCHEDULES; seed++) {
            int[] r = postAndTake(seed, true);
            if (r[0] != 1 || r[1] != 0) {
                broken++;
            }
        }
        assertTrue(broken > 0, "the flag set before the fill never lost or tore the request in " + SCHEDULES + " schedules");
    }

    @Test
    void aPostedMigrationRequestIsTakenOnceComplete() {
        for (long seed = 1; seed <= SCHEDULES; seed++) {
            int[] r = postAndTake(seed, false);
            assertEquals(1, r[0], "seed " + seed + ": the request was not taken exactly once, complete");
            assertEquals(0, r[1], "seed " + seed + ": a flag misread or a request seen incomplete");
            assertEquals(0, r[2], "seed " + seed + ": the mailbox is still busy after the take");
        }
    }

    /**
     * CPU 1 posts a migration request and CPU 2 an IPC request (its XP send path's claim, fill,
     * TCB lock, flag) to CPU 0, both flags in one word of CPU 0's line; {@code lockedOr} false:
     * the planted variant sets the migration's flag by a load and a store. Returns {migration
     * requests taken complete, IPC requests found} by CPU 0's check after both.
     */
    private static int[] twoPosts(long seed, boolean lockedOr) {
        HostXcpuMemory mem = new HostXcpuMemory(new PhysicalMemory(64 * 1024));
        XcpuFabric fabric = fabric(3);
        int perPair = fabric.perPair();
        Mailbox ipc = fabric.mailbox(2, 0, 0);
        Mailbox box = fabric.mailbox(1, 0, (ipc.requestBit & ~31) - perPair); // same flag word as ipc's
        assertEquals(ipc.requestBit >>> 5, box.requestBit >>> 5);
        Tcb receiver = thread(0);
        Request request = new Request();
        long line = fabric.flagLine(0);
        SteppedSchedule s = new SteppedSchedule(mem);
        s.run(seed, sch -> {
            var m = sch.memory(0); // the initiator on CPU 1
            assertTrue(MailboxPool.tryClaim(m, box.address));
            MailboxPool.unlock(m, box.address);
            request.b = 0;
            request.c = 2;
            if (lockedOr) {
                MigrationHandshake.post(m, box, request, SEQ, line);
            } else {
                MigrationHandshake.fill(m, box, request, SEQ);
                long word = line + 4L * (box.requestBit >>> 5);
                int v = m.loadAcquire(word);
                m.storeRelease(word, v | 1 << (box.requestBit & 31));
            }
        }, sch -> {
            var m = sch.memory(1); // CPU 2's XP send path to a thread on CPU 0
            assertTrue(MailboxPool.tryClaim(m, ipc.address));
            ipc.setOpPlain(Mailbox.OP_SEND);
            ipc.setDestIdPlain(receiver.id);
            MailboxPool.unlock(m, ipc.address);
            assertTrue(XpSendHandshake.lockOnCpu(m, LOCK, true, receiver, 0));
            XpSendHandshake.flagAndUnlock(m, line, ipc.requestBit, LOCK, true);
        }, 100_000);
        int[] found = new int[3];
        check(mem, fabric, request, found);
        assertEquals(0, found[2], "seed " + seed + ": a request misread");
        return new int[] {found[0], found[1]};
    }

    @Test
    void anUnlockedOrLosesTheOtherCpusRequest() {
        int lost = 0;
        for (long seed = 1; seed <= SCHEDULES; seed++) {
            int[] r = twoPosts(seed, false);
            if (r[0] + r[1] != 2) {
                lost++;
            }
        }
        assertTrue(lost > 0, "the unlocked or never lost a request in " + SCHEDULES + " schedules");
    }

    @Test
    void aMigrationRequestAndAnIpcRequestToOneCpuAreBothFound() {
        for (long seed = 1; seed <= SCHEDULES; seed++) {
            int[] r = twoPosts(seed, true);
            assertEquals(1, r[0], "seed " + seed + ": the migration request not taken once, complete");
            assertEquals(1, r[1], "seed " + seed + ": the IPC request not found once");
        }
    }
}
