import StateStore

extension Workspace {
    /// The one way into a write, shared by ``transaction(command:_:)``, `init`, `check --fix`,
    /// sessions, private memories and Codex import: takes the worktree lock (waiting at most the
    /// lock timeout, or `timeout`) and finishes the journaling of a write a crash interrupted
    /// (``StateStore/recoverPendingJournal()``).
    /// Hold the returned lock for the whole write.
    func writeLock(timeout: Double? = nil) throws -> FileLock {
        let lock = try store.lock(timeout: try timeout ?? lockTimeout())
        // Nothing to recover before `init`, nor on a branch without the state file (the record
        // waits for the branch it was written on).
        if store.isInitialized, try store.recoverPendingJournal() {
            warnings.append("warning: recovered the journal record of a write interrupted by a crash")
        }
        return lock
    }
}
