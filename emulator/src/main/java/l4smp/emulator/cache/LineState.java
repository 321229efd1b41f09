package l4smp.emulator.cache;

/** A CPU's MESI state of one line, as the directory records it. */
public enum LineState {
    INVALID('I'), SHARED('S'), EXCLUSIVE('E'), MODIFIED('M');

    private final char letter;

    LineState(char letter) { this.letter = letter; }

    /** The usual letter: M, E, S or I. */
    public char letter() { return letter; }
}
