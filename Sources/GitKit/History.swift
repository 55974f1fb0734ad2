import CLibGit2

/// Commits between two heads: the first ones in full, and how many there were in all.
public struct CommitRange: Sendable, Equatable {
    /// Newest first, at most the limit asked for.
    public let commits: [CommitInfo]
    /// How many commits the range holds, listed or not.
    public let total: Int

    public var omitted: Int { total - commits.count }

    public init(commits: [CommitInfo], total: Int) {
        self.commits = commits
        self.total = total
    }
}

/// Paths that differ between two trees: the first ones, and how many there were in all.
public struct ChangedPaths: Sendable, Equatable {
    /// Sorted by byte value, at most the limit asked for.
    public let paths: [String]
    public let total: Int

    public var omitted: Int { total - paths.count }

    public init(paths: [String], total: Int) {
        self.paths = paths
        self.total = total
    }
}

/// What session snapshots need from history: the commits and files between two heads, and
/// which branch a branch was created from.
extension Repository {
    /// The commits reachable from `tip` and not from `base` (`git log base..tip`), newest first
    /// (topological, then by time); `base` nil means every commit of `tip`.
    ///
    /// Only the first `limit` commits are looked up for their subjects; the rest are counted.
    public func commitRange(from base: ObjectID?, to tip: ObjectID, limit: Int) throws -> CommitRange {
        if base == tip { return CommitRange(commits: [], total: 0) }
        var walk: OpaquePointer?
        try check(git_revwalk_new(&walk, handle), "start history walk")
        defer { git_revwalk_free(walk) }
        try check(
            git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL.rawValue | GIT_SORT_TIME.rawValue),
            "sort history walk")
        var tipOID = tip.gitOID
        try check(git_revwalk_push(walk, &tipOID), "walk from \(tip.short)")
        if let base {
            var baseOID = base.gitOID
            try check(git_revwalk_hide(walk, &baseOID), "hide \(base.short) from the walk")
        }
        var listed: [CommitInfo] = []
        var total = 0
        var oid = git_oid()
        while true {
            let rc = git_revwalk_next(&oid, walk)
            if rc == GIT_ITEROVER.rawValue { break }
            try check(rc, "walk \(base.map { $0.short + ".." } ?? "")\(tip.short)")
            total += 1
            if listed.count < limit { listed.append(try commit(ObjectID(oid))) }
        }
        return CommitRange(commits: listed, total: total)
    }

    /// The paths whose content or mode differs between the trees of two commits
    /// (`git diff --name-only base tip`, without rename detection: a rename lists both paths);
    /// `base` nil compares with the empty tree.
    public func changedPaths(from base: ObjectID?, to tip: ObjectID, limit: Int) throws -> ChangedPaths {
        if base == tip { return ChangedPaths(paths: [], total: 0) }
        let newTree = try tree(of: tip)
        defer { git_tree_free(newTree) }
        let oldTree = try base.flatMap(tree(of:))
        defer { git_tree_free(oldTree) }
        var diff: OpaquePointer?
        try check(
            git_diff_tree_to_tree(&diff, handle, oldTree, newTree, nil),
            "diff \(base?.short ?? "the empty tree") with \(tip.short)")
        defer { git_diff_free(diff) }
        var paths = Set<String>()
        for i in 0..<git_diff_num_deltas(diff) {
            guard let delta = git_diff_get_delta(diff, i) else { continue }
            // Both sides name the same path unless the delta is a rename or copy (never without
            // rename detection); a side that does not exist still carries the path.
            if let p = delta.pointee.new_file.path { paths.insert(decodeLossy(p)) }
            if let p = delta.pointee.old_file.path { paths.insert(decodeLossy(p)) }
        }
        let sorted = paths.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        return ChangedPaths(paths: Array(sorted.prefix(limit)), total: sorted.count)
    }

    /// The tree of a commit; the caller frees it with `git_tree_free`.
    private func tree(of id: ObjectID) throws -> OpaquePointer? {
        var oid = id.gitOID
        var commit: OpaquePointer?
        try check(git_commit_lookup(&commit, handle, &oid), "look up commit \(id.short)")
        defer { git_commit_free(commit) }
        var tree: OpaquePointer?
        try check(git_commit_tree(&tree, commit), "read the tree of \(id.short)")
        return tree
    }

    /// The branch `branch` was created from, as this clone's reflogs tell, or nil when they do
    /// not (a fresh clone, an expired reflog, a branch created from a commit).
    ///
    /// The branch's oldest reflog entry reads `branch: Created from X`. When X is `HEAD` (what
    /// `git checkout -b` and `git switch -c` write), HEAD's reflog entry
    /// `checkout: moving from A to branch` that followed names A. Reflogs are per clone and
    /// expire (90 days by default), so this is a hint, never a fact.
    public func branchOrigin(of branch: String) throws -> String? {
        guard let created = try reflogMessages("refs/heads/" + branch).last else { return nil }
        let prefix = "branch: Created from "
        guard created.hasPrefix(prefix) else { return nil }
        var from = String(created.dropFirst(prefix.count))
        if from.hasPrefix("refs/heads/") { from = String(from.dropFirst(11)) }
        if from != "HEAD" { return from == branch || from.isEmpty ? nil : from }
        // Branch names hold no spaces, so the message splits into exactly these words.
        for message in try reflogMessages("HEAD").reversed() {
            let words = message.split(separator: " ", omittingEmptySubsequences: false)
            guard words.count == 6, words[0] == "checkout:", words[1] == "moving", words[2] == "from",
                words[4] == "to", words[5] == branch[...]
            else { continue }
            let previous = String(words[3])
            return previous == branch || ObjectID(hex: previous) != nil ? nil : previous
        }
        return nil
    }

    /// Reflog messages of a reference, newest first; empty when it has no reflog.
    private func reflogMessages(_ name: String) throws -> [String] {
        var reflog: OpaquePointer?
        try check(git_reflog_read(&reflog, handle, name), "read the reflog of \(name)")
        defer { git_reflog_free(reflog) }
        let count = git_reflog_entrycount(reflog)
        var out: [String] = []
        out.reserveCapacity(count)
        for i in 0..<count {
            guard let entry = git_reflog_entry_byindex(reflog, i) else { continue }
            out.append(git_reflog_entry_message(entry).map(decodeLossy) ?? "")
        }
        return out
    }
}
