package l4smp.kernel.conformance;

import l4smp.kernel.api.KernelInfoPage;
import l4smp.kernel.api.L4;
import l4smp.kernel.api.Utcb;
import l4smp.kernel.ipc.Abi;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.thread.ThreadId;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The cases of l4test's {@code schedule.cc} and {@code kip.cc} (Pistachio {@code user/apps/l4test})
 * that involve processors: the processor numbers a thread sees (UTCB, KIP), Schedule's priority
 * and processor control, on one CPU and across two, seeded and in parallel, under both ABIs.
 * Thesis 7.2: processors 1..k, 0 = no migration, k in the KIP's 8-bit word; X.2 / Pistachio:
 * processors 0..k-1 (UTCB ProcessorNo), ProcessorInfo = k - 1 ({@code kernelinterface.h}:
 * {@code get_num_processors() = processors + 1}), processor control ~0 = no migration
 * ({@code api/v4/schedule.cc}: {@code if (processor_control != ~0UL) migrate_to_processor}).
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SAME_THREAD)
class ScheduleConformanceTest {

    static List<Variant> variants() {
        return Variant.allAbis();
    }

    /** The UTCB's processor number and the KIP's processor word, in the variant's ABI. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void processorNumbersAndTheKipCountAsTheAbiSays(Variant v) {
        ConformanceRig rig = new ConformanceRig(v);
        rig.spawn("first", 0, () -> rig.note("first on " + L4.processorNumber() + " utcb "
                + L4.utcbRead(Utcb.PROCESSOR_NUMBER_OFFSET)));
        rig.spawn("second", 1, () -> rig.note("second on " + L4.processorNumber() + " kip 0xB8 "
                + L4.kernelInfo().word(KernelInfoPage.PROCESSORS_OFFSET) + " kip 0xCC "
                + L4.kernelInfo().word(KernelInfoPage.PROCESSOR_INFO_OFFSET)));
        rig.runClean();
        int k = v.cpus();
        String kip = v.abi() == Abi.THESIS ? " kip 0xB8 " + k + " kip 0xCC 0" : " kip 0xB8 0 kip 0xCC " + (k - 1);
        List<String> expected = new java.util.ArrayList<>(List.of(
                "first on " + v.processorOf(0) + " utcb " + v.processorOf(0),
                "second on " + v.processorOf(1) + kip));
        List<String> got = new java.util.ArrayList<>(rig.log);
        expected.sort(null);
        got.sort(null);
        assertEquals(expected, got, v.toString());
    }

    /**
     * Schedule migrates a thread to the processor the ABI numbers (X.2: 0-based), leaves it with
     * the ABI's "no migration" value, returns the old priority and sets the new one; the
     * migrated thread then finds itself on that processor (l4test schedule.cc sets priorities
     * and reads them back; ipc-smp.cc places threads with {@code L4_Set_ProcessorNo}).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void scheduleMigratesToTheAbisProcessorNumber(Variant v) {
        ConformanceRig rig = new ConformanceRig(v);
        ThreadId[] ids = new ThreadId[2];
        ids[0] = rig.spawn("worker", 0, () -> {
            L4.receive(ids[1]);
            rig.note("worker on " + L4.processorNumber());
            L4.send(ids[1], 0);
        });
        rig.kernel.setMaximumControlledPriority(ids[0], 255);
        ids[1] = rig.spawn("scheduler", 1, () -> {
            int target = v.processorOf(1); // the scheduler's own processor
            int old = L4.schedule(ids[0], L4.noMigration(), 120, 0);
            rig.note("stay: old " + old + " error " + L4.errorCode());
            old = L4.migrate(ids[0], target);
            rig.note("migrate: old " + old + " error " + L4.errorCode());
            int tag = L4.call(ids[0], MsgTag.make(0, 0));
            rig.note("call crossed " + MsgTag.crossedProcessors(tag));
        });
        rig.kernel.setMaximumControlledPriority(ids[1], 255);
        rig.runClean();
        assertEquals(List.of("stay: old 100 error 0", "migrate: old 120 error 0", "worker on " + v.processorOf(1),
                "call crossed false"), rig.log, v.toString());
    }

    /**
     * Bad processor numbers are refused with X.2 error 5 (invalid parameter) and move nothing:
     * k and above, and below the ABI's "no migration" value (thesis: -1; X.2: -2, since -1 is ~0).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void outOfRangeProcessorNumbersAreInvalidParameters(Variant v) {
        ConformanceRig rig = new ConformanceRig(v);
        ThreadId[] ids = new ThreadId[2];
        ids[0] = rig.spawn("worker", 0, () -> {
            L4.receive(ids[1]);
            rig.note("worker on " + L4.processorNumber());
        });
        ids[1] = rig.spawn("scheduler", 1, () -> {
            int k = L4.kernelInfo().highestProcessorNumber();
            for (int bad : new int[] {L4.processorOfIndex(k), L4.processorOfIndex(k) + 7, L4.noMigration() - 1,
                    Integer.MIN_VALUE}) {
                int r = L4.migrate(ids[0], bad);
                rig.note(bad + " -> " + r + " error " + L4.errorCode());
            }
            L4.send(ids[0], 0);
        });
        rig.runClean();
        int k = v.cpus();
        int above = v.abi().userProcessor(k);
        int below = v.abi().noMigration() - 1;
        assertEquals(List.of(above + " -> -1 error 5", (above + 7) + " -> -1 error 5", below + " -> -1 error 5",
                Integer.MIN_VALUE + " -> -1 error 5", "worker on " + v.processorOf(0)), rig.log, v.toString());
    }

    /**
     * Schedule on an interrupt thread (X.2: interrupt threads are threads; Pistachio's
     * {@code SYS_SCHEDULE} makes no exception for them) sets its priority and returns the old
     * one (255 at boot); a caller whose MCP does not cover it gets error 1 (no privilege), and
     * moving it to a processor is refused with error 5. Before, every Schedule on an interrupt
     * thread failed with error 2 (unavailable thread).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void scheduleSetsAnInterruptThreadsPriority(Variant v) {
        ConformanceRig rig = new ConformanceRig(v);
        ThreadId irq = l4smp.kernel.irq.InterruptThreads.id(3);
        ThreadId privileged = rig.spawn("scheduler", 1, () -> {
            rig.note("set 200: old " + L4.schedule(irq, L4.noMigration(), 200, 0) + " error " + L4.errorCode());
            rig.note("read: old " + L4.schedule(irq, L4.noMigration(), -1, 0) + " error " + L4.errorCode());
            rig.note("move: " + L4.migrate(irq, L4.processorOfIndex(0)) + " error " + L4.errorCode());
        });
        rig.kernel.setMaximumControlledPriority(privileged, 255);
        rig.runClean();
        ConformanceRig plain = new ConformanceRig(v);
        plain.spawn("user", 0, () -> plain.note("unprivileged: " + L4.schedule(irq, L4.noMigration(), 50, 0)
                + " error " + L4.errorCode()));
        plain.runClean();
        assertEquals(List.of("set 200: old 255 error 0", "read: old 200 error 0", "move: -1 error 5"), rig.log,
                v.toString());
        assertEquals(List.of("unprivileged: -1 error 1"), plain.log, v.toString());
    }

    /**
     * ThreadSwitch donates the rest of the timeslice to its dest, which X.2 ThreadSwitch lets the
     * caller name by a local id as well as a global one: three equal-priority threads of one space
     * on one CPU, the first switching to the third by its local id, which runs before the second
     * (round-robin would run the second; Pistachio {@code SYS_THREAD_SWITCH} switches to a dest
     * that is runnable on the current CPU).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void threadSwitchTakesALocalId(Variant v) {
        ConformanceRig rig = new ConformanceRig(v);
        ThreadId[] ids = new ThreadId[3];
        ids[0] = rig.spawn("a", 0, () -> {
            rig.note("a1");
            L4.threadSwitch(ThreadId.local(ids[2].number()));
            rig.note("a2");
        });
        ids[1] = rig.spawn("b", 0, () -> rig.note("b"));
        ids[2] = rig.spawn("c", 0, () -> {
            rig.note("c1");
            L4.yieldCpu();
            rig.note("c2");
        });
        rig.runClean();
        assertEquals(List.of("a1", "c1", "b", "a2", "c2"), rig.log, v.toString());
    }
}
