import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/** Self-test for the qemu-user JDK: getpid() through an FFM downcall must equal the JVM's own pid. */
public final class GetPid {
    public static void main(String[] args) throws Throwable {
        Linker linker = Linker.nativeLinker();
        MethodHandle getpid = linker.downcallHandle(
                linker.defaultLookup().find("getpid").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT));
        int pid = (int) getpid.invokeExact();
        long expected = ProcessHandle.current().pid();
        String arch = System.getProperty("os.arch");
        if (pid != expected) {
            System.out.println("FFM getpid MISMATCH: " + pid + " != " + expected + " (" + arch + ")");
            System.exit(1);
        }
        System.out.println("FFM getpid ok: " + pid + " (os.arch=" + arch + ", java " + Runtime.version() + ")");
    }
}
