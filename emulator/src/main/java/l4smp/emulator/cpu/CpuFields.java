package l4smp.emulator.cpu;

/*
 * The cross-thread fields of a Cpu, laid out by class hierarchy (the JVM places a superclass's
 * fields before a subclass's) with 128 bytes of padding around each group, so that the group
 * the owner writes on every simulated event (clock, state: {@link ConcurrentRunState}) never
 * shares a host cache line with another CPU's fields. The interrupt flag, which the senders of IPIs write, is padded in its
 * own object ({@link InterruptLine}).
 */

@SuppressWarnings("unused")
abstract class CpuPad0 {
    long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15;
}

/**
 * Written by the owner, read by others: after the clock, run state, next timer event and state
 * version of {@link ConcurrentRunState}, the duty-cycle progress count (in the same padded group).
 */
abstract class CpuOwnerPublished extends ConcurrentRunState {
    long progress;
}

@SuppressWarnings("unused")
abstract class CpuPad1 extends CpuOwnerPublished {
    long p20, p21, p22, p23, p24, p25, p26, p27, p28, p29, p30, p31, p32, p33, p34, p35;
}

@SuppressWarnings("unused")
abstract class CpuPad2 extends CpuPad1 {
    long p40, p41, p42, p43, p44, p45, p46, p47, p48, p49, p50, p51, p52, p53, p54, p55;
}
