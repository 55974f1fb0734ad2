import CLibGit2

#if canImport(Glibc)
    import Glibc
#endif

/// A commit and its raw message.
public struct CommitMessage: Sendable, Equatable {
    public let info: CommitInfo
    public let message: String
}

/// What the drift check needs from git beyond ancestry: HEAD's recent trailers; and the walk
/// ``Repository/ancestry(of:head:using:)`` takes in a shallow clone.
extension Repository {
    /// HEAD's newest commits (committer time order, at most `limit` of them) whose message
    /// contains `needle` (ASCII, case-insensitive), with their messages. Every commit of the
    /// window is looked up once; only the matching messages are decoded.
    public func recentCommits(from head: ObjectID, limit: Int, containing needle: String) throws -> (
        matches: [CommitMessage], scanned: Int
    ) {
        let folded = Array(needle.lowercased().utf8)
        var matches: [CommitMessage] = []
        let scanned = try walkNewestFirst(from: head, limit: limit) { id, commit in
            guard let raw = git_commit_message_raw(commit), contains(raw, folded) else { return true }
            let info = CommitInfo(
                id: id, summary: git_commit_summary(commit).map(decodeLossy) ?? "",
                time: Int64(git_commit_time(commit)))
            matches.append(CommitMessage(info: info, message: decodeLossy(raw)))
            return true
        }
        return (matches, scanned)
    }

    /// Ancestry in a shallow clone, where a libgit2 walk fails at the boundary: a commit is
    /// `ancestor` when found among the commits of HEAD this clone has, `missing` when the clone
    /// lacks it, and `notFoundInShallowClone` otherwise: the answer may lie beyond the boundary.
    func ancestryWithinClone(of commits: Set<ObjectID>, head: ObjectID) throws -> [ObjectID: Ancestry] {
        var result: [ObjectID: Ancestry] = [:]
        var open = Set<ObjectID>()
        for c in commits {
            if try commitExists(c) { open.insert(c) } else { result[c] = .missing }
        }
        if !open.isEmpty {
            _ = try walkNewestFirst(from: head, limit: .max) { id, _ in
                if open.remove(id) != nil { result[id] = .ancestor }
                return !open.isEmpty
            }
        }
        for c in open { result[c] = .notFoundInShallowClone }
        return result
    }

    /// Visits HEAD's commits newest first (committer time), at most `limit`, while `visit`
    /// returns true; returns how many were visited.
    ///
    /// Done by hand rather than with a libgit2 revwalk, for two reasons. A sorted revwalk is
    /// "limited" in libgit2 1.5: before yielding its first commit it reads the whole history
    /// (100,000 commit objects for a 1,000-commit window). And libgit2 1.5 does not read
    /// `.git/shallow`: its revwalk fails with "object not found" at a shallow clone's boundary,
    /// where this walk just stops, following parents only as far as the clone has them.
    func walkNewestFirst(
        from head: ObjectID, limit: Int, _ visit: (ObjectID, OpaquePointer?) throws -> Bool
    ) throws -> Int {
        var visited = 0
        var queue = CommitQueue()
        var seen: Set<ObjectID> = [head]
        if let time = try commitTime(head) { queue.push(head, time: time) }
        while visited < limit, let id = queue.pop() {
            var oid = id.gitOID
            var commit: OpaquePointer?
            try check(git_commit_lookup(&commit, handle, &oid), "look up commit \(id.short)")
            defer { git_commit_free(commit) }
            visited += 1
            if try !visit(id, commit) { break }
            for i in 0..<git_commit_parentcount(commit) {
                guard let p = git_commit_parent_id(commit, i) else { continue }
                let parent = ObjectID(p.pointee)
                guard seen.insert(parent).inserted, let time = try commitTime(parent) else { continue }
                queue.push(parent, time: time)
            }
        }
        return visited
    }

    /// A commit's committer time, or nil when the clone does not have it (a shallow clone's
    /// boundary). Throws when the object database cannot be read.
    private func commitTime(_ id: ObjectID) throws -> Int64? {
        var oid = id.gitOID
        var commit: OpaquePointer?
        let rc = try git_commit_lookup(&commit, handle, &oid)
        if rc == GIT_ENOTFOUND.rawValue { return nil }
        try check(rc, "look up commit \(id.short)")
        defer { git_commit_free(commit) }
        return Int64(git_commit_time(commit))
    }

    /// Whether the C string contains `needle` (lowercase ASCII bytes), ignoring ASCII case.
    private func contains(_ text: UnsafePointer<CChar>, _ needle: [UInt8]) -> Bool {
        guard let first = needle.first else { return true }
        let bytes = UnsafeRawPointer(text).assumingMemoryBound(to: UInt8.self)
        let n = strlen(text)
        guard n >= needle.count else { return false }
        @inline(__always) func lower(_ c: UInt8) -> UInt8 { c >= 0x41 && c <= 0x5A ? c | 0x20 : c }
        var i = 0
        while i + needle.count <= n {
            if lower(bytes[i]) == first {
                var j = 1
                while j < needle.count, lower(bytes[i + j]) == needle[j] { j += 1 }
                if j == needle.count { return true }
            }
            i += 1
        }
        return false
    }
}

/// A max-heap of commits by committer time (ties: by id, for a stable order).
private struct CommitQueue {
    private var items: [(time: Int64, id: ObjectID)] = []

    private static func before(_ a: (time: Int64, id: ObjectID), _ b: (time: Int64, id: ObjectID)) -> Bool {
        a.time != b.time ? a.time > b.time : a.id.hex < b.id.hex
    }

    mutating func push(_ id: ObjectID, time: Int64) {
        items.append((time, id))
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard Self.before(items[i], items[parent]) else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> ObjectID? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1
                let r = l + 1
                var best = i
                if l < items.count, Self.before(items[l], items[best]) { best = l }
                if r < items.count, Self.before(items[r], items[best]) { best = r }
                if best == i { break }
                items.swapAt(i, best)
                i = best
            }
        }
        return top.id
    }
}
