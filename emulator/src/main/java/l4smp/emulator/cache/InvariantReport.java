package l4smp.emulator.cache;

import java.util.List;

/**
 * The result of {@link MemorySystem#checkInvariants()}.
 *
 * @param violations    descriptions of every broken invariant (empty when all hold)
 * @param linesChecked  directory entries that some CPU holds
 * @param staleCopies   cache tags whose copy another CPU invalidated (allowed: lazily noticed)
 */
public record InvariantReport(List<String> violations, long linesChecked, long staleCopies) {

    public InvariantReport {
        violations = List.copyOf(violations);
    }

    public boolean ok() { return violations.isEmpty(); }

    /** Throws {@link IllegalStateException} with the whole report if an invariant is broken. */
    public InvariantReport orThrow() {
        if (!ok()) {
            throw new IllegalStateException(toString());
        }
        return this;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("MESI invariants: ")
                .append(ok() ? "hold" : violations.size() + " violation(s)")
                .append(" (").append(linesChecked).append(" lines held, ")
                .append(staleCopies).append(" stale copies)");
        int shown = 0;
        for (String v : violations) {
            if (shown++ == 50) {
                b.append("\n  ... ").append(violations.size() - 50).append(" more");
                break;
            }
            b.append("\n  ").append(v);
        }
        return b.toString();
    }
}
