package l4smp.emulator.cpu;

import l4smp.emulator.ExecutionMode;
import l4smp.emulator.Machine;
import l4smp.emulator.cost.CostModel;
import l4smp.emulator.testing.TestMachines;
import l4smp.emulator.testing.TestMachines.ScriptedDispatcher;
import l4smp.emulator.testing.TestMachines.Taken;
import l4smp.emulator.trace.EventKind;
import l4smp.emulator.trace.EventLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;

import static l4smp.emulator.testing.TestMachines.config;
import static l4smp.emulator.testing.TestMachines.runOk;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * IPI delivery through a Machine with small test dispatchers: the clock rule
 * {@code receiver clock = max(own, sent + delivery)}, deferral until arrival, parked CPUs waking,
 * the two LINT slots, and two CPUs flooding each other (D8). Exact cycles use PIII_450.
 */
@Timeout(60)
class CpuIpiTest {

    static final int ICR = CostModel.PIII_450.ipiIcrWriteCycles();
    static final int DELIVERY = CostModel.PIII_450.ipiDeliveryCycles();
    /** An IPI is stamped when the sender's ICR write completes; it arrives DELIVERY later. */
    static final int ARRIVE = ICR + DELIVERY;

    @Test
    void costFiguresAreTheThesisOnes() {
        assertEquals(40, ICR);
        assertEquals(1030, DELIVERY);
    }

    @ParameterizedTest
    @EnumSource(ExecutionMode.class)
    void idleTargetTakesTheIpiAtSentPlusDelivery(ExecutionMode mode) {
        Machine m = new Machine(config(mode, 2).build());
        long[] senderClockAfter = new long[1];
        m.cpu(0).install(TestMachines.once(cpu -> {
            cpu.sendIpi(1L << 1, 0x30);
            senderClockAfter[0] = cpu.clock();
        }));
        ScriptedDispatcher target = TestMachines.idle();
        m.cpu(1).install(target);
        runOk(m);
        assertEquals(ICR, senderClockAfter[0], "the sender pays the ICR write");
        assertEquals(List.of(new Taken(0x30, 0, ICR, ARRIVE, ARRIVE)), target.taken);
        assertEquals(ARRIVE, m.cpu(1).clockAcquire());
        assertEquals(1, m.counterTotal(Machine.C_IPI_SENT));
        assertEquals(1, m.counterTotal(Machine.C_IPI_TAKEN));
        assertEquals(0, m.cpu(1).apic().occupiedSlotsAcquire(), "the CPU sends the EOI after the handler");
    }

    @ParameterizedTest
    @EnumSource(ExecutionMode.class)
    void targetAheadKeepsItsOwnClock(ExecutionMode mode) {
        Machine m = new Machine(config(mode, 2).build());
        m.cpu(0).install(TestMachines.once(cpu -> cpu.sendIpi(1L << 1, 7)));
        ScriptedDispatcher target = TestMachines.once(cpu -> cpu.advance(5_000));
        m.cpu(1).install(target);
        runOk(m);
        assertEquals(1, target.taken.size());
        assertEquals(5_000, target.taken.get(0).clockInHandler(), "max(own 5000, 40 + 1030)");
        assertEquals(ARRIVE, target.taken.get(0).arrival());
    }

    @ParameterizedTest
    @EnumSource(ExecutionMode.class)
    void senderLaterThanTargetMovesTheTargetForward(ExecutionMode mode) {
        Machine m = new Machine(config(mode, 2).build());
        m.cpu(0).install(TestMachines.once(cpu -> {
            cpu.advance(10_000);
            cpu.sendIpi(1L << 1, 9);
        }));
        ScriptedDispatcher target = TestMachines.once(cpu -> cpu.advance(300));
        m.cpu(1).install(target);
        runOk(m);
        assertEquals(List.of(new Taken(9, 0, 10_000 + ICR, 10_000 + ARRIVE, 10_000 + ARRIVE)), target.taken);
    }

    /**
     * A running target defers the IPI until its own clock reaches the arrival: it advances in
     * steps of 100 cycles, so it takes the IPI (stamped at 40 when the ICR write ends, arriving at 1070) at its first duty
     * cycle at or after 1070, which is 1100. In parallel mode the slack of 0 keeps the target
     * from running ahead before the send, so the number is the same.
     */
    @ParameterizedTest
    @EnumSource(ExecutionMode.class)
    void runningTargetDefersTheIpiUntilItsClockReachesTheArrival(ExecutionMode mode) {
        Machine m = new Machine(config(mode, 2).slackCycles(0).build());
        m.cpu(0).install(TestMachines.once(cpu -> cpu.sendIpi(1L << 1, 0x20)));
        long[] deferredSeenAt = {-1};
        ScriptedDispatcher target = new ScriptedDispatcher(cpu -> {
            if (cpu.clock() >= 3_000) {
                return 0;
            }
            if (deferredSeenAt[0] < 0 && cpu.interruptPendingVolatile() && !cpu.interruptDue()) {
                deferredSeenAt[0] = cpu.clock();
            }
            cpu.advance(100);
            cpu.interleave();
            return 1;
        });
        m.cpu(1).install(target);
        runOk(m);
        assertEquals(1, target.taken.size());
        assertEquals(1_100, target.taken.get(0).clockInHandler());
        assertTrue(deferredSeenAt[0] >= 0 && deferredSeenAt[0] < ARRIVE,
                "the IPI was pending but not due before its arrival, seen at " + deferredSeenAt[0]);
        assertEquals(3_000, m.cpu(1).clockAcquire());
    }

    @Test
    void deterministicTraceShowsSendTakeEoiAtTheirCycles() {
        Machine m = new Machine(config(ExecutionMode.DETERMINISTIC, 2).captureTrace(true).build());
        m.cpu(0).install(TestMachines.once(cpu -> cpu.sendIpi(1L << 1, 0x30)));
        m.cpu(1).install(TestMachines.idle());
        runOk(m);
        List<EventLog.Event> ipiEvents = m.eventLogs().get(0).events().stream()
                .filter(e -> e.kind() == EventKind.IPI_SEND || e.kind() == EventKind.IPI_TAKE
                        || e.kind() == EventKind.IPI_EOI)
                .toList();
        assertEquals(List.of(
                new EventLog.Event(0, EventKind.IPI_SEND, ICR, 1, 0x30),
                new EventLog.Event(1, EventKind.IPI_TAKE, ARRIVE, 0, 0x30),
                new EventLog.Event(1, EventKind.IPI_EOI, ARRIVE, 0, 0x30)), ipiEvents);
    }

    /** A parked CPU (parallel mode) wakes on an IPI and takes it at exactly sent + delivery. */
    @Test
    void parkedCpuWakesOnAnIpi() {
        Machine m = new Machine(config(ExecutionMode.PARALLEL, 2).build());
        long[] sentAt = new long[1];
        m.cpu(0).install(TestMachines.once(cpu -> {
            Cpu target = cpu.machine().cpu(1);
            cpu.spinWaitUntil(() -> target.stateAcquire() == Cpu.PARKED, "CPU 1 to park");
            sentAt[0] = cpu.clock();
            cpu.sendIpi(1L << 1, 0x55);
        }));
        ScriptedDispatcher target = TestMachines.idle();
        m.cpu(1).install(target);
        runOk(m);
        assertTrue(m.counters(1).valueOpaque(Machine.C_IDLE_PARKS) >= 1, "CPU 1 never parked");
        assertEquals(1, target.taken.size());
        assertEquals(sentAt[0] + ARRIVE, target.taken.get(0).clockInHandler());
    }

    /**
     * Three CPUs send to a fourth that does not take interrupts until both LINT slots are
     * occupied and a third sender waits: the third waits for an EOI, then delivers.
     */
    @ParameterizedTest
    @EnumSource(ExecutionMode.class)
    void thirdSenderWaitsForAnEoiThenDelivers(ExecutionMode mode) {
        Machine m = new Machine(config(mode, 4).build());
        for (int i = 0; i < 3; i++) {
            m.cpu(i).install(TestMachines.once(cpu -> cpu.sendIpi(1L << 3, 0x60 + cpu.index())));
        }
        int[] maxOccupied = new int[1];
        ScriptedDispatcher target = new ScriptedDispatcher(TestMachines.once(cpu -> {
            Machine machine = cpu.machine();
            cpu.spinWaitUntil(() -> {
                boolean someoneWaits = false;
                for (int i = 0; i < 3; i++) {
                    String reason = machine.cpu(i).waitReasonOpaque();
                    someoneWaits |= reason != null && reason.contains("LINT slot of CPU 3");
                }
                return someoneWaits && cpu.apic().occupiedSlotsAcquire() == 2;
            }, "two occupied slots and a waiting sender");
        })::doWork) {
            @Override
            protected void handled(Cpu cpu, l4smp.emulator.apic.Interrupt interrupt) {
                maxOccupied[0] = Math.max(maxOccupied[0], cpu.apic().occupiedSlotsAcquire());
            }
        };
        m.cpu(3).install(target);
        runOk(m);
        assertEquals(3, target.taken.size());
        assertEquals(java.util.Set.of(0x60, 0x61, 0x62),
                target.taken.stream().map(Taken::vector).collect(java.util.stream.Collectors.toSet()));
        assertEquals(1, m.counterTotal(Machine.C_LINT_WAITS), "exactly one sender waited for a slot");
        assertTrue(maxOccupied[0] <= 2);
        assertEquals(0, m.cpu(3).apic().occupiedSlotsAcquire());
    }

    /** D8: two CPUs flooding each other with IPIs never deadlock on the LINT slots. */
    @ParameterizedTest
    @EnumSource(ExecutionMode.class)
    void twoCpusFloodingEachOtherNeverDeadlock(ExecutionMode mode) {
        int n = 2_000;
        Machine m = new Machine(config(mode, 2).build());
        ScriptedDispatcher[] d = new ScriptedDispatcher[2];
        for (int i = 0; i < 2; i++) {
            long[] sent = new long[1];
            int partner = 1 - i;
            d[i] = new ScriptedDispatcher(cpu -> {
                if (sent[0] == n) {
                    return 0;
                }
                cpu.sendIpi(1L << partner, 0x70);
                sent[0]++;
                return 1;
            });
            m.cpu(i).install(d[i]);
        }
        runOk(m);
        assertEquals(n, d[0].taken.size());
        assertEquals(n, d[1].taken.size());
        assertEquals(2L * n, m.counterTotal(Machine.C_IPI_TAKEN));
        // 1030 cycles of delivery against 40 of ICR write: the slots must have filled up, so the
        // deadlock-prone path (waiting for a slot while the partner waits too) ran.
        assertTrue(m.counterTotal(Machine.C_LINT_WAITS) > 0, "the slot wait never happened");
        for (int i = 0; i < 2; i++) {
            long previous = -1;
            for (Taken t : d[i].taken) {
                assertTrue(t.clockInHandler() >= t.arrival(), "taken before its arrival: " + t);
                assertTrue(t.sentAt() >= previous, "IPIs of one sender out of order");
                previous = t.sentAt();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(ExecutionMode.class)
    void broadcastReachesEveryTargetInTheMask(ExecutionMode mode) {
        Machine m = new Machine(config(mode, 4).build());
        m.cpu(0).install(TestMachines.once(cpu -> cpu.sendIpi(0b1110, 0x11)));
        ScriptedDispatcher[] targets = new ScriptedDispatcher[4];
        for (int i = 1; i < 4; i++) {
            targets[i] = TestMachines.idle();
            m.cpu(i).install(targets[i]);
        }
        runOk(m);
        for (int i = 1; i < 4; i++) {
            assertEquals(List.of(new Taken(0x11, 0, ICR, ARRIVE, ARRIVE)), targets[i].taken, "cpu" + i);
        }
        assertEquals(3, m.counterTotal(Machine.C_IPI_SENT));
    }

    @ParameterizedTest
    @EnumSource(ExecutionMode.class)
    void badIpiArgumentsFailTheCpuWithAMessage(ExecutionMode mode) {
        Machine m = new Machine(config(mode, 2).build());
        m.cpu(0).install(TestMachines.once(cpu -> cpu.sendIpi(1L << 1, 256)));
        m.cpu(1).install(TestMachines.idle());
        Machine.RunOutcome outcome = m.run();
        assertFalse(outcome.ok());
        assertTrue(outcome.failure().contains("IPI vector must be 0..255"), outcome.failure());

        Machine m2 = new Machine(config(mode, 2).build());
        m2.cpu(0).install(TestMachines.once(cpu -> cpu.sendIpi(1L << 5, 1)));
        m2.cpu(1).install(TestMachines.idle());
        Machine.RunOutcome outcome2 = m2.run();
        assertFalse(outcome2.ok());
        assertTrue(outcome2.failure().contains("names CPUs beyond 1"), outcome2.failure());
    }

    /**
     * An idle CPU with a timer event at 500 and an IPI arriving at 1030 handles the timer at
     * 500 first and then the IPI at 1030: simulated events in the order of their time.
     */
    @ParameterizedTest
    @EnumSource(ExecutionMode.class)
    void aTimerEarlierThanAPendingIpiFiresFirst(ExecutionMode mode) {
        Machine m = new Machine(config(mode, 2).build());
        m.cpu(0).install(TestMachines.once(cpu -> cpu.sendIpi(1L << 1, 1)));
        long[] fired = {-1};
        ScriptedDispatcher target = new ScriptedDispatcher(cpu -> {
            if (fired[0] < 0 && cpu.clock() >= 500) {
                fired[0] = cpu.clock();
                return 1;
            }
            return 0;
        }) {
            @Override
            public long nextEvent(Cpu cpu) {
                return fired[0] < 0 ? 500 : NO_EVENT;
            }
        };
        m.cpu(1).install(target);
        runOk(m);
        assertEquals(500, fired[0], "the timer event must not wait for a later IPI");
        assertEquals(List.of(new Taken(1, 0, ICR, ARRIVE, ARRIVE)), target.taken);
    }

    /** An IPI that arrives before the timer event is taken first, and the timer still fires on time. */
    @ParameterizedTest
    @EnumSource(ExecutionMode.class)
    void anIpiEarlierThanTheTimerIsTakenFirst(ExecutionMode mode) {
        Machine m = new Machine(config(mode, 2).build());
        m.cpu(0).install(TestMachines.once(cpu -> cpu.sendIpi(1L << 1, 1)));
        long[] fired = {-1};
        ScriptedDispatcher target = new ScriptedDispatcher(cpu -> {
            if (fired[0] < 0 && cpu.clock() >= 5_000) {
                fired[0] = cpu.clock();
                return 1;
            }
            return 0;
        }) {
            @Override
            public long nextEvent(Cpu cpu) {
                return fired[0] < 0 ? 5_000 : NO_EVENT;
            }
        };
        m.cpu(1).install(target);
        runOk(m);
        assertEquals(List.of(new Taken(1, 0, ICR, ARRIVE, ARRIVE)), target.taken);
        assertEquals(5_000, fired[0]);
    }

    @Test
    void idleTimeIsCountedWhenAnIpiWakesACpu() {
        Machine m = new Machine(config(ExecutionMode.DETERMINISTIC, 2).build());
        m.cpu(0).install(TestMachines.once(cpu -> {
            cpu.advance(2_000);
            cpu.sendIpi(1L << 1, 1);
        }));
        m.cpu(1).install(TestMachines.idle());
        runOk(m);
        // idle from 0 until the IPI, whose ICR write began at 2000, arrived at 3070
        assertEquals(2_000 + ARRIVE, m.counters(1).valueOpaque(Machine.C_IDLE_CYCLES));
    }
}
