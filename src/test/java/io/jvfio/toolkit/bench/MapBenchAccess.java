package io.jvfio.toolkit.bench;

import io.jvfio.Vfio;
import io.jvfio.VfioException;
import java.io.PrintStream;

/** Test access to MapBench's package-private entry points. */
public final class MapBenchAccess {
    private MapBenchAccess() {}

    /** Runs the benchmark; returns the window start it used. */
    public static long run(Vfio vfio, String[] args, PrintStream out, PrintStream err) throws VfioException {
        return MapBench.run(vfio, MapBench.Args.parse(args), out, err).windowStart();
    }

    /** The {@code --seam} run on {@code vfio}'s backend; returns the window start it used. */
    public static long runSeam(Vfio vfio, String[] args, PrintStream out, PrintStream err) {
        return MapBench.runSeam(vfio.backend(), MapBench.Args.parse(args), out, err).windowStart();
    }

    public static void parse(String[] args) {
        MapBench.Args.parse(args);
    }
}
