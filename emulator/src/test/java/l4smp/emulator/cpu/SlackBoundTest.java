package l4smp.emulator.cpu;

import l4smp.emulator.ExecutionMode;
import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;
import l4smp.emulator.ScheduleStrategy;
import l4smp.emulator.testing.TestMachines;
import l4smp.emulator.testing.TestMachines.ScriptedDispatcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.atomic.AtomicLong;

import static l4smp.emulator.testing.TestMachines.config;
import static l4smp.emulator.testing.TestMachines.runOk;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The slack bound: a CPU never runs more than {@code slack} cycles ahead of the slowest running
 * CPU. Each CPU advances in steps of {@value #STEP} cycles and, after each step, compares its
 * clock with every other running CPU's.
 */
@Timeout(60)
class SlackBoundTest {

    static final long STEP = 10;
    static final long END = 100_000;

    /** Installs the checking dispatchers; returns the largest lead seen (and counts violations). */
    private static AtomicLong[] install(Machine m, long slack) {
        AtomicLong maxLead = new AtomicLong(Long.MIN_VALUE);
        AtomicLong violations = new AtomicLong();
        for (int i = 0; i < m.cpuCount(); i++) {
            m.cpu(i).install(new ScriptedDispatcher(cpu -> {
                if (cpu.clock() >= END) {
                    return 0;
                }
                cpu.advance(STEP);
                for (int j = 0; j < m.cpuCount(); j++) {
                    Cpu other = m.cpu(j);
                    if (other != cpu && other.stateAcquire() == Cpu.RUNNING) {
                        long lead = cpu.clock() - other.clockAcquire();
                        maxLead.accumulateAndGet(lead, Math::max);
                        if (lead > slack + STEP) {
                            violations.incrementAndGet();
                        }
                    }
                }
                cpu.interleave();
                return 1;
            }));
        }
        return new AtomicLong[] {maxLead, violations};
    }

    @Test
    void parallelCpusStayWithinTheSlack() {
        long slack = 500;
        // Lax timing: the slack is its only bound (exact timing keeps these CPUs in step at
        // every interleaving point, so the slack would never be reached).
        Machine m = new Machine(config(ExecutionMode.PARALLEL, 3).slackCycles(slack)
                .timing(l4smp.emulator.TimingMode.LAX).build());
        AtomicLong[] r = install(m, slack);
        runOk(m);
        assertEquals(0, r[1].get(), "steps more than slack + step ahead; max lead " + r[0].get());
        assertTrue(r[0].get() <= slack + STEP, "max lead " + r[0].get());
        assertTrue(m.counterTotal(Machine.C_SLACK_WAITS) > 0, "the bound was never exercised");
        for (int i = 0; i < 3; i++) {
            assertEquals(END, m.cpu(i).clockAcquire());
        }
    }

    @Test
    void lockStepInParallel() {
        Machine m = new Machine(config(ExecutionMode.PARALLEL, 2).slackCycles(0).build());
        AtomicLong[] r = install(m, 0);
        runOk(m);
        assertEquals(0, r[1].get(), "max lead " + r[0].get());
    }

    @Test
    void deterministicRandomStrategyStaysWithinTheSlack() {
        long slack = 200;
        MachineConfig c = config(ExecutionMode.DETERMINISTIC, 4, 5).slackCycles(slack)
                .strategy(ScheduleStrategy.RANDOM).build();
        Machine m = new Machine(c);
        AtomicLong[] r = install(m, slack);
        runOk(m);
        assertEquals(0, r[1].get(), "max lead " + r[0].get());
        assertTrue(r[0].get() > 0, "the random strategy never let a CPU lead");
    }

    @Test
    void unboundedSlackNeverWaits() {
        Machine m = new Machine(config(ExecutionMode.PARALLEL, 2).slackCycles(MachineConfig.UNBOUNDED_SLACK).build());
        install(m, MachineConfig.UNBOUNDED_SLACK / 2);
        runOk(m);
        assertEquals(0, m.counterTotal(Machine.C_SLACK_WAITS));
    }
}
