package l4smp.tests;

import l4smp.bench.scenario.Scenario;
import l4smp.bench.scenario.ScenarioContext;
import l4smp.bench.scenario.ScenarioOptions;
import l4smp.bench.scenarios.IpiPingPongScenario;
import l4smp.bench.scenarios.PingPongScenario;
import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;
import l4smp.emulator.ScheduleStrategy;
import l4smp.emulator.apic.Interrupt;
import l4smp.emulator.cpu.Cpu;
import l4smp.emulator.cpu.Dispatcher;
import l4smp.emulator.trace.EventKind;
import l4smp.emulator.trace.EventLog;
import l4smp.kernel.Kernel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Timeout.ThreadMode;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Deterministic mode: the same seed gives the identical event trace (every captured event and
 * the trace hash), and different seeds give different traces where the run has a race.
 */
@Timeout(value = 120, threadMode = ThreadMode.SAME_THREAD)
class DeterminismTest {

    /** A finished deterministic run: its whole trace. */
    record Trace(List<EventLog.Event> events, long count, long hash, Machine machine) {
    }

    static MachineConfig.Builder deterministic(int cpus, long seed) {
        return MachineConfig.builder().cpus(cpus).pinning(false).deterministic(seed).captureTrace(true)
                .maxTraceEvents(5_000_000);
    }

    static Trace runScenario(Scenario scenario, MachineConfig config, long ops) {
        Machine machine = new Machine(config);
        ScenarioContext context = new ScenarioContext(machine,
                ScenarioOptions.parse(scenario.name(), scenario.options(), Map.of()), ops);
        scenario.setup(context);
        Machine.RunOutcome outcome = machine.run();
        assertTrue(outcome.ok(), () -> scenario.name() + " failed: " + outcome.failure());
        if (context.kernelIfBooted() != null) {
            assertTrue(context.kernelIfBooted().failures().isEmpty(), context.kernelIfBooted().failures()::toString);
        }
        assertEquals(ops, context.recorders().stream().mapToLong(r -> r.operations()).sum(),
                "every operation of the scenario ran");
        return trace(machine);
    }

    static Trace trace(Machine machine) {
        assertEquals(1, machine.eventLogs().size(), "deterministic mode has one shared log");
        EventLog log = machine.eventLogs().get(0);
        List<EventLog.Event> events = log.events();
        assertEquals(log.count(), events.size(), "the whole trace must be captured to be compared");
        assertTrue(events.size() > 10, "a trace too short to mean anything");
        return new Trace(events, log.count(), machine.traceHash(), machine);
    }

    static void assertSameTrace(Trace a, Trace b) {
        assertEquals(a.count(), b.count(), "event counts differ");
        for (int i = 0; i < a.events().size(); i++) {
            int at = i;
            assertEquals(a.events().get(i), b.events().get(i), () -> "traces diverge at event " + at);
        }
        assertEquals(a.events(), b.events());
        assertEquals(a.hash(), b.hash());
    }

    @Test
    void ipiPingPongOnFourCpusRepeatsExactly() {
        Trace a = runScenario(new IpiPingPongScenario(), deterministic(4, 42).build(), 400);
        Trace b = runScenario(new IpiPingPongScenario(), deterministic(4, 42).build(), 400);
        assertSameTrace(a, b);
        assertTrue(a.events().stream().anyMatch(e -> e.kind() == EventKind.IPI_TAKE && e.cpu() == 3),
                "both pairs ran");
        assertEquals(2 * 400, a.machine().counterTotal(Machine.C_IPI_TAKEN));
    }

    @Test
    void ipiPingPongRepeatsUnderTheRandomStrategyToo() {
        MachineConfig c = deterministic(4, 9).strategy(ScheduleStrategy.RANDOM).build();
        assertSameTrace(runScenario(new IpiPingPongScenario(), c, 200),
                runScenario(new IpiPingPongScenario(), c, 200));
    }

    @Test
    void kernelPingPongRepeatsExactly() {
        Trace a = runScenario(new PingPongScenario(), deterministic(2, 7).build(), 300);
        Trace b = runScenario(new PingPongScenario(), deterministic(2, 7).build(), 300);
        assertSameTrace(a, b);
        assertEquals(600, a.machine().counterTotal(Kernel.C_IPC_LOCAL));
    }

    /**
     * The race: CPUs 1..3 each send one IPI to CPU 0 at clock 0 (equal clocks, so the
     * lowest-clock stepper breaks the tie by the seed); CPU 0 notes the order of the sources.
     * With three senders and two LINT slots, one of them also waits for a slot.
     */
    static final class Racer implements Dispatcher {
        final List<Integer> sources = new ArrayList<>();
        private boolean sent;

        @Override
        public int doWork(Cpu cpu) {
            if (cpu.index() == 0 || sent) {
                return 0;
            }
            sent = true;
            cpu.sendIpi(1L, 0x90 + cpu.index());
            return 1;
        }

        @Override
        public void onInterrupt(Cpu cpu, Interrupt interrupt) {
            sources.add(interrupt.sourceCpu());
        }

        @Override
        public long nextEvent(Cpu cpu) {
            return NO_EVENT;
        }
    }

    record RaceResult(List<Integer> order, Trace trace) {
    }

    static RaceResult race(MachineConfig config) {
        Machine machine = new Machine(config);
        Racer target = new Racer();
        machine.cpu(0).install(target);
        for (int i = 1; i < 4; i++) {
            machine.cpu(i).install(new Racer());
        }
        Machine.RunOutcome outcome = machine.run();
        assertTrue(outcome.ok(), outcome::toString);
        assertEquals(3, target.sources.size());
        assertEquals(Set.of(1, 2, 3), Set.copyOf(target.sources));
        return new RaceResult(List.copyOf(target.sources), trace(machine));
    }

    @Test
    void aRaceRepeatsWithItsSeedAndDiffersAcrossSeeds() {
        for (ScheduleStrategy strategy : ScheduleStrategy.values()) {
            Set<List<Integer>> orders = new HashSet<>();
            Set<Long> hashes = new HashSet<>();
            for (long seed = 1; seed <= 12; seed++) {
                MachineConfig c = deterministic(4, seed).strategy(strategy).build();
                RaceResult first = race(c);
                RaceResult again = race(c);
                assertEquals(first.order(), again.order(), "seed " + seed + " did not repeat");
                assertSameTrace(first.trace(), again.trace());
                orders.add(first.order());
                hashes.add(first.trace().hash());
            }
            assertTrue(orders.size() > 1, strategy + ": every seed gave the same order of the race: " + orders);
            assertTrue(hashes.size() > 1, strategy + ": every seed gave the same trace");
        }
    }
}
