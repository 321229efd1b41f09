package l4smp.kernel;

import l4smp.emulator.ExecutionMode;
import l4smp.emulator.Machine;
import l4smp.kernel.api.L4;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.thread.ThreadId;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A CPU's simulated time splits into user time ({@code cpu.user_cycles}: guest code between a
 * kernel exit and the next trap), idle time and kernel time (the rest), which the per-CPU plot
 * draws. User time is exactly what the user threads computed: accounting is off, so a user
 * thread's only cycles are those of {@code L4.compute}.
 */
class CpuTimeSplitTest {

    @ParameterizedTest
    @EnumSource(ExecutionMode.class)
    void userTimeIsWhatTheThreadsComputedAndKernelTimeTheRest(ExecutionMode mode) {
        KernelRig rig = KernelRig.of(mode, 2);
        ThreadId[] ids = new ThreadId[2];
        // 3 M cycles cross several 1 ms ticks (450,000 cycles at 450 MHz): each tick is a trap,
        // kernel time, and the computation goes on in user mode after it.
        ids[0] = rig.spawn("worker", 0, () -> {
            L4.compute(3_000_000);
            L4.receive(ids[1]);
            L4.compute(1_000);
        });
        ids[1] = rig.spawn("sender", 1, () -> {
            L4.compute(20_000);
            L4.send(ids[0], MsgTag.make(1, 0));
        });
        rig.runClean();
        Machine m = rig.machine;
        assertEquals(3_001_000, m.counters(0).valueOpaque(Machine.C_USER_CYCLES), "cpu0 user cycles");
        assertEquals(20_000, m.counters(1).valueOpaque(Machine.C_USER_CYCLES), "cpu1 user cycles");
        for (int c = 0; c < 2; c++) {
            long kernel = m.cpu(c).clock() - m.counters(c).valueOpaque(Machine.C_IDLE_CYCLES)
                    - m.counters(c).valueOpaque(Machine.C_USER_CYCLES);
            assertTrue(kernel > 0, "cpu" + c + " spent time in the kernel: " + kernel);
        }
        assertTrue(m.counters(0).valueOpaque(Kernel.C_TICKS) >= 6, "the computation crossed ticks");
    }
}
