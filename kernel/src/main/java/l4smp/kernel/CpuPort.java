package l4smp.kernel;

import l4smp.emulator.cache.AccessKind;
import l4smp.emulator.cache.SingleWriterAccessPlan;
import l4smp.emulator.cpu.Cpu;
import l4smp.kernel.ipc.IpcPath;
import l4smp.kernel.thread.Tcb;
import l4smp.kernel.thread.TcbLayout;
import l4smp.kernel.thread.ThreadState;

/** One CPU's {@link KernelCpuPort}: the operations of {@link KernelCpu} its paths may use. Owner CPU only. */
final class CpuPort implements KernelCpuPort {

    private final KernelCpu k;

    CpuPort(KernelCpu k) {
        this.k = k;
    }

    @Override
    public Kernel kernel() {
        return k.kernel;
    }

    @Override
    public Cpu cpu() {
        return k.cpu;
    }

    @Override
    public int index() {
        return k.index;
    }

    @Override
    public Tcb current() {
        return k.current();
    }

    @Override
    public IpcPath ipcPath() {
        return k.ipc;
    }

    @Override
    public void enqueueReadyHead(Tcb t) {
        k.ready.enqueueHead(t);
    }

    @Override
    public void enqueueReadyTail(Tcb t) {
        k.ready.enqueueTail(t);
    }

    @Override
    public void removeReady(Tcb t) {
        k.ready.remove(t);
    }

    @Override
    public void addWakeup(Tcb t, long at) {
        k.wakeups.add(t, at);
    }

    @Override
    public void removeWakeup(Tcb t) {
        k.wakeups.remove(t);
    }

    @Override
    public void makeReady(Tcb t) {
        k.makeReady(t);
    }

    @Override
    public void handOffCharged(Tcb t) {
        k.handOffCharged(t);
    }

    @Override
    public int[] planHandOff(int who) {
        return k.planHandOff(who);
    }

    @Override
    public int planMr(int who, int i, AccessKind kind) {
        return k.planMr(who, i, kind);
    }

    @Override
    public void setSwitchHint(Tcb t) {
        k.setSwitchHint(t);
    }

    @Override
    public void requestPartnerGoneCheck() {
        k.requestPartnerGoneCheck();
    }

    @Override
    public void touchTcb(Tcb t, TcbLayout.Field f, AccessKind kind) {
        k.touchTcb(t, f, kind);
    }

    @Override
    public void touchMr(Tcb t, int i, AccessKind kind) {
        k.touchMr(t, i, kind);
    }

    @Override
    public int planTcb(int who, TcbLayout.Field f, AccessKind kind) {
        return k.planTcb(who, f, kind);
    }

    @Override
    public void chargePlan(Tcb a, Tcb b, SingleWriterAccessPlan plan) {
        k.chargePlan(a, b, plan);
    }

    @Override
    public void chargeMrCopy(Tcb from, Tcb to, int u) {
        k.chargeMrCopy(from, to, u);
    }

    @Override
    public void writeState(Tcb t, ThreadState s) {
        k.writeState(t, s);
    }

    @Override
    public void writePartner(Tcb t, Tcb partner) {
        k.writePartner(t, partner);
    }
}
