package l4smp.kernel;

import l4smp.emulator.Machine;
import l4smp.emulator.MachineConfig;
import l4smp.kernel.ipc.IpcPath;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.ThreadId;
import l4smp.kernel.xcpu.Mailbox;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dispatcher's inlinable checks ({@link IpcPath#hasXp}, {@link Kernel#hasSpacesAcquire},
 * {@link Tcb#hasXpMailbox}) answer as the accessors they stand for: the cross-processor paths
 * exist exactly on a machine of more than one CPU (thesis 8.3.4), the address-space layer once
 * something set it up, and a mailbox exactly for the proxies (8.4.1), never for a user thread.
 * A check planted wrong would send a one-CPU machine's thread runs through the mailbox checks
 * of a kernel exit, or a proxy through the user exit.
 */
class DispatcherChecksTest {

    private static Kernel boot(int cpus) {
        return Kernel.boot(new Machine(MachineConfig.builder().cpus(cpus).pinning(false).accounting(false).build()));
    }

    @Test
    void oneCpuHasNoCrossProcessorPathsAndNoProxies() {
        Kernel kernel = boot(1);
        IpcPath ipc = kernel.kernelCpu(0).ipcPath();
        assertNull(ipc.xp());
        assertFalse(ipc.hasXp());
        assertNull(kernel.fabric);
        ThreadId id = kernel.createThread(ThreadSpec.of("user", 0, () -> { }));
        Tcb user = kernel.lookup(id);
        assertNotNull(user);
        assertNull(user.xpMailbox());
        assertFalse(user.hasXpMailbox());
    }

    @Test
    void twoCpusHaveCrossProcessorPathsAndEveryProxyItsMailbox() {
        Kernel kernel = boot(2);
        for (int i = 0; i < 2; i++) {
            IpcPath ipc = kernel.kernelCpu(i).ipcPath();
            assertNotNull(ipc.xp());
            assertTrue(ipc.hasXp(), "CPU " + i);
        }
        int proxies = 0;
        for (Mailbox m : kernel.fabric.mailboxes()) {
            if (m != null) {
                Tcb proxy = m.proxyPlain();
                assertSame(m, proxy.xpMailbox());
                assertTrue(proxy.hasXpMailbox(), proxy.name);
                proxies++;
            }
        }
        assertTrue(proxies > 0, "no proxy");
        Tcb user = kernel.lookup(kernel.createThread(ThreadSpec.of("user", 1, () -> { })));
        assertFalse(user.hasXpMailbox());
    }

    @Test
    void theAddressSpaceLayerIsThereOnceSetUp() {
        Kernel kernel = boot(1);
        assertNull(kernel.spacesOrNullAcquire());
        assertFalse(kernel.hasSpacesAcquire());
        var spaces = kernel.spaces();
        assertSame(spaces, kernel.spacesOrNullAcquire());
        assertTrue(kernel.hasSpacesAcquire());
        assertEquals(spaces, kernel.spaces()); // created once
    }
}
