#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Files the tool writes outside its own directories, on the user's behalf, each kind named by
/// what it is. Every write is atomic (temporary file, flush, rename); nothing above the store
/// writes a file itself (`FileOwnershipTests`).
///
/// git's files: hook shims in the hooks directory, the merge driver's result (git's `%A`), the
/// commit message `prepare-commit-msg` edits, the rewrites a rebase keeps pending in git's own
/// rebase directory, and the `.gitattributes` line of the merge driver.
public enum GitFiles {
    /// Creates the hooks directory (and its parents) if it is missing.
    public static func makeHooksDirectory(_ dir: String) throws {
        if !Files.isDirectory(dir) { try Files.makeDirectory(dir) }
    }

    /// Removes the temporary file an install killed mid-write left beside a hook.
    public static func removeStaleTemporaries(besidesHook path: String) {
        Files.removeStaleTemporaries(besides: path)
    }

    /// Writes a hook shim, executable.
    public static func writeHookShim(_ script: [UInt8], to path: String) throws {
        try Files.writeAtomically(script, to: path, mode: 0o755)
    }

    /// Moves a hook aside (or back), a symbolic link as a link.
    public static func moveHook(_ from: String, to: String) throws {
        try Files.move(from, to: to)
    }

    /// Removes a hook shim.
    public static func removeHook(_ path: String) throws {
        try Files.remove(path)
    }

    /// Appends lines to the rewrites a rebase keeps pending in git's rebase directory.
    public static func appendPendingRewrites(_ bytes: [UInt8], to path: String) throws {
        try Files.appendLine(bytes, to: path)
    }

    /// Replaces the commit message git is preparing.
    public static func writeCommitMessage(_ bytes: [UInt8], to path: String) throws {
        try Files.writeAtomically(bytes, to: path)
    }

    /// Writes the merge driver's result over ours (git's `%A`).
    public static func writeMergeResult(_ bytes: [UInt8], to path: String) throws {
        try Files.writeAtomically(bytes, to: path)
    }

    /// Replaces the top-level `.gitattributes`.
    public static func writeGitattributes(_ bytes: [UInt8], to path: String) throws {
        try Files.writeAtomically(bytes, to: path)
    }

    /// Removes the top-level `.gitattributes` (absent is fine).
    public static func removeGitattributes(_ path: String) throws {
        try Files.remove(path)
    }
}

/// Codex's files the install and uninstall edit (`config.toml`, `hooks.json`, the install
/// manifest and their backups), with their modes kept.
public enum CodexFiles {
    /// Creates a Codex directory (and its parents) private to the user.
    public static func makeDirectory(_ dir: String) throws {
        try Files.makeDirectory(dir, mode: 0o700)
    }

    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t) throws {
        try Files.writeAtomically(bytes, to: path, mode: mode)
    }

    /// Removes a file the install created (absent is fine).
    public static func remove(_ path: String) throws {
        try Files.remove(path)
    }
}

/// Files in the working tree the tool writes besides `.codex-state/`: the agent skill and the
/// journal pages a user asks for.
public enum ProjectFiles {
    /// Writes a text file atomically, creating its directory.
    public static func writeDocument(_ bytes: [UInt8], to path: String) throws {
        try Files.makeDirectory(Files.directory(of: path))
        try Files.writeAtomically(bytes, to: path)
    }
}
