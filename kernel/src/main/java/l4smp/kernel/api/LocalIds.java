package l4smp.kernel.api;

import l4smp.kernel.KernelCpu;
import l4smp.kernel.ipc.Abi;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.ThreadId;

/**
 * The two forms of a thread id as the facade translates them (L4 X.2: a local id names a thread
 * of the caller's address space, a global id any thread): the local ids a caller passes are
 * resolved to global ids before the trap, and the ids the kernel returns are named as the ABI
 * names them to the caller. Thread contract: from an L4 thread, about itself ({@code self}).
 */
final class LocalIds {

    private LocalIds() {
    }

    /**
     * {@code id} with a local id resolved to the global id of the thread of the caller's space
     * that has it (Pistachio {@code ipc.cc}: a local id names a thread of the current space);
     * a local id no thread of the caller's space has stays as it is, and the kernel finds no
     * such thread (X.2 reserves global versions whose low 6 bits are zero).
     */
    static ThreadId resolve(Tcb self, ThreadId id) {
        if (!id.isLocal()) {
            return id;
        }
        ThreadId global = KernelCpu.of(self).kernel().resolveLocal(id, self.space());
        return global == null ? id : global;
    }

    /**
     * {@code global} as the X.2 ABI names it to {@code self}: its local id when the thread shares
     * {@code self}'s address space, else the global id (the thesis ABI: always the global id).
     */
    static ThreadId asSeenBy(Tcb self, ThreadId global) {
        KernelCpu k = KernelCpu.of(self);
        if (k.kernel().config().abi() != Abi.X2 || global.isNil() || global.isAny()) {
            return global;
        }
        Tcb t = k.kernel().lookup(global);
        return t != null && t.hardwareLine() < 0 && t.space() == self.space() ? ThreadId.local(global.number()) : global;
    }
}
