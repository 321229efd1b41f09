package l4smp.kernel;

import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;
import l4smp.kernel.api.ExchangeRegisters;
import l4smp.kernel.api.KernelInfoPage;
import l4smp.kernel.api.L4;
import l4smp.kernel.api.Utcb;
import l4smp.kernel.irq.Device;
import l4smp.kernel.irq.InterruptThreads;
import l4smp.kernel.ipc.IpcError;
import l4smp.kernel.ipc.MsgTag;
import l4smp.kernel.ipc.Timeout;
import l4smp.kernel.ipc.TypedItems;
import l4smp.kernel.thread.ThreadId;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kernel interface beyond plain IPC: thread control, exchange-registers, the kernel info
 * page and UTCB, timeslices and priorities, interrupts as IPC, lazy FPU, typed items.
 * Deterministic machines; assertions on simulated cycles and counts.
 */
class KernelInterfaceTest {

    private static Machine machine(int cpus) {
        return new Machine(MachineConfig.builder().cpus(cpus).deterministic(11).build());
    }

    private static void runOk(Machine m, Kernel k) {
        Machine.RunOutcome outcome = m.run();
        assertTrue(outcome.ok(), () -> "run failed: " + outcome.failure());
        assertEquals(List.of(), k.failures());
    }

    /**
     * Each kernel IPI has its own vector, above the IO-APIC's device vectors: the handler
     * dispatches on the vector, so two sharing one would starve one of them (XCPU and the TLB
     * shootdown once shared 0xF0: with address spaces, XCPU mailboxes were never checked).
     */
    @Test
    void kernelIpiVectorsAreDistinctAndAboveTheDeviceVectors() {
        int[] vectors = {Kernel.XCPU_VECTOR, l4smp.kernel.space.TlbShootdown.VECTOR, Kernel.PARTNER_GONE_VECTOR,
                Kernel.PROBE_VECTOR};
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int v : vectors) {
            assertTrue(seen.add(v), "vector 0x" + Integer.toHexString(v) + " is used twice");
            assertTrue(v >= l4smp.emulator.apic.IoApic.VECTOR_BASE + l4smp.emulator.apic.IoApic.LINES && v <= 255,
                    "vector 0x" + Integer.toHexString(v) + " collides with a device vector");
        }
    }

    @Test
    void exchangeRegistersCancelsAReceiveWithErrorCanceled() {
        Machine m = machine(1);
        Kernel k = Kernel.boot(m);
        AtomicLong error = new AtomicLong(-1);
        ThreadId[] victim = new ThreadId[1];
        victim[0] = k.createThread(ThreadSpec.of("victim", 0, () -> {
            int tag = L4.receive(ThreadId.ANY);
            assertTrue(MsgTag.isError(tag));
            error.set(L4.errorCode());
        }));
        k.createThread(ThreadSpec.of("canceler", 0, () -> {
            L4.yieldCpu(); // let the victim block first
            ExchangeRegisters.Result r = L4.exchangeRegisters(victim[0],
                    ExchangeRegisters.CANCEL_RECEIVE | ExchangeRegisters.SET_USER_HANDLE, 0, 0, 0, 42, null);
            assertTrue(r.ok());
            assertEquals("WAITING", r.state());
            assertEquals(42, L4.readRegisters(victim[0]).userHandle());
        }));
        runOk(m, k);
        assertEquals(IpcError.word(IpcError.CANCELED, IpcError.PHASE_RECEIVE), error.get());
    }

    @Test
    void threadControlCreatesOnTheCallersCpuAndDeletes() {
        Machine m = machine(2);
        Kernel k = Kernel.boot(m);
        AtomicLong childCpu = new AtomicLong();
        AtomicLong afterDelete = new AtomicLong();
        k.createThread(ThreadSpec.of("parent", 1, () -> {
            ThreadId child = L4.createThread("child", 100, false, () -> childCpu.set(L4.processorNumber()));
            assertFalse(child.isNil());
            ThreadId sleeper = L4.createThread("sleeper", 100, true, () -> L4.receive(ThreadId.ANY));
            L4.yieldCpu();
            assertTrue(L4.deleteThread(sleeper));
            int tag = L4.send(sleeper, 0, Timeout.ZERO);
            afterDelete.set(L4.errorCode());
            assertTrue(MsgTag.isError(tag));
            assertFalse(L4.deleteThread(sleeper));
        }));
        runOk(m, k);
        assertEquals(2, childCpu.get(), "created on the creator's processor (number 2 = CPU 1)");
        assertEquals(IpcError.word(IpcError.NO_PARTNER, IpcError.PHASE_SEND), afterDelete.get());
    }

    @Test
    void kernelInfoPageAndReadOnlyUtcbProcessorNumber() {
        Machine m = machine(3);
        Kernel k = Kernel.boot(m);
        AtomicReference<String> refused = new AtomicReference<>();
        AtomicLong processor = new AtomicLong();
        AtomicLong highest = new AtomicLong();
        k.createThread(ThreadSpec.of("t", 2, () -> {
            highest.set(L4.kernelInfo().word(KernelInfoPage.PROCESSORS_OFFSET));
            processor.set(L4.utcbRead(Utcb.PROCESSOR_NUMBER_OFFSET));
            try {
                L4.utcbWrite(Utcb.PROCESSOR_NUMBER_OFFSET, 1);
            } catch (IllegalArgumentException e) {
                refused.set(e.getMessage());
            }
            L4.utcbWrite(Utcb.USER_HANDLE_OFFSET, 7);
            assertEquals(7, L4.utcbRead(Utcb.USER_HANDLE_OFFSET));
        }));
        runOk(m, k);
        assertEquals(3, highest.get());
        assertEquals(3, processor.get());
        assertTrue(refused.get().contains("read-only"), refused.get());
    }

    @Test
    void equalPrioritiesShareTheCpuRoundRobinByTimeslice() {
        Machine m = machine(1);
        Kernel k = Kernel.boot(m, new KernelConfig(10.0, 2)); // 10 us ticks, 2-tick slices
        List<String> order = Collections.synchronizedList(new ArrayList<>());
        for (String name : List.of("a", "b")) {
            k.createThread(ThreadSpec.of(name, 0, () -> {
                for (int i = 0; i < 3; i++) {
                    order.add(name);
                    L4.compute(L4.micros(20)); // exactly one timeslice
                }
            }));
        }
        runOk(m, k);
        assertEquals(List.of("a", "b", "a", "b", "a", "b"), order);
        assertTrue(m.counterTotal(Kernel.C_TIMESLICE_ENDS) >= 5);
    }

    @Test
    void aHigherPriorityThreadPreemptsWhenItsTimeoutFires() {
        Machine m = machine(1);
        Kernel k = Kernel.boot(m);
        AtomicLong lateness = new AtomicLong(-1);
        k.createThread(new ThreadSpec("low", 0, 10, true, () -> {
            while (true) {
                L4.compute(1_000_000);
            }
        }));
        k.createThread(new ThreadSpec("high", 0, 200, false, () -> {
            long period = L4.micros(50);
            long due = L4.clock() + period;
            assertTrue(L4.sleep(period));
            lateness.set(L4.clock() - due);
        }));
        runOk(m, k);
        // Woken exactly at the due time: the low thread traps there (kernel entry), the kernel
        // switches, the high thread returns (exit) -- a few hundred cycles, never a timeslice.
        assertTrue(lateness.get() >= 0 && lateness.get() < 1000, "lateness " + lateness.get());
    }

    @Test
    void interruptsArriveAsIpcFromTheInterruptThreadAndNoneIsLost() {
        Machine m = machine(1);
        Kernel k = Kernel.boot(m);
        long interval = 2_000;
        int count = 50;
        k.addDevice(new Device("dev", 3, interval, interval, count));
        AtomicLong handled = new AtomicLong();
        k.createThread(new ThreadSpec("handler", 0, 200, false, () -> {
            ThreadId irq = L4.attachInterrupt(3);
            assertEquals(InterruptThreads.id(3), irq);
            int tag = L4.receive(irq);
            while (true) {
                assertEquals(InterruptThreads.LABEL, MsgTag.label(tag));
                assertEquals(irq, L4.from());
                L4.compute(3_000); // slower than the device: interrupts queue up in service
                if (handled.incrementAndGet() == count) {
                    L4.send(irq, 0, 0);
                    break;
                }
                tag = L4.ipc(irq, irq, 0, 0, Timeout.NEVER);
            }
        }));
        runOk(m, k);
        assertEquals(count, handled.get());
        assertEquals(count, m.counterTotal(Kernel.C_IRQ_DELIVERED));
        assertTrue(m.counterTotal(Kernel.C_IRQ_QUEUED) > 0);
    }

    @Test
    void lazyFpuSavesOnlyWhenAnotherThreadUsesIt() {
        Machine m = machine(1);
        Kernel k = Kernel.boot(m);
        ThreadId[] server = new ThreadId[1];
        server[0] = k.createThread(ThreadSpec.daemon("integer-server", 0, () -> {
            L4.waitAny();
            while (true) {
                L4.replyWait(L4.from(), 0);
            }
        }));
        k.createThread(ThreadSpec.of("fpu-client", 0, () -> {
            for (int i = 0; i < 10; i++) {
                L4.fpuCompute(100);
                L4.call(server[0], 0);
            }
        }));
        runOk(m, k);
        assertEquals(0, m.counterTotal(Kernel.C_FPU_SWITCHES), "nobody else used the FPU");
        assertTrue(m.counterTotal(Kernel.C_FPU_SAVES_AVOIDED) >= 9);
    }

    @Test
    void stringItemsAreCopiedIntoTheReceiversBuffer() {
        Machine m = machine(1);
        Kernel k = Kernel.boot(m);
        byte[] text = "a long message, longer than a cache line of 32 bytes".getBytes(StandardCharsets.US_ASCII);
        AtomicReference<byte[]> received = new AtomicReference<>();
        long src = 0x20_000;
        long dst = 0x30_000;
        ThreadId[] receiver = new ThreadId[1];
        receiver[0] = k.createThread(ThreadSpec.of("receiver", 0, () -> {
            L4.setBr(0, TypedItems.ACCEPT_STRINGS);
            L4.setBr(1, TypedItems.stringItem(dst, 256));
            L4.setBr(2, dst);
            int tag = L4.receive(ThreadId.ANY);
            assertFalse(MsgTag.isError(tag), () -> IpcError.describe(L4.errorCode()));
            assertEquals(2, MsgTag.typed(tag));
            received.set(L4.readBytes(dst, TypedItems.stringLength(L4.mr(2))));
        }));
        k.createThread(ThreadSpec.of("sender", 0, () -> {
            L4.writeBytes(src, text);
            L4.setMr(1, 99);
            L4.setMr(2, TypedItems.stringItem(src, text.length));
            L4.setMr(3, src);
            int tag = L4.send(receiver[0], MsgTag.make(1, 1, 2));
            assertFalse(MsgTag.isError(tag));
        }));
        runOk(m, k);
        assertArrayEquals(text, received.get());
    }

    /**
     * A string longer than its buffer: what fits is copied, then message overflow for both with
     * the bytes copied as the ErrorCode's offset (X.2 ErrorCode {@code offset << 4 | 4 << 1 |
     * phase}; Pistachio ipcx.cc copies {@code min(dst_len, src_len)} and reports
     * {@code ERR_IPC_MSG_OVERFLOW(total_len)}; l4test ipc-string "Too short receive buffer").
     */
    @Test
    void aStringLongerThanTheBufferIsMessageOverflowForBothAfterWhatFits() {
        Machine m = machine(1);
        Kernel k = Kernel.boot(m);
        AtomicLong receiverError = new AtomicLong();
        AtomicLong senderError = new AtomicLong();
        AtomicReference<byte[]> received = new AtomicReference<>();
        ThreadId[] receiver = new ThreadId[1];
        receiver[0] = k.createThread(ThreadSpec.of("receiver", 0, () -> {
            L4.writeBytes(0x30_000, new byte[16]);
            L4.setBr(0, TypedItems.ACCEPT_STRINGS);
            L4.setBr(1, TypedItems.stringItem(0x30_000, 8));
            L4.setBr(2, 0x30_000);
            L4.receive(ThreadId.ANY);
            receiverError.set(L4.errorCode());
            received.set(L4.readBytes(0x30_000, 16));
        }));
        k.createThread(ThreadSpec.of("sender", 0, () -> {
            byte[] text = new byte[100];
            java.util.Arrays.fill(text, (byte) 7);
            L4.writeBytes(0x20_000, text);
            L4.setMr(1, TypedItems.stringItem(0x20_000, 100));
            L4.setMr(2, 0x20_000);
            L4.send(receiver[0], MsgTag.make(1, 0, 2));
            senderError.set(L4.errorCode());
        }));
        runOk(m, k);
        assertEquals(8 << 4 | IpcError.word(IpcError.MESSAGE_OVERFLOW, IpcError.PHASE_RECEIVE), receiverError.get());
        assertEquals(8 << 4 | IpcError.word(IpcError.MESSAGE_OVERFLOW, IpcError.PHASE_SEND), senderError.get());
        assertArrayEquals(new byte[] {7, 7, 7, 7, 7, 7, 7, 7, 0, 0, 0, 0, 0, 0, 0, 0}, received.get());
    }

    /**
     * The transfer timeout bounds the handling of page faults in a long IPC, and runs from the
     * first fault (X.2 XferTimeouts; Pistachio space.cc handle_xfer_timeouts is called from
     * the page-fault handler only): a 1 MiB copy in the flat space, which never faults, is not
     * stopped by a transfer timeout of 100 cycles.
     */
    @Test
    void aTransferTimeoutDoesNotStopALongCopyWithoutFaults() {
        Machine m = machine(1);
        Kernel k = Kernel.boot(m);
        AtomicLong receiverError = new AtomicLong();
        AtomicLong senderError = new AtomicLong();
        int length = 1 << 20; // 1 MiB: far more than 100 cycles of copying
        ThreadId[] receiver = new ThreadId[1];
        receiver[0] = k.createThread(ThreadSpec.of("receiver", 0, () -> {
            L4.setBr(0, TypedItems.ACCEPT_STRINGS);
            L4.setBr(1, TypedItems.stringItem(0x200_000, length));
            L4.setBr(2, 0x200_000);
            L4.setXferTimeouts(Timeout.NEVER, 100);
            L4.receive(ThreadId.ANY);
            receiverError.set(L4.errorCode());
        }));
        k.createThread(ThreadSpec.of("sender", 0, () -> {
            L4.setMr(1, TypedItems.stringItem(0x100_000, length));
            L4.setMr(2, 0x100_000);
            L4.send(receiver[0], MsgTag.make(1, 0, 2));
            senderError.set(L4.errorCode());
        }));
        runOk(m, k);
        assertEquals(0, receiverError.get());
        assertEquals(0, senderError.get());
    }
}
