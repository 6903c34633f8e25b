package io.jvfio.scenario;

import java.util.List;

/**
 * A scenario that does not parse: nothing of it may run. Carries every error found, each with the
 * file's name and line number ({@code basic.scn:7: unknown operation 'mapp'}).
 */
public final class ScenarioSyntaxException extends Exception {
    private static final long serialVersionUID = 1L;

    /** One syntax error: file, 1-based line, what is wrong. */
    public record Error(String file, int line, String message) {
        @Override
        public String toString() {
            return file + ":" + line + ": " + message;
        }
    }

    private final transient List<Error> errors;

    public ScenarioSyntaxException(List<Error> errors) {
        super(errors.getFirst().toString() + (errors.size() > 1 ? " (and " + (errors.size() - 1) + " more)" : ""));
        this.errors = List.copyOf(errors);
    }

    public List<Error> errors() {
        return errors;
    }

    /** The line of the first error. */
    public int line() {
        return errors.getFirst().line();
    }
}
