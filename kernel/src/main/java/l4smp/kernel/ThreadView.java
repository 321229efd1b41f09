package l4smp.kernel;

import l4smp.kernel.thread.ThreadState;

/**
 * What one live thread is doing, for reports (a deadlock, a stalled run).
 *
 * @param name     the thread's name and id
 * @param cpu      its physical CPU
 * @param state    its thread state
 * @param waitsFor what it waits for (a receive's partner, a send's destination), or "" when
 *                 it waits for nothing
 * @param daemon   whether it is a daemon thread (the run does not wait for it to end)
 */
public record ThreadView(String name, int cpu, ThreadState state, String waitsFor, boolean daemon) {
    @Override
    public String toString() {
        return name + ": " + state + (waitsFor.isEmpty() ? "" : " (" + waitsFor + ")") + (daemon ? " [daemon]" : "");
    }
}
