package io.jvfio.emul.spapr;

import io.jvfio.emul.KernelBugException;

/** Where the modelled kernel faults: records the bug and gives the exception to throw. */
@FunctionalInterface
public interface Oops {
    KernelBugException oops(String message);
}
