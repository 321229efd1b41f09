package l4smp.emulator.testing;

import l4smp.emulator.ExecutionMode;
import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;
import l4smp.emulator.apic.Interrupt;
import l4smp.emulator.cpu.Cpu;
import l4smp.emulator.cpu.Dispatcher;

import java.time.Duration;
import java.util.function.ToIntFunction;

/** Small machines and dispatchers for tests. */
public final class TestMachines {

    private TestMachines() {
    }

    /** A config builder for {@code mode}: pinning off (tests must not depend on the host), 10 s stuck bound. */
    public static MachineConfig.Builder config(ExecutionMode mode, int cpus, long seed) {
        MachineConfig.Builder b = MachineConfig.builder().cpus(cpus).pinning(false)
                .stuckTimeout(Duration.ofSeconds(10));
        return mode == ExecutionMode.DETERMINISTIC ? b.deterministic(seed) : b.mode(ExecutionMode.PARALLEL);
    }

    public static MachineConfig.Builder config(ExecutionMode mode, int cpus) {
        return config(mode, cpus, 1);
    }

    /** What a test dispatcher's interrupt handler saw. */
    public record Taken(int vector, int source, long sentAt, long arrival, long clockInHandler) {
    }

    /**
     * A dispatcher whose duty cycle is a lambda and whose handler records every interrupt
     * (owner CPU only; read after the run).
     */
    public static class ScriptedDispatcher implements Dispatcher {
        private final ToIntFunction<Cpu> work;
        public final java.util.List<Taken> taken = new java.util.ArrayList<>();

        public ScriptedDispatcher(ToIntFunction<Cpu> work) {
            this.work = work;
        }

        @Override
        public int doWork(Cpu cpu) {
            return work.applyAsInt(cpu);
        }

        @Override
        public void onInterrupt(Cpu cpu, Interrupt interrupt) {
            taken.add(new Taken(interrupt.vector(), interrupt.sourceCpu(), interrupt.sentAt(),
                    interrupt.arrivalTime(), cpu.clock()));
            handled(cpu, interrupt);
        }

        /** Hook for subclasses: runs in the handler after the record. */
        protected void handled(Cpu cpu, Interrupt interrupt) {
        }

        @Override
        public long nextEvent(Cpu cpu) {
            return NO_EVENT;
        }
    }

    /** A dispatcher with nothing to do that records the interrupts it takes. */
    public static ScriptedDispatcher idle() {
        return new ScriptedDispatcher(cpu -> 0);
    }

    /** Runs {@code work} once on the first duty cycle, then idles. */
    public static ScriptedDispatcher once(java.util.function.Consumer<Cpu> work) {
        boolean[] done = new boolean[1];
        return new ScriptedDispatcher(cpu -> {
            if (done[0]) {
                return 0;
            }
            done[0] = true;
            work.accept(cpu);
            return 1;
        });
    }

    /** Asserts the run ended well, with the outcome in the message otherwise. */
    public static Machine.RunOutcome runOk(Machine machine) {
        Machine.RunOutcome outcome = machine.run();
        if (!outcome.ok()) {
            throw new AssertionError("run failed: " + outcome.failure(), outcome.failureCause());
        }
        return outcome;
    }
}
