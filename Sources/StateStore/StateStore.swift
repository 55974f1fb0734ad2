import StateModel

/// Where everything lives for one worktree.
public struct StorePaths: Sendable {
    /// The worktree root, without a trailing slash.
    public let workdir: String
    /// This worktree's private directory under its git dir: index, lock.
    public let worktreeLocal: String
    /// The directory shared by every worktree of the clone: the operation journal.
    public let shared: String

    public init(workdir: String, gitDir: String, commonDir: String) {
        self.workdir = workdir.hasSuffix("/") && workdir.count > 1 ? String(workdir.dropLast()) : workdir
        worktreeLocal = Self.join(gitDir, "codex-state")
        shared = Self.join(commonDir, "codex-state")
    }

    public var stateDir: String { workdir + "/.codex-state" }
    public var stateFile: String { stateDir + "/project_state.json" }
    public var sessionsDir: String { stateDir + "/sessions" }
    public var lockFile: String { worktreeLocal + "/lock" }
    public var indexFile: String { worktreeLocal + "/index.sqlite" }
    /// This worktree's open session (per worktree, never committed).
    public var openSessionFile: String { worktreeLocal + "/open-session.json" }
    public var journalFile: String { shared + "/journal.jsonl" }
    /// The lock every worktree of the clone takes to claim or start a task: a claim is decided
    /// and written while no other worktree can claim.
    public var claimLockFile: String { shared + "/claim.lock" }
    public var rewritesFile: String { shared + "/rewrites.jsonl" }

    public static func join(_ dir: String, _ name: String) -> String {
        dir.hasSuffix("/") ? dir + name : dir + "/" + name
    }
}

/// A state file as read from disk.
public struct LoadedState: Sendable {
    public var state: ProjectState
    public var hash: String
    public var bytes: [UInt8] = []
}

/// The state file and its caches for one worktree. Reads are served from the index when it was
/// built from the file's current content; writes are read-modify-write under the lock.
public final class StateStore {
    public let paths: StorePaths

    public init(paths: StorePaths) { self.paths = paths }

    public var isInitialized: Bool { Files.exists(paths.stateFile) }

    /// Parses and validates the state file.
    public func readState() throws -> LoadedState {
        let bytes = try readBytes()
        return LoadedState(state: try decode(bytes), hash: ContentHash.sha256(bytes), bytes: bytes)
    }

    /// Reads the state to change it: as ``readState()``, and refuses a file whose rewrite would
    /// drop fields this version does not know.
    public func readStateForUpdate() throws -> LoadedState {
        let loaded = try readState()
        // Content this tool wrote itself is canonical with nothing unknown: skip re-encoding it.
        if let written = try? StateIndex(path: paths.indexFile).writtenCanonical(), written == loaded.hash {
            return loaded
        }
        do {
            try StateCodec.checkNothingDropped(loaded.bytes, decoded: loaded.state)
        } catch let e as StateDecodeError {
            throw StoreError.invalidStateFile(path: paths.stateFile, reason: e)
        }
        return loaded
    }

    func readBytes() throws -> [UInt8] {
        guard Files.exists(paths.stateFile) else { throw StoreError.notInitialized(stateFile: paths.stateFile) }
        return try Files.read(paths.stateFile)
    }

    func decode(_ bytes: [UInt8]) throws -> ProjectState {
        do {
            return try StateCodec.decode(bytes)
        } catch let e as StateDecodeError {
            throw StoreError.invalidStateFile(path: paths.stateFile, reason: e)
        }
    }

    /// The state for read commands, from the index when it is current, rebuilding it when the
    /// file changed. If the index cannot be used at all (an unwritable git directory, say) the
    /// file is parsed directly: slower, never wrong.
    public func loadIndexed() throws -> (IndexedState, StateIndex?) {
        guard let stamp = Files.stamp(paths.stateFile) else {
            throw StoreError.notInitialized(stateFile: paths.stateFile)
        }
        let index: StateIndex
        do {
            try Files.makeDirectory(paths.worktreeLocal)
            index = try StateIndex(path: paths.indexFile)
            if let built = try index.builtFrom(), built.stamp == stamp.encoded {
                return (try index.load(), index)
            }
        } catch {
            return (Self.indexed(try readState()), nil)
        }
        let bytes = try readBytes()
        let hash = ContentHash.sha256(bytes)
        do {
            if let built = try index.builtFrom(), built.hash == hash {
                try index.setStamp(stamp, forHash: hash)
                return (try index.load(), index)
            }
            let state = try decode(bytes)
            try index.rebuild(from: state, hash: hash, stamp: stamp)
            return (Self.indexed(LoadedState(state: state, hash: hash)), index)
        } catch let e as StoreError {
            if case .index = e { return (Self.indexed(LoadedState(state: try decode(bytes), hash: hash)), nil) }
            throw e
        }
    }

    public static func indexed(_ loaded: LoadedState) -> IndexedState {
        var tasks: [String: TaskSummary] = [:]
        tasks.reserveCapacity(loaded.state.tasks.count)
        for (id, t) in loaded.state.tasks { tasks[id] = TaskSummary(t) }
        return IndexedState(
            hash: loaded.hash, projectName: loaded.state.project.name, goals: Array(loaded.state.goals.values),
            milestones: Array(loaded.state.milestones.values), tasks: tasks)
    }

    /// Takes the worktree's exclusive lock.
    public func lock(timeout: Double) throws -> FileLock {
        try Files.makeDirectory(paths.worktreeLocal)
        return try FileLock(path: paths.lockFile, timeout: timeout)
    }

    /// Takes the clone-wide claim lock (shared by every worktree). Taken before the worktree's
    /// own lock, never after it.
    public func claimLock(timeout: Double) throws -> FileLock {
        try Files.makeDirectory(paths.shared)
        return try FileLock(path: paths.claimLockFile, timeout: timeout)
    }

    /// Writes `state` canonically and atomically (the caller holds the lock), then brings the
    /// index along. Returns the new content hash.
    public func write(_ state: ProjectState, replacing old: LoadedState?, changes: [EntityChange]) throws -> String {
        let bytes: [UInt8]
        do {
            bytes = try StateCodec.encode(state)
        } catch {
            throw StoreError.io(path: paths.stateFile, operation: "encode", reason: "\(error)")
        }
        try Files.makeDirectory(paths.stateDir)
        Files.removeStaleTemporaries(besides: paths.stateFile)
        try Files.writeAtomically(bytes, to: paths.stateFile)
        let hash = ContentHash.sha256(bytes)
        // The file is the truth and is already safe on disk; a failing cache update only costs a
        // rebuild on the next read.
        if let index = try? StateIndex(path: paths.indexFile) {
            let stamp = Files.stamp(paths.stateFile)
            let applied =
                (try? old.map {
                    try index.apply(changes, project: state.project, oldHash: $0.hash, newHash: hash, stamp: stamp)
                } ?? false) ?? false
            if !applied { try? index.rebuild(from: state, hash: hash, stamp: stamp) }
            try? index.setWrittenCanonical(hash)
        }
        return hash
    }
}
