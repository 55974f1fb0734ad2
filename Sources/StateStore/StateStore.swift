import Foundation
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
    /// The journal record of a write in flight, written before the state file is replaced and
    /// removed once the record is in the journal (see ``StateStore/write(_:replacing:changes:journal:)``).
    public var pendingJournalFile: String { worktreeLocal + "/journal-pending.json" }
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
    /// `bytes` are the canonical encoding of `state` (this tool wrote them, or they re-encode to
    /// themselves): a write may splice the changed entities into them.
    public var canonical = false
    /// Tasks of `state` that are stubs (``TaskRecord/init(stub:)``), not decoded from the file;
    /// empty when the whole file was decoded. A write never encodes a stub.
    public var stubs: Set<String> = []
    /// `state` holds only the tasks a focused transaction named (``StateStore/readFocusedForUpdate(_:)``):
    /// every other task is absent, so a write must splice and never encode `state` whole.
    public var focused = false

    /// Whether `state` lacks tasks or holds stubs: nothing may encode it whole.
    public var isPartial: Bool { focused || !stubs.isEmpty }

    public init(
        state: ProjectState, hash: String, bytes: [UInt8] = [], canonical: Bool = false, stubs: Set<String> = []
    ) {
        self.state = state
        self.hash = hash
        self.bytes = bytes
        self.canonical = canonical
        self.stubs = stubs
    }
}

/// The state file and its caches for one worktree. Reads are served from the index when it was
/// built from the file's current content; writes are read-modify-write under the lock.
public final class StateStore {
    public let paths: StorePaths

    /// How long a command waits for another process holding the index before it answers from
    /// memory instead (the rows built from the file): once per command, since a handle found
    /// held is not waited on again (``StateIndex/held``). Hooks set a shorter one: git never waits.
    public var indexBusyTimeout: Double = 1

    /// For crash tests only: `after-state-write` ends the process the instant the state file is
    /// replaced, before the index and the journal are touched (`CODEX_STATE_FAULT`).
    public var faultPoint: String?

    /// The handle ``withSharedIndex(_:)`` opened, while its body runs.
    private var sharedIndex: StateIndex?

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
        let read = try readStamped()
        let bytes = read.bytes
        let index = try? openIndex()
        // The hash of a file whose stat data is the one recorded with it is known (recorded only
        // once settled; stat after reading: a change during the read shows as another stamp).
        let hash: String
        if let built = try? index?.builtFrom(), !built.stamp.isEmpty, read.current?.encoded == built.stamp {
            hash = built.hash
        } else {
            hash = ContentHash.sha256(bytes)
        }
        var loaded = LoadedState(state: try decode(bytes), hash: hash, bytes: bytes)
        // Content this tool wrote itself is canonical with nothing unknown: skip re-encoding it.
        if let written = try? index?.writtenCanonical(), written == loaded.hash {
            loaded.canonical = true
            return loaded
        }
        do {
            loaded.canonical = try StateCodec.checkNothingDropped(loaded.bytes, decoded: loaded.state)
        } catch let e as StateDecodeError {
            throw StoreError.invalidStateFile(path: paths.stateFile, reason: e)
        }
        return loaded
    }

    /// Refuses a `.codex-state` (or `sessions`) that is a symbolic link or not a directory, so
    /// nothing is ever read or written outside the working tree through a committed link.
    public func checkLayout() throws {
        try Files.requireRealDirectory(paths.sessionsDir, under: paths.workdir)
    }

    func readBytes() throws -> [UInt8] {
        try checkLayout()
        guard Files.entryExists(paths.stateFile) else { throw StoreError.notInitialized(stateFile: paths.stateFile) }
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
    /// `index` is the one the command opened already, if it did.
    public func loadIndexed(index opened: StateIndex? = nil) throws -> (IndexedState, StateIndex?) {
        try checkLayout()
        let clock = Self.coarseNanos()
        guard let stamp = Files.stamp(paths.stateFile) else {
            throw StoreError.notInitialized(stateFile: paths.stateFile)
        }
        let index: StateIndex
        do {
            try Files.makeDirectory(paths.worktreeLocal)
            index = try opened ?? openIndex()
            if let built = try index.builtFrom(), built.stamp == stamp.encoded {
                return (try index.load(), index)
            }
        } catch {
            return (Self.indexed(try readState()), nil)
        }
        let bytes = try readBytes()
        let hash = ContentHash.sha256(bytes)
        // Recorded only if it can stand for these bytes (racy-git rule, ``settledStamp(_:)``).
        let settled = Self.settled(stamp, after: Files.stamp(paths.stateFile), clock: clock)
        do {
            if let built = try index.builtFrom(), built.hash == hash {
                try index.setStamp(settled, forHash: hash)
                return (try index.load(), index)
            }
            let state = try decode(bytes)
            try index.rebuild(from: state, hash: hash, stamp: settled)
            return (Self.indexed(LoadedState(state: state, hash: hash)), index)
        } catch let e as StoreError {
            if case .index = e { return (Self.indexed(LoadedState(state: try decode(bytes), hash: hash)), nil) }
            throw e
        }
    }

    /// `index` made current for the state file (its stamp refreshed, or rebuilt when the file
    /// changed), without reading any task from it; nil when there is no usable index. A state
    /// file that cannot be read or parsed throws, as every read does.
    public func currentIndex(_ index: StateIndex?) throws -> StateIndex? {
        try checkLayout()
        guard let stamp = Files.stamp(paths.stateFile) else {
            throw StoreError.notInitialized(stateFile: paths.stateFile)
        }
        guard let index else { return nil }
        do {
            if let built = try index.builtFrom(), built.stamp == stamp.encoded { return index }
        } catch {
            return nil
        }
        let bytes = try readBytes()
        let hash = ContentHash.sha256(bytes)
        do {
            if let built = try index.builtFrom(), built.hash == hash {
                try index.setStamp(stamp, forHash: hash)
                return index
            }
            try index.rebuild(from: try decode(bytes), hash: hash, stamp: stamp)
            return index
        } catch let e as StoreError {
            if case .index = e { return nil }
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
    /// index along and journals the change. Returns the new content hash, and the error that
    /// kept the journal record from being appended, if one did (the state is saved regardless).
    ///
    /// The record is made durable *before* the state file is replaced, as this worktree's
    /// pending record, and removed once it is in the journal: a crash between the two leaves it
    /// there, and the next transaction (``recoverPendingJournal()``) appends it if the file holds
    /// what it describes. So `log` never misses a change that reached the file.
    ///
    /// When `old` is canonical, only the changed entities are encoded and spliced into its bytes
    /// (``CanonicalSplice``: the same bytes a full encoding gives); otherwise, or when the splice
    /// declines, the whole state is encoded. A state holding stubs is never encoded whole.
    @discardableResult
    public func write(
        _ state: ProjectState, replacing old: LoadedState?, changes: [EntityChange],
        spliced known: CanonicalSplice.Splice? = nil,
        journal record: ((String) throws -> JournalRecord)? = nil
    ) throws -> (hash: String, journalError: Error?) {
        // The new file as runs of `source`: the old bytes with the changed entities' new text
        // spliced in (hashed and written where they lie), or one run of a whole new encoding.
        let source: [UInt8]
        let splice: CanonicalSplice.Splice
        do {
            if let known, let old, old.canonical {
                (source, splice) = (old.bytes, known)  // the caller spliced `changes` into them already
            } else if let old, old.canonical, let s = try CanonicalSplice.splice(changes, in: old.bytes) {
                (source, splice) = (old.bytes, s)
            } else {
                guard !(old?.isPartial ?? false) else {
                    throw StoreError.io(
                        path: paths.stateFile, operation: "encode",
                        reason: "a partially read state cannot be encoded whole")
                }
                source = try StateCodec.encode(state)
                splice = .whole(source)
            }
        } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError.io(path: paths.stateFile, operation: "encode", reason: "\(error)")
        }
        let hash = splice.withBuffers(from: source) { SHA256.hex(concatenating: $0) }
        let pending = try record.map { try $0(hash) }
        if let pending {
            try Files.makeDirectory(paths.worktreeLocal)
            try Files.writeAtomically(try CanonicalJSON.encodeCompact(pending), to: paths.pendingJournalFile)
        }
        try checkLayout()
        try Files.makeDirectory(paths.stateDir)
        Files.removeStaleTemporaries(besides: paths.stateFile)
        try splice.withBuffers(from: source) { try Files.writeAtomically(buffers: $0, to: paths.stateFile) }
        if faultPoint == "after-state-write" { _exit(137) }
        // The file is the truth and is already safe on disk; a failing cache update only costs a
        // rebuild on the next read.
        if let index = try? openIndex() {
            // Recorded only once it can stand for the content (racy-git rule): else no stamp,
            // and the next reader hashes the file.
            let stamp = Self.settledStampAfterWrite(paths.stateFile)
            let applied =
                (try? old.map {
                    try index.apply(changes, project: state.project, oldHash: $0.hash, newHash: hash, stamp: stamp)
                } ?? false) ?? false
            // A stale index stays keyed by the old hash (the next read rebuilds it from the
            // file); a state of stubs must not fill it.
            if !applied, !(old?.isPartial ?? false) { try? index.rebuild(from: state, hash: hash, stamp: stamp) }
            try? index.setWrittenCanonical(hash)
        }
        guard let pending else { return (hash, nil) }
        do {
            try Journal(path: paths.journalFile).append(pending)
        } catch {
            // The pending record stays: the next transaction retries the append.
            return (hash, error)
        }
        try? Files.remove(paths.pendingJournalFile)
        return (hash, nil)
    }

    /// Finishes the journaling of a write a crash interrupted (the caller holds the lock): the
    /// pending record is appended when the state file still holds what it describes and the
    /// journal lacks it; otherwise (the write never reached the file) it is dropped.
    /// Returns whether a record was recovered.
    @discardableResult
    public func recoverPendingJournal() throws -> Bool {
        let path = paths.pendingJournalFile
        guard Files.entryExists(path) else { return false }
        guard let pending = try? JSONDecoder().decode(JournalRecord.self, from: Data(try Files.read(path))),
            Files.exists(paths.stateFile)
        else {
            try Files.remove(path)
            return false
        }
        let current = ContentHash.sha256(try readBytes())
        let journal = Journal(path: paths.journalFile)
        var recovered = false
        if current == pending.stateAfter, try !journal.records().contains(pending) {
            try journal.append(pending)
            recovered = true
        }
        try Files.remove(path)
        return recovered
    }

    /// The index, opened with this store's busy timeout (inside ``withSharedIndex(_:)``, the
    /// handle it opened).
    public func openIndex() throws -> StateIndex {
        if let sharedIndex { return sharedIndex }
        return try StateIndex(path: paths.indexFile, busyTimeout: indexBusyTimeout)
    }

    /// Runs `body` with one index handle for every use of the index in it: a transaction's read,
    /// the evaluation inside its body, and its write. Each open and close of the index costs
    /// SQLite's WAL set-up and its checkpoint on close, four fdatasyncs.
    public func withSharedIndex<T>(_ body: () throws -> T) rethrows -> T {
        if sharedIndex != nil { return try body() }
        sharedIndex = try? StateIndex(path: paths.indexFile, busyTimeout: indexBusyTimeout)
        defer { sharedIndex = nil }
        return try body()
    }
}
