/// One version of a file in a branch's history: the commit that brought it and the blob.
public struct FileVersion: Sendable, Equatable {
    public let commit: ObjectID
    /// The commit's time (seconds since the epoch).
    public let time: Int64
    public let blob: ObjectID
}

extension Repository {
    /// The versions of `path` along `head`'s first-parent history, newest first: every commit
    /// (of the newest `limit` walked) whose file differs from its first parent's. The walk ends
    /// where the file did not exist yet. Read the bytes with ``blob(_:)``.
    ///
    /// First parents only: a merge brings the merged branch's file as one version, as the
    /// branch itself saw it (what a burn-down of that branch draws).
    public func fileHistory(_ path: String, from head: ObjectID, limit: Int) throws -> [FileVersion] {
        var out: [FileVersion] = []
        // The newer commit of the pair compared, with its blob.
        var newer: (commit: ObjectID, time: Int64, blob: ObjectID)?
        var current: ObjectID? = head
        var walked = 0
        while let id = current, walked < limit {
            walked += 1
            let blob = try fileID(path, at: id)
            if let n = newer, n.blob != blob { out.append(FileVersion(commit: n.commit, time: n.time, blob: n.blob)) }
            guard let blob else { return out }
            newer = (id, try commit(id).time, blob)
            // In a shallow clone the boundary commit reads as a root (``parents(of:)``).
            current = try parents(of: id).first
        }
        // The oldest commit walked holds the file: it brought it, unless the walk stopped early.
        if let n = newer, current == nil { out.append(FileVersion(commit: n.commit, time: n.time, blob: n.blob)) }
        return out
    }
}
