package l4smp.emulator.cpu;

/**
 * Unwinds a CPU's stack when the machine stops while the CPU waits (in a spin-wait, a barrier,
 * a LINT-slot wait). Not an error: the duty cycle catches it and ends.
 */
public final class MachineStoppedException extends RuntimeException {
    public MachineStoppedException(String message) {
        super(message, null, false, false);
    }
}
