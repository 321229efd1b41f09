package l4smp.emulator.cache;

import l4smp.emulator.cost.CostModel;

/**
 * The cost of each access outcome in a hierarchy's hundredths of a cycle, as the section 3.2
 * table gives them: the one table the reference models of {@code AccountingDifferentialTest}
 * and {@code CoherenceDifferentialTest} charge by, written apart from the layer's own
 * outcome-to-cost array so that the models check it.
 */
final class ReferenceCosts {
    private ReferenceCosts() {
    }

    static int centi(CostModel.MemoryHierarchy h, AccessOutcome o) {
        return switch (o) {
            case L1_HIT -> h.l1HitCenti();
            case L2_HIT -> h.l2HitCenti();
            case MEMORY -> h.memoryCenti();
            case E_TO_S -> h.eToSCenti();
            case E_TO_M -> h.eToMCenti();
            case M_TO_S -> h.mToSCenti();
            case M_TO_M -> h.mToMCenti();
            case S_TO_M -> h.sToMCenti();
            case S_TO_S -> h.sharedFillCenti();
        };
    }
}
