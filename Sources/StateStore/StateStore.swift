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

    public var stateDir: String { workdir + "/" + StateFileName.directory }
    public var stateFile: String { workdir + "/" + StateFileName.relative }
    public var sessionsDir: String { workdir + "/" + StateFileName.sessions }
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

/// A state file as read from disk and decoded.
public struct LoadedState: Sendable {
    public var state: ProjectState
    public var hash: String
    public var bytes: [UInt8] = []

    public init(state: ProjectState, hash: String, bytes: [UInt8] = []) {
        self.state = state
        self.hash = hash
        self.bytes = bytes
    }
}

/// A state file's bytes and their content hash.
public struct FileContent: Sendable {
    public var bytes: [UInt8]
    public var hash: String

    public init(bytes: [UInt8], hash: String) {
        self.bytes = bytes
        self.hash = hash
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

    public init(paths: StorePaths) { self.paths = paths }

    public var isInitialized: Bool { Files.exists(paths.stateFile) }

    /// Parses and validates the state file.
    public func readState() throws -> LoadedState {
        let bytes = try readBytes()
        return LoadedState(state: try decode(bytes), hash: ContentHash.sha256(bytes), bytes: bytes)
    }

    /// The state file's bytes and hash for a write, with `index` made current with them (rebuilt
    /// when it was built from other content), and whether they are as this tool wrote them (the
    /// index's "written canonical" mark names their hash). The hash is known from the file's
    /// stat data when that was recorded after the file settled (git's racy-index rule), and
    /// computed otherwise.
    public func readCurrent(index: StateIndex) throws -> (content: FileContent, canonical: Bool) {
        let read = try readStamped()
        let built = try? index.builtFrom()
        let hash: String
        if let built, !built.stamp.isEmpty, read.current?.encoded == built.stamp {
            hash = built.hash
        } else {
            hash = ContentHash.sha256(read.bytes)
        }
        if built?.hash != hash {
            try index.rebuild(from: try decode(read.bytes), hash: hash, stamp: read.settled)
        } else if let settled = read.settled, built?.stamp != settled.encoded {
            try? index.setStamp(settled, forHash: hash)
        }
        let canonical = (try? index.writtenCanonical()) == hash
        return (FileContent(bytes: read.bytes, hash: hash), canonical)
    }

    /// Nil when `content` is the canonical encoding of what it holds (then marked so in the
    /// index, so the next write does not ask again); otherwise the state to write whole. Refuses
    /// a file whose rewrite would drop fields this version does not know.
    public func canonicalForm(of content: FileContent, index: StateIndex) throws -> ProjectState? {
        let state = try decode(content.bytes)
        do {
            if try StateCodec.checkNothingDropped(content.bytes, decoded: state) {
                try? index.setWrittenCanonical(content.hash)
                return nil
            }
        } catch let e as StateDecodeError {
            throw StoreError.invalidStateFile(path: paths.stateFile, reason: e)
        }
        return state
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

    /// How many times this store decoded a whole state file (the fast paths decode none; tests
    /// read it to notice when one stops being taken).
    public private(set) var wholeFileDecodes = 0

    func decode(_ bytes: [UInt8]) throws -> ProjectState {
        wholeFileDecodes += 1
        do {
            return try StateCodec.decode(bytes)
        } catch let e as StateDecodeError {
            throw StoreError.invalidStateFile(path: paths.stateFile, reason: e)
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

    /// What a write puts in the state file.
    public enum Write {
        /// An operation's changes spliced into the canonical bytes they were made over.
        case splice(CanonicalSplice.Splice, changes: [EntityChange], project: ProjectInfo)
        /// A whole state, encoded canonically (the first file, a canonical rewrite).
        case whole(ProjectState)
    }

    /// Writes the state file atomically (the caller holds the lock), then brings `index` along
    /// and journals the change. Returns the new content (its bytes only for a whole write) and
    /// the error that kept the journal record from being appended, if one did (the state is
    /// saved regardless).
    ///
    /// The record is made durable *before* the state file is replaced, as this worktree's
    /// pending record, and removed once it is in the journal: a crash between the two leaves it
    /// there, and the next transaction (``recoverPendingJournal()``) appends it if the file holds
    /// what it describes. So `log` never misses a change that reached the file.
    public func write(
        _ write: Write, over old: FileContent?, index: StateIndex?, journal record: ((String) throws -> JournalRecord)?
    ) throws -> (content: FileContent, journalError: Error?) {
        // The new file as runs of `source`: the old bytes with the changed entities' new text
        // spliced in (hashed and written where they lie), or one run of a whole new encoding.
        let source: [UInt8]
        let splice: CanonicalSplice.Splice
        switch write {
        case .splice(let s, _, _):
            guard let old else {
                throw StoreError.io(path: paths.stateFile, operation: "write", reason: "a splice needs the old bytes")
            }
            (source, splice) = (old.bytes, s)
        case .whole(let state):
            do {
                source = try StateCodec.encode(state)
            } catch {
                throw StoreError.io(path: paths.stateFile, operation: "encode", reason: "\(error)")
            }
            splice = .whole(source)
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
        // The file is the truth and is already safe on disk; a failing index update only costs a
        // rebuild on the next read (an index left at the old hash is rebuilt from the file).
        if let index {
            // Recorded only once it can stand for the content (racy-git rule): else no stamp,
            // and the next reader hashes the file.
            let stamp = Self.settledStampAfterWrite(paths.stateFile)
            switch write {
            case .splice(_, let changes, let project):
                if let old {
                    _ = try? index.apply(changes, project: project, oldHash: old.hash, newHash: hash, stamp: stamp)
                }
            case .whole(let state):
                try? index.rebuild(from: state, hash: hash, stamp: stamp)
            }
            try? index.setWrittenCanonical(hash)
        }
        let content: FileContent
        switch write {
        case .whole: content = FileContent(bytes: source, hash: hash)
        case .splice: content = FileContent(bytes: [], hash: hash)
        }
        guard let pending else { return (content, nil) }
        do {
            try Journal(path: paths.journalFile).append(pending)
        } catch {
            // The pending record stays: the next transaction retries the append.
            return (content, error)
        }
        try? Files.remove(paths.pendingJournalFile)
        return (content, nil)
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

    /// The index, opened (made, in a clone where codex-state never ran) with this store's busy
    /// timeout.
    public func openIndex() throws -> StateIndex {
        try Files.makeDirectory(paths.worktreeLocal)
        return try StateIndex(path: paths.indexFile, busyTimeout: indexBusyTimeout)
    }
}
