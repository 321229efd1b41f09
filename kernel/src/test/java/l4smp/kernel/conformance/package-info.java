/**
 * L4 conformance cases modelled on the test program of the Pistachio kernel
 * ({@code user/apps/l4test}): one class per file of that program (ipc, ipc-string, ipc-pf,
 * ipc-smp, exreg, tcontrol, schedule, sig0), each case run in every {@link
 * l4smp.kernel.conformance.Variant}: on one CPU and across CPUs, seeded and in parallel mode.
 *
 * <p>Expected values come from the L4 X.2 reference manual and Pistachio's sources, cited at each
 * case; the cases are written anew for the {@code L4} facade, not copied.
 */
package l4smp.kernel.conformance;
