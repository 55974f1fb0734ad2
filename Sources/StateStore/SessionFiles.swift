import StateModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The files of sessions (docs/sessions.md): this worktree's open-session file, ended session
/// files in `.codex-state/sessions/` and in the clone's archive, and the layout `init` creates.
/// Every write is atomic; the callers hold the worktree lock.
extension StorePaths {
    /// The clone's copy of every ended session, shared by its worktrees and out of reach of
    /// `git clean`: `<common dir>/codex-state/sessions/`.
    public var sessionArchiveDir: String { Self.join(shared, "sessions") }

    /// Where the Codex threads' open sessions of this worktree are.
    public var threadSessionsDir: String { Self.join(worktreeLocal, "codex-threads") }

    /// The open session of one Codex thread in this worktree (issue 18, item 7): beside the
    /// worktree's own `open-session.json`, one file per thread, named by a hash of its id (a
    /// thread id is Codex's text, not a file name).
    public func threadSessionFile(_ thread: String) -> String {
        threadSessionsDir + "/"
            + ContentHash.sha256(Array(thread.utf8)).prefix(Identifiers.hexLength) + ".json"
    }
}

extension StateStore {
    /// Creates `.codex-state/sessions/` with its `.gitkeep` (what `init` adds beside the state
    /// file, so the folder is committed). Changes nothing that is already there.
    public func createSessionsLayout() throws {
        try checkLayout()
        try Files.makeDirectory(paths.sessionsDir)
        try checkLayout()
        let keep = paths.sessionsDir + "/.gitkeep"
        if !Files.exists(keep) { try Files.writeAtomically([], to: keep) }
    }

    /// Replaces this worktree's open-session file.
    public func writeOpenSession(_ bytes: [UInt8]) throws {
        try Files.makeDirectory(paths.worktreeLocal)
        try Files.writeAtomically(bytes, to: paths.openSessionFile)
    }

    /// Removes this worktree's open-session file (absent is fine).
    public func removeOpenSession() throws {
        try Files.remove(paths.openSessionFile)
    }

    /// Replaces a Codex thread's open-session file (``StorePaths/threadSessionFile(_:)``).
    public func writeThreadSession(_ bytes: [UInt8], thread: String) throws {
        let path = paths.threadSessionFile(thread)
        try Files.makeDirectory(Files.directory(of: path))
        try Files.writeAtomically(bytes, to: path)
    }

    /// Removes a Codex thread's open-session file (absent is fine).
    public func removeThreadSession(thread: String) throws {
        try Files.remove(paths.threadSessionFile(thread))
    }

    /// Moves a damaged open-session file aside as `open-session.json.broken`; false if it could
    /// not be moved.
    public func setAsideOpenSession() -> Bool {
        (try? Files.move(paths.openSessionFile, to: paths.openSessionFile + ".broken")) != nil
    }

    /// Writes `bytes` as `dir/name` once: atomically to a pending file, which is then hard-linked
    /// to its final name. `link` fails if the name exists, so a file is never overwritten, not
    /// even by a writer in another clone of the same directory. Returns the path, or nil when the
    /// name is taken. Pending files a killed writer left are removed first (the caller holds the
    /// worktree lock, so none is in use).
    public func createSessionFile(_ bytes: [UInt8], name: String, id: String, in dir: String) throws -> String? {
        try paths.tree.check(dir + "/" + name)
        try Files.makeDirectory(dir)
        try paths.tree.check(dir + "/" + name)
        for stale in (try? Files.list(dir)) ?? [] where stale.hasPrefix(".pending-") { unlink(dir + "/" + stale) }
        let target = dir + "/" + name
        guard !Files.exists(target) else { return nil }
        let pending = dir + "/.pending-" + id + ".json"
        try Files.writeAtomically(bytes, to: pending)
        defer { unlink(pending) }
        if link(pending, target) != 0 {
            let code = errno
            if code == EEXIST { return nil }
            // A filesystem without hard links. The lock is held and the name carries a fresh
            // id, so check-then-rename cannot lose a file here.
            guard !Files.exists(target), rename(pending, target) == 0 else {
                throw StoreError.io(path: target, operation: "create", reason: errnoText(code))
            }
        }
        Files.syncDirectory(dir)
        return target
    }

    /// Removes an ended session's file from the working tree (its copy stays in the archive).
    public func removeSessionFile(_ path: String) throws {
        try paths.tree.check(path)
        try Files.remove(path)
    }

    /// The operation journal from byte `offset` on (empty when it is no longer than that).
    public func journalBytes(from offset: Int64) throws -> [UInt8] {
        try Files.read(paths.journalFile, from: offset)
    }
}
