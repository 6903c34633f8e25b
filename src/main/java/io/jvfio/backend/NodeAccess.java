package io.jvfio.backend;

/**
 * Who opens a device node and who owns it, for the advice of an EACCES.
 *
 * @param user the process's user: a name, or {@code uid N}
 * @param uid its numeric uid (the fsuid), -1 if unknown
 * @param node the node's owner and mode as {@code UID:GID 0MODE}, null if unknown (no such node)
 */
public record NodeAccess(String user, int uid, String node) {}
