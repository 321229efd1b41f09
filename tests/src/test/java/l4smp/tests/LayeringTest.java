package l4smp.tests;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noFields;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noMethods;

/**
 * The layering of the code base, locked: a new dependency that crosses a layer the wrong way
 * fails this test (with the offending class and the class it reaches).
 *
 * <pre>
 *   tests  ->  bench  ->  kernel (its facade, configuration, statistics, ids)  ->  emulator
 *   user programs (sigma0, pagers)  ->  api (the L4 facade)
 *   kernel:  paths (root: the CPU's kernel, dispatch, migration; ipc; space)
 *              -> sched, irq, boot -> xcpu -> thread (the TCB and its types) -> emulator
 * </pre>
 *
 * The TCB package knows the data types it holds (mailboxes, address spaces, message tags), not
 * the paths that use it; the XCPU mailboxes and flag lines know the TCB, not IPC; bench reads
 * the kernel through its facade and {@code KernelStatistics}, never through a CPU's paths.
 */
class LayeringTest {

    static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("l4smp");
    }

    /** The kernel's per-CPU path classes: internals no other module may reach. */
    static final Set<String> KERNEL_PATHS = Set.of(
            "l4smp.kernel.DispatchPath", "l4smp.kernel.ThreadLifecycle", "l4smp.kernel.migrate.Migration",
            "l4smp.kernel.migrate.MigrationParts", "l4smp.kernel.migrate.MigrationMailboxes",
            "l4smp.kernel.ipc.IpcPath", "l4smp.kernel.ipc.TransmitPath", "l4smp.kernel.ipc.IpcEnds",
            "l4smp.kernel.ipc.XpIpc", "l4smp.kernel.ipc.XpSendPath", "l4smp.kernel.ipc.XpMailboxCheck",
            "l4smp.kernel.ipc.XpProxy", "l4smp.kernel.ipc.XpExchangeRegisters", "l4smp.kernel.ipc.XpAbortHold",
            "l4smp.kernel.space.SpaceIpc", "l4smp.kernel.space.FaultIpc", "l4smp.kernel.space.SpaceCopy",
            "l4smp.kernel.thread.Tcb");

    static final DescribedPredicate<JavaClass> KERNEL_PATH = DescribedPredicate.describe(
            "a kernel path class " + KERNEL_PATHS, c -> KERNEL_PATHS.contains(c.getName().replaceAll("\\$.*", "")));

    static void check(ArchRule rule) {
        rule.check(classes);
    }

    @Test
    void theEmulatorKnowsNoKernel() {
        check(noClasses().that().resideInAPackage("l4smp.emulator..")
                .should().dependOnClassesThat().resideInAnyPackage("l4smp.kernel..", "l4smp.bench..", "l4smp.tests.."));
    }

    @Test
    void theKernelKnowsNoBenchOrTests() {
        check(noClasses().that().resideInAPackage("l4smp.kernel..")
                .should().dependOnClassesThat().resideInAnyPackage("l4smp.bench..", "l4smp.tests.."));
    }

    @Test
    void benchReachesNoKernelPath() {
        check(noClasses().that().resideInAPackage("l4smp.bench..")
                .should().dependOnClassesThat(KERNEL_PATH)
                .orShould().dependOnClassesThat().resideInAnyPackage("l4smp.kernel.sched.."));
    }

    @Test
    void theTcbPackageKnowsNoPath() {
        check(noClasses().that().resideInAPackage("l4smp.kernel.thread..")
                .should().dependOnClassesThat().resideInAnyPackage("l4smp.kernel", "l4smp.kernel.api..",
                        "l4smp.kernel.sched..", "l4smp.kernel.boot..", "l4smp.kernel.irq..")
                .orShould().dependOnClassesThat(KERNEL_PATH.and(DescribedPredicate.describe("other than Tcb",
                        c -> !c.getName().startsWith("l4smp.kernel.thread.")))));
    }

    @Test
    void theXcpuMechanismsKnowNoIpcOrSpace() {
        check(noClasses().that().resideInAPackage("l4smp.kernel.xcpu..")
                .should().dependOnClassesThat().resideInAnyPackage("l4smp.kernel", "l4smp.kernel.ipc..",
                        "l4smp.kernel.space..", "l4smp.kernel.sched..", "l4smp.kernel.api..", "l4smp.kernel.boot..",
                        "l4smp.kernel.irq.."));
    }

    @Test
    void schedulingInterruptsAndTheStartupHandshakeKnowNoPath() {
        check(noClasses().that().resideInAnyPackage("l4smp.kernel.sched..", "l4smp.kernel.irq..")
                .or().haveFullyQualifiedName("l4smp.kernel.boot.StartupHandshake")
                .should().dependOnClassesThat().resideInAnyPackage("l4smp.kernel", "l4smp.kernel.ipc..",
                        "l4smp.kernel.space..", "l4smp.kernel.api..", "l4smp.kernel.migrate..", "l4smp.kernel.boot.."));
    }

    /** The boot (8.2) runs before any IPC or migration: it knows neither, and no path knows it. */
    @Test
    void theBootKnowsNoIpcOrMigrationAndNoPathKnowsTheBoot() {
        check(noClasses().that().resideInAPackage("l4smp.kernel.boot..")
                .should().dependOnClassesThat().resideInAnyPackage("l4smp.kernel.ipc..", "l4smp.kernel.migrate..",
                        "l4smp.kernel.user.."));
        check(noClasses().that().resideInAnyPackage("l4smp.kernel.ipc..", "l4smp.kernel.space..",
                        "l4smp.kernel.migrate..", "l4smp.kernel.xcpu..", "l4smp.kernel.thread..", "l4smp.kernel.api..",
                        "l4smp.kernel.user..")
                .should().dependOnClassesThat().resideInAPackage("l4smp.kernel.boot.."));
    }

    /** Migration (8.7) is reached through the CPU's kernel only: no IPC, space or lower layer knows it. */
    @Test
    void onlyTheCpuKernelKnowsMigration() {
        check(noClasses().that().resideOutsideOfPackages("l4smp.kernel", "l4smp.kernel.migrate..")
                .should().dependOnClassesThat().resideInAPackage("l4smp.kernel.migrate.."));
    }

    /**
     * The paths of the ipc, space and migrate packages use a CPU's kernel through its narrow port
     * ({@code KernelCpuPort}), never {@code KernelCpu} itself, and no kernel package but the CPU's
     * kernel reaches the scheduler's structures (the jcstress tests may use them as data structures).
     */
    @Test
    void thePathsUseACpusKernelThroughItsPort() {
        check(noClasses().that().resideInAnyPackage("l4smp.kernel.ipc..", "l4smp.kernel.space..", "l4smp.kernel.migrate..")
                .should().dependOnClassesThat().haveFullyQualifiedName("l4smp.kernel.KernelCpu"));
        check(noClasses().that().resideInAnyPackage("l4smp.kernel.ipc..", "l4smp.kernel.space..", "l4smp.kernel.migrate..",
                        "l4smp.kernel.boot..", "l4smp.kernel.api..", "l4smp.kernel.user..", "l4smp.kernel.xcpu..",
                        "l4smp.kernel.thread..", "l4smp.kernel.irq..")
                .should().dependOnClassesThat().resideInAPackage("l4smp.kernel.sched.."));
    }

    /** A CPU's scheduler state and charge operations are not public: only its port reaches them. */
    @Test
    void aCpusSchedulerStateIsNotPublic() {
        check(noMethods().that().areDeclaredIn("l4smp.kernel.KernelCpu")
                .and().haveNameMatching("readyList|wakeups|makeReady|setSwitchHint|touchTcb|touchMr|touchReadyList"
                        + "|writeState|writePartner|requestPartnerGoneCheck|ipcPath")
                .should().bePublic());
        check(noFields().that().areDeclaredIn("l4smp.kernel.KernelCpu").should().bePublic());
    }

    @Test
    void theSpaceLayerKnowsNoUserFacade() {
        check(noClasses().that().resideInAPackage("l4smp.kernel.space..")
                .should().dependOnClassesThat().resideInAnyPackage("l4smp.kernel.api.."));
    }

    @Test
    void userProgramsUseTheFacadeNotThePaths() {
        check(noClasses().that().resideInAPackage("l4smp.kernel.user..")
                .should().dependOnClassesThat(KERNEL_PATH)
                .orShould().dependOnClassesThat().resideInAnyPackage("l4smp.kernel.sched..", "l4smp.kernel.xcpu.."));
    }
}
