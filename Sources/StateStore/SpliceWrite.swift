import Foundation
import StateModel

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The write path's fast lane: a transaction that changes a few entities reads the graph from the
/// index, decodes only the tasks it changes, and splices their new text into the file
/// (``CanonicalSplice``) instead of decoding and encoding the whole state.
extension StateStore {
    /// The state for a transaction that changes few entities, or nil when the fast lane does not
    /// apply (the caller then reads the whole file with ``readStateForUpdate()``).
    ///
    /// It applies only to a file this tool wrote as it is (the index's "written canonical" mark
    /// names the file's content: no hand edit, nothing unknown, canonical bytes) and an index built
    /// from that content. The file's content is known by its stat data, recorded when it was
    /// settled (see ``settledStamp(_:)``), and hashed only when that differs. Every task is then a
    /// stub built from the index's summary (``TaskRecord/init(stub:)``); goals and milestones are
    /// whole (the index keeps their records), the project is decoded from its few lines.
    public func readPartialForUpdate() throws -> LoadedState? {
        guard let (index, bytes, hash) = try currentCanonical(),
            let indexed = try? index.load(), indexed.hash == hash,
            let project = Self.project(in: bytes)
        else { return nil }
        var state = ProjectState(projectName: project.name)
        state.project = project
        for g in indexed.goals { state.goals[g.id] = g }
        for m in indexed.milestones { state.milestones[m.id] = m }
        state.tasks.reserveCapacity(indexed.tasks.count)
        for (id, s) in indexed.tasks { state.tasks[id] = TaskRecord(stub: s) }
        return LoadedState(state: state, hash: hash, bytes: bytes, canonical: true, stubs: Set(indexed.tasks.keys))
    }

    /// The state for a transaction over the tasks `ids` alone: those tasks decoded from their own
    /// lines of the file, goals and milestones whole (from the index), the project from its few
    /// lines, and no other task at all. Nil when the fast lane does not apply (as
    /// ``readPartialForUpdate()``) or a task of `ids` is not in the file.
    ///
    /// Its cost does not depend on how many tasks the file holds beyond reading and hashing it:
    /// nothing is read from the index per task. The caller must make sure its body reads no other
    /// task (``LoadedState/focused``); a write of it splices, never encodes it whole.
    public func readFocusedForUpdate(_ ids: Set<String>) throws -> LoadedState? {
        guard let (index, bytes, hash) = try currentCanonical(),
            let header = try? index.header(), header.hash == hash,
            let project = Self.project(in: bytes)
        else { return nil }
        var state = ProjectState(projectName: project.name)
        state.project = project
        for g in header.goals { state.goals[g.id] = g }
        for m in header.milestones { state.milestones[m.id] = m }
        for id in ids {
            guard let t = Self.task(id, in: bytes) else { return nil }
            state.tasks[id] = t
        }
        var loaded = LoadedState(state: state, hash: hash, bytes: bytes, canonical: true)
        loaded.focused = true
        return loaded
    }

    /// The index, and the file's bytes and hash, when the index was built from the file's current
    /// content and that content is as this tool wrote it (the index's "written canonical" mark
    /// names it: no hand edit, nothing unknown, canonical bytes). The content is known by its
    /// stat data, recorded when it was settled (see ``settledStamp(_:)``), and hashed only when
    /// that differs.
    func currentCanonical() throws -> (StateIndex, [UInt8], String)? {
        try checkLayout()
        guard let index = try? openIndex(), let built = try? index.builtFrom(),
            let written = try? index.writtenCanonical(), built.hash == written
        else { return nil }
        let read = try readStamped()
        let bytes = read.bytes
        let hash: String
        if !built.stamp.isEmpty, read.current?.encoded == built.stamp {
            hash = built.hash
        } else {
            hash = ContentHash.sha256(bytes)
            guard hash == built.hash else { return nil }
            if let settled = read.settled { try? index.setStamp(settled, forHash: hash) }
        }
        return (index, bytes, hash)
    }

    /// The project record, decoded from its own lines of a canonical file.
    static func project(in bytes: [UInt8]) -> ProjectInfo? {
        guard let slice = CanonicalSplice.projectValue(in: bytes) else { return nil }
        return try? JSONDecoder().decode(ProjectInfo.self, from: Data(slice))
    }

    /// Replaces the stubs of `ids` in `loaded` with the tasks as the file records them. False when
    /// one cannot be found or decoded (the caller then takes the full path).
    public func fillStubs(_ ids: Set<String>, in loaded: inout LoadedState) -> Bool {
        for id in ids where loaded.stubs.contains(id) {
            guard let t = Self.task(id, in: loaded.bytes) else { return false }
            loaded.state.tasks[id] = t
            loaded.stubs.remove(id)
        }
        return true
    }

    /// The task `id` decoded from its own lines of a canonical file.
    public static func task(_ id: String, in bytes: [UInt8]) -> TaskRecord? {
        guard let slice = CanonicalSplice.entityValue(kind: "task", id: id, in: bytes) else { return nil }
        return try? JSONDecoder().decode(TaskRecord.self, from: Data(slice))
    }

    /// The state file's bytes with its stamp after reading them (a change during the read shows
    /// as another stamp than the one recorded), and the stamp that may be recorded for them:
    /// nil unless it had settled before the read began and did not change during it.
    func readStamped() throws -> (bytes: [UInt8], current: FileStamp?, settled: FileStamp?) {
        let clock = Self.coarseNanos()
        let before = Files.stamp(paths.stateFile)
        let bytes = try readBytes()
        let after = Files.stamp(paths.stateFile)
        return (bytes, after, Self.settled(before, after: after, clock: clock))
    }

    /// `before` when it can stand for the content read between it and `after` (see
    /// ``settledStamp(_:)``; `clock` was read before `before`).
    static func settled(_ before: FileStamp?, after: FileStamp?, clock: Int64) -> FileStamp? {
        guard let before, before == after, max(before.mtimeNanos, before.ctimeNanos) < clock else { return nil }
        return before
    }

    /// The file's stamp when it can stand for its content: only once every change that could
    /// still carry the same stamp is impossible (git's racy-index rule). The file system stamps
    /// a change with the coarse clock, so when that clock has moved past the file's mtime and
    /// ctime, any later change gets a later time and a different stamp. Nil (record no stamp:
    /// the next reader hashes) when it has not moved past them yet.
    public static func settledStamp(_ path: String) -> FileStamp? {
        let now = coarseNanos()
        guard let stamp = Files.stamp(path), max(stamp.mtimeNanos, stamp.ctimeNanos) < now else { return nil }
        return stamp
    }

    /// As ``settledStamp(_:)`` for a file this process just wrote: waits for the clock's next
    /// tick (a few milliseconds at most, no CPU) rather than leave the next read to hash it.
    static func settledStampAfterWrite(_ path: String) -> FileStamp? {
        for _ in 0..<4 {
            if let s = settledStamp(path) { return s }
            guard let stamp = Files.stamp(path) else { return nil }
            let wait = max(stamp.mtimeNanos, stamp.ctimeNanos) - coarseNanos() + clockResolution()
            guard wait > 0, wait < 50_000_000 else { return nil }
            var ts = timespec(tv_sec: 0, tv_nsec: Int(wait))
            nanosleep(&ts, nil)
        }
        return nil
    }

    /// The clock file times come from, read before the `stat` it is compared with.
    static func coarseNanos() -> Int64 {
        var ts = timespec()
        #if os(Linux)
            clock_gettime(CLOCK_REALTIME_COARSE, &ts)
            return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
        #else
            // No coarse clock to compare with: demand a margin file systems never round beyond.
            clock_gettime(CLOCK_REALTIME, &ts)
            return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec) - 2_000_000_000
        #endif
    }

    static func clockResolution() -> Int64 {
        var ts = timespec()
        #if os(Linux)
            clock_getres(CLOCK_REALTIME_COARSE, &ts)
        #else
            clock_getres(CLOCK_REALTIME, &ts)
        #endif
        return max(Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec), 1_000_000)
    }
}
