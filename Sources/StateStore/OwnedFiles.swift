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
    /// Creates the hooks directory (and its parents) if it is missing. A hooks path inside the
    /// working tree (`core.hooksPath = .githooks`) passes the tree's check.
    public static func makeHooksDirectory(_ dir: String, in tree: WorkingTree) throws {
        try tree.check(dir, directory: true)
        if !Files.isDirectory(dir) { try Files.makeDirectory(dir) }
        try tree.check(dir, directory: true)
    }

    /// Removes the temporary file an install killed mid-write left beside a hook.
    public static func removeStaleTemporaries(besidesHook path: String) {
        Files.removeStaleTemporaries(besides: path)
    }

    /// Writes a hook shim, executable.
    public static func writeHookShim(_ script: [UInt8], to path: String, in tree: WorkingTree) throws {
        try tree.check(Files.directory(of: path), directory: true)
        try Files.writeAtomically(script, to: path, mode: 0o755)
    }

    /// Moves a hook aside (or back), a symbolic link as a link.
    public static func moveHook(_ from: String, to: String, in tree: WorkingTree) throws {
        try tree.check(Files.directory(of: to), directory: true)
        try Files.move(from, to: to)
    }

    /// Removes a hook shim.
    public static func removeHook(_ path: String, in tree: WorkingTree) throws {
        try tree.check(Files.directory(of: path), directory: true)
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

    /// Writes the merge driver's result over ours (git's `%A`: a temporary file git itself
    /// just made, replaced by a rename, so even a link there would be replaced, not followed).
    public static func writeMergeResult(_ bytes: [UInt8], to path: String) throws {
        try Files.writeAtomically(bytes, to: path)
    }

    /// Replaces the top-level `.gitattributes`.
    public static func writeGitattributes(_ bytes: [UInt8], to path: String, in tree: WorkingTree) throws {
        try tree.check(path)
        try Files.writeAtomically(bytes, to: path)
    }

    /// Removes the top-level `.gitattributes` (absent is fine).
    public static func removeGitattributes(_ path: String, in tree: WorkingTree) throws {
        try tree.check(path)
        try Files.remove(path)
    }
}

/// Codex's files the install and uninstall edit (`config.toml`, `hooks.json`, the install
/// manifest and their backups), with their modes kept. With `--project` they are in the
/// repository's `.codex/`: `tree` checks them there (elsewhere it has nothing to check).
public enum CodexFiles {
    /// Creates a Codex directory (and its parents) private to the user.
    public static func makeDirectory(_ dir: String, in tree: WorkingTree?) throws {
        try tree?.check(dir, directory: true)
        try Files.makeDirectory(dir, mode: 0o700)
        try tree?.check(dir, directory: true)
    }

    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t, in tree: WorkingTree?) throws {
        try tree?.check(path)
        try Files.writeAtomically(bytes, to: path, mode: mode)
    }

    /// Removes a file the install created (absent is fine).
    public static func remove(_ path: String, in tree: WorkingTree?) throws {
        try tree?.check(path)
        try Files.remove(path)
    }
}

/// Files in the working tree the tool writes besides `.codex-state/`: the agent skill, the
/// journal pages, and any file a command writes because the user named it (an export, a report):
/// each passes the tree's check before its directory is made and again before it is written.
public enum ProjectFiles {
    /// Writes a file atomically, creating its directory. `path` is absolute: inside the working
    /// tree it must pass ``WorkingTree/check(_:directory:)``; outside, it is a path the user named
    /// (``WorkingTree/userPath(_:cwd:)``) and is written as given.
    public static func writeDocument(_ bytes: [UInt8], to path: String, in tree: WorkingTree) throws {
        try tree.check(path)
        try Files.makeDirectory(Files.directory(of: path))
        try tree.check(path)
        try Files.writeAtomically(bytes, to: path)
    }
}

/// The working tree: the one check every write into it passes (docs/threat-model.md). Anyone
/// who can push controls which paths of the tree are symbolic links; a link there would take a
/// write anywhere (`docs -> ~/.ssh`). Paths under the repository's git directories are not the
/// tree's (a commit cannot put a link there) and are not checked.
public struct WorkingTree: Sendable {
    /// The worktree root, without a trailing slash.
    public let root: String
    /// The git directory and the common one: inside the root lexically, but not committed.
    let gitDirs: [String]

    public init(root: String, gitDirs: [String]) {
        self.root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
        self.gitDirs = gitDirs.map { $0.count > 1 && $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
    }

    /// Throws unless writing `path` (absolute) stays in the working tree: below the root, no
    /// component may be `.`, `..` or empty, and none that exists may be a symbolic link; each one
    /// that exists must be a directory, the last one a regular file (`directory`: a directory).
    /// Components that do not exist yet are fine (they will be made). A path outside the root,
    /// or in a git directory, has nothing to check.
    public func check(_ path: String, directory: Bool = false) throws {
        guard path.hasPrefix(root + "/") || path == root else { return }
        if gitDirs.contains(where: { path == $0 || path.hasPrefix($0 + "/") }) { return }
        let components = path.dropFirst(root.count).split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        if let odd = components.first(where: { $0.isEmpty || $0 == "." || $0 == ".." }) {
            throw StoreError.unsafePath(
                path: path, reason: "has a '\(odd)' component; codex-state writes only plain paths")
        }
        var current = root
        for (n, component) in components.enumerated() {
            current += "/" + component
            var st = stat()
            guard lstat(current, &st) == 0 else { return }
            let kind = st.st_mode & S_IFMT
            if kind == S_IFLNK { throw StoreError.unsafePath(path: current, reason: "is a symbolic link") }
            let last = n == components.count - 1
            if !last || directory {
                if kind != S_IFDIR { throw StoreError.unsafePath(path: current, reason: "is not a directory") }
            } else if kind != S_IFREG {
                throw StoreError.unsafePath(path: current, reason: "is not a regular file")
            }
        }
    }

    /// The absolute path a user named, relative to the process's working directory.
    public static func userPath(_ path: String) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let cwd = getcwd(&buffer, buffer.count).map { String(cString: $0) } ?? "/"
        return userPath(path, cwd: cwd)
    }

    /// The absolute path a user named (`path`, relative to `cwd` unless absolute), with `.` and
    /// `..` resolved as written. Inside the tree it is then checked by ``check(_:directory:)``
    /// when written; outside it is the user's own choice.
    public static func userPath(_ path: String, cwd: String) -> String {
        let absolute = path.hasPrefix("/") ? path : cwd + "/" + path
        var parts: [Substring] = []
        for component in absolute.split(separator: "/") {
            if component == "." { continue }
            if component == ".." {
                _ = parts.popLast()
                continue
            }
            parts.append(component)
        }
        return "/" + parts.joined(separator: "/")
    }
}

extension StorePaths {
    /// This worktree's working tree, for ``WorkingTree/check(_:directory:)``.
    public var tree: WorkingTree {
        WorkingTree(root: workdir, gitDirs: [Files.directory(of: worktreeLocal), Files.directory(of: shared)])
    }
}
