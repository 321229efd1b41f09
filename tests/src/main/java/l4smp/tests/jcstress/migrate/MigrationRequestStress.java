package l4smp.tests.jcstress.migrate;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import l4smp.emulator.cache.ConcurrentAttributionRegistry;
import l4smp.emulator.cache.KernelRegion;
import l4smp.emulator.memory.PhysicalMemory;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.xcpu.FlagLine;
import l4smp.kernel.xcpu.HostXcpuMemory;
import l4smp.kernel.xcpu.Mailbox;
import l4smp.kernel.xcpu.MailboxPool;
import l4smp.kernel.xcpu.MigrationHandshake;
import l4smp.kernel.xcpu.XcpuFabric;
import l4smp.kernel.xcpu.XpSendHandshake;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Mode;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.Signal;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * The migration request of thesis 8.7.2 between the CPU that posts it and the CPU that takes it,
 * on real host threads, with the kernel's own code over {@link HostXcpuMemory}: the mailboxes
 * and flag lines of {@link XcpuFabric}, {@link MailboxPool}, {@link FlagLine} and the steps of
 * {@link MigrationHandshake} as {@code Migration}, {@code MigrationMailboxes},
 * {@code XpMailboxCheck} and {@code MigrationParts} run them:
 * <pre>
 *   initiator (CPU 1):  claim a mailbox 1 -> 0; write the operation record (plain);
 *                       MigrationHandshake.post: fill the mailbox (plain stores, release store
 *                       of the operation code), set the request flag in CPU 0's line (locked or)
 *   CPU 0:              check_n_ack (acquire load of each flag word, clear each flag found);
 *                       MigrationHandshake.isRequest? read the sequence number, take (read the
 *                       operation, free the mailbox)
 * </pre>
 * The release of the post is the flag's locked or, its acquire the load of the flag word in
 * check_n_ack: a check that finds the flag sees the whole request (record, sequence number,
 * operation code). The flag is cleared by the check that finds it, so the request is taken once,
 * and the mailbox is free after the take.
 *
 * <p>Two migration requests are never in flight to one CPU: the initiator holds the
 * destination's migration lock from before its post until the destination took the request and
 * passed its barrier (see {@code Migration.run}). What two CPUs do post to one destination at
 * once is a migration request and an IPC request ({@code XpSendPath}): both flags in the one
 * line, here in the one flag word, so that the two locked ors meet.
 *
 * <p>Two planted variants are the negative controls: {@link PlantedFlagBeforeFill} sets the flag
 * before it fills the mailbox, {@link PlantedUnlockedOr} sets it with a load and a store instead
 * of the locked or. Their forbidden outcomes are interleaving races, so they show here only when
 * the host's timing hits the window; {@code NegativeControlTest} shows under seeded schedules
 * that each variant reaches its forbidden outcome and the real post never does.
 */
public final class MigrationRequestStress {
    private MigrationRequestStress() { }

    /** The sequence number of the operation posted. */
    static final int SEQ = 7;
    /** The destination (CPU 0) and the initiator (CPU 1); CPU 2 sends an IPC to CPU 0. */
    static final int DEST = 0;
    static final int INITIATOR = 1;
    static final int IPC_SENDER = 2;
    /** The IPC sender's thread's TCB lock word (outside the fabric's region). */
    static final long TCB_LOCK = 60 * 1024;

    /** The kernel's record of one migration operation (Migration.Op), written by its initiator. */
    static final class Request implements Mailbox.MigrationOperation {
        int a;
        int b;
        int c;
        int callerMcp;
    }

    /** A host machine of {@code cpus} CPUs: the fabric's mailboxes and flag lines. */
    abstract static class Machine {
        final HostXcpuMemory mem = new HostXcpuMemory(new PhysicalMemory(64 * 1024));
        final XcpuFabric fabric;
        final long destLine;
        /** The initiator's mailbox to CPU 0 and the record it posts (allocated once, as Migration.op). */
        final Mailbox box;
        final Request request = new Request();
        /** What CPU 0's checks found: migration requests taken, IPC requests, incomplete or misrouted ones. */
        int takenByRace;
        int takenLater;
        int ipcRequests;
        int bad;
        private boolean later;

        Machine(int cpus, int slot) {
            fabric = new XcpuFabric(cpus, new KernelRegion(new ConcurrentAttributionRegistry(), 0, 56 * 1024, 32));
            destLine = fabric.flagLine(DEST);
            box = fabric.mailbox(INITIATOR, DEST, slot);
        }

        /** The initiator's record of the operation (Migration.run, before postMigration). */
        void writeRecord() {
            request.a = INITIATOR;
            request.b = DEST;
            request.c = 2;
            request.callerMcp = 255;
        }

        /** Claims the initiator's mailbox (MigrationMailboxes.claimForMigration). */
        void claim() {
            if (!MailboxPool.tryClaim(mem, box.address)) {
                throw new IllegalStateException("the initiator's mailbox is busy in a fresh machine");
            }
            MailboxPool.unlock(mem, box.address);
        }

        /** The initiator's post (Migration.run: record, then MigrationMailboxes.postMigration). */
        void initiate() {
            claim();
            writeRecord();
            MigrationHandshake.post(mem, box, request, SEQ, destLine);
        }

        /**
         * CPU 0's check_n_ack with the kernel's handling of what it finds (XpMailboxCheck.flagged,
         * then MigrationParts.servePending): a migration request is taken and its contents
         * compared with what the initiator wrote. Returns the flags found.
         */
        int check() {
            return FlagLine.checkAndAck(mem, destLine, bit -> {
                Mailbox m = fabric.mailboxForBit(DEST, bit);
                if (MigrationHandshake.isRequest(m, bit)) {
                    int seq = m.migrationSeqPlain();
                    Request r = (Request) MigrationHandshake.take(mem, m);
                    if (m != box || seq != SEQ || r != request || r.a != INITIATOR || r.b != DEST || r.c != 2
                            || r.callerMcp != 255) {
                        bad++;
                    }
                    if (later) {
                        takenLater++;
                    } else {
                        takenByRace++;
                    }
                } else if (bit < FlagLine.BITS / 2 && m.opPlain() == Mailbox.OP_SEND) {
                    ipcRequests++; // an IPC request: a proxy would be hooked
                } else {
                    bad++; // a request flag whose mailbox is neither: the migration request misread
                }
            });
        }

        /** CPU 0's next check (after the actors): takes what the racing check did not. */
        void checkLater() {
            later = true;
            check();
        }

        int mailboxBusy() {
            return mem.loadAcquire(box.address + Mailbox.BUSY);
        }

        /** 1 when every request taken was complete and no flag was misread, else 0. */
        int complete() {
            return bad == 0 ? 1 : 0;
        }
    }

    /**
     * The initiator posts while CPU 0 runs a check_n_ack (at a kernel exit, say); CPU 0's next
     * check follows in the arbiter. The request is taken exactly once, by whichever check first
     * finds the flag, complete, and its mailbox is free afterwards.
     */
    @JCStressTest
    @Outcome(id = "1, 0, 1, 0", expect = ACCEPTABLE, desc = "the racing check found the flag and took the whole request; the mailbox is free")
    @Outcome(id = "0, 1, 1, 0", expect = ACCEPTABLE, desc = "the racing check came before the flag: the next check took the whole request; the mailbox is free")
    @Outcome(id = "0, 0, .*", expect = FORBIDDEN, desc = "lost: no check took the request (its flag cleared or never seen)")
    @Outcome(id = "1, 1, .*", expect = FORBIDDEN, desc = "taken twice")
    @Outcome(id = ".*, .*, 0, .*", expect = FORBIDDEN, desc = "the taker saw an incomplete request (record, sequence number or operation code)")
    @Outcome(expect = FORBIDDEN, desc = "anything else (the mailbox left busy)")
    @State
    public static class PostedRequestIsTakenOnceComplete extends Machine {
        public PostedRequestIsTakenOnceComplete() {
            super(2, 0);
        }

        @Actor
        public void initiator() {
            initiate();
        }

        @Actor
        public void destination() {
            check();
        }

        @Arbiter
        public void arbiter(IIII_Result r) {
            checkLater();
            r.r1 = takenByRace;
            r.r2 = takenLater;
            r.r3 = complete();
            r.r4 = mailboxBusy();
        }
    }

    /**
     * CPU 0 spins in the kernel checking its mailboxes (as Migration.LockWait, or a CPU that
     * waits for the migration lock) until a migration request is there: the post always
     * reaches it.
     */
    @JCStressTest(Mode.Termination)
    @Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "the destination took the request")
    @Outcome(id = "STALE", expect = FORBIDDEN, desc = "the destination never saw the request: the part never runs and the initiator waits forever")
    @Outcome(expect = FORBIDDEN, desc = "anything else")
    @State
    public static class WaitingDestinationTakesTheRequest extends Machine {
        public WaitingDestinationTakesTheRequest() {
            super(2, 0);
        }

        @Actor
        public void destination() {
            while (takenByRace == 0) {
                check();
                Thread.onSpinWait();
            }
        }

        @Signal
        public void initiator() {
            initiate();
        }
    }

    /**
     * Three CPUs; the initiator's mailbox slot chosen so that its request bit lies in the same
     * flag word of CPU 0's line as the bit of CPU 2's mailbox 0.
     */
    abstract static class TwoSenders extends Machine {
        final Mailbox ipcBox;
        final Tcb receiver = new Tcb(ThreadId.of(40, 1), "receiver", DEST, 100, false, () -> { });
        final Tcb ipcSender = new Tcb(ThreadId.of(41, 1), "sender", IPC_SENDER, 100, false, () -> { });

        TwoSenders() {
            super(3, sameWordSlot());
            ipcBox = fabric.mailbox(IPC_SENDER, DEST, 0);
        }

        /** The slot of mailbox 1 -> 0 whose request bit shares a flag word with mailbox (2 -> 0, 0). */
        static int sameWordSlot() {
            int perPair = (FlagLine.BITS / 2) / 3;
            int ipcBit = IPC_SENDER * perPair;
            return (ipcBit & ~31) - INITIATOR * perPair; // the first bit of that word is CPU 1's
        }

        /** CPU 2's XP send path (XpSendPath): claim, fill, unlock; TCB lock, flag, unlock. */
        void sendIpc() {
            if (!MailboxPool.tryClaim(mem, ipcBox.address)) {
                throw new IllegalStateException("the sender's mailbox is busy in a fresh machine");
            }
            ipcBox.setOpPlain(Mailbox.OP_SEND);
            ipcBox.setSenderPlain(ipcSender);
            ipcBox.setDestIdPlain(receiver.id);
            MailboxPool.unlock(mem, ipcBox.address);
            if (!XpSendHandshake.lockOnCpu(mem, TCB_LOCK, true, receiver, DEST)) {
                throw new IllegalStateException("the receiver never moves here");
            }
            XpSendHandshake.flagAndUnlock(mem, destLine, ipcBox.requestBit, TCB_LOCK, true);
        }

        void arbiter(III_Result r) {
            checkLater();
            r.r1 = takenLater;
            r.r2 = ipcRequests;
            r.r3 = complete();
        }
    }

    /**
     * A migration request (CPU 1) and an IPC request (CPU 2) posted to CPU 0 at once, their flags
     * in one flag word; CPU 0's next check finds both, each what it is.
     */
    @JCStressTest
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "both requests found: the migration request taken, complete; the IPC request a request")
    @Outcome(id = "0, .*", expect = FORBIDDEN, desc = "the migration request lost (its flag overwritten by the other post)")
    @Outcome(id = ".*, 0, .*", expect = FORBIDDEN, desc = "the IPC request lost (its flag overwritten by the migration's post)")
    @Outcome(expect = FORBIDDEN, desc = "anything else (a request misread, or found twice)")
    @State
    public static class MigrationAndIpcRequestToOneCpu extends TwoSenders {
        @Actor
        public void initiator() {
            initiate();
        }

        @Actor
        public void ipcSender() {
            sendIpc();
        }

        @Arbiter
        public void arbiter(III_Result r) {
            super.arbiter(r);
        }
    }

    /**
     * The planted variant (negative control) of {@link PostedRequestIsTakenOnceComplete}: the
     * initiator sets the flag before it fills the mailbox. A check between the two finds a flag
     * whose mailbox does not read as a migration request: the request is misread and lost, or
     * taken incomplete.
     */
    @JCStressTest
    @Outcome(id = "1, 0, 1, 0", expect = ACCEPTABLE, desc = "the racing check found the flag after the fill: the whole request")
    @Outcome(id = "0, 1, 1, 0", expect = ACCEPTABLE, desc = "the racing check came before the flag: the next check took the whole request")
    @Outcome(expect = ACCEPTABLE_INTERESTING, desc = "flag before fill: the racing check misread the request (lost, mailbox left busy) or took it incomplete")
    @State
    public static class PlantedFlagBeforeFill extends Machine {
        public PlantedFlagBeforeFill() {
            super(2, 0);
        }

        @Actor
        public void initiator() {
            claim();
            FlagLine.set(mem, destLine, box.requestBit);
            writeRecord();
            MigrationHandshake.fill(mem, box, request, SEQ);
        }

        @Actor
        public void destination() {
            check();
        }

        @Arbiter
        public void arbiter(IIII_Result r) {
            checkLater();
            r.r1 = takenByRace;
            r.r2 = takenLater;
            r.r3 = complete();
            r.r4 = mailboxBusy();
        }
    }

    /**
     * The planted variant (negative control) of {@link MigrationAndIpcRequestToOneCpu}: the
     * initiator sets its flag with a load and a store instead of the locked or. An IPC flag set
     * between the two is overwritten: that request is lost.
     */
    @JCStressTest
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "both requests found")
    @Outcome(id = "1, 0, 1", expect = ACCEPTABLE_INTERESTING, desc = "without the locked or the IPC request's flag was overwritten: lost")
    @Outcome(expect = FORBIDDEN, desc = "anything else")
    @State
    public static class PlantedUnlockedOr extends TwoSenders {
        @Actor
        public void initiator() {
            claim();
            writeRecord();
            MigrationHandshake.fill(mem, box, request, SEQ);
            long word = destLine + 4L * (box.requestBit >>> 5);
            int v = mem.loadAcquire(word);
            mem.storeRelease(word, v | 1 << (box.requestBit & 31));
        }

        @Actor
        public void ipcSender() {
            sendIpc();
        }

        @Arbiter
        public void arbiter(III_Result r) {
            super.arbiter(r);
        }
    }
}
