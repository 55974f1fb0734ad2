import CLibGit2

#if canImport(Glibc)
    import Glibc
#endif

/// What anchor recovery needs from git: hooks location, commit messages, patch-ids, walks.
extension Repository {
    /// The directory git runs hooks from: `core.hooksPath` when set (relative paths are relative
    /// to the working tree root, as git resolves them; `~/` is the home directory), else the
    /// `hooks` directory of the common git dir (shared by every worktree).
    public func hooksDirectory(home: String?) throws -> String {
        if let configured = try configString("core.hooksPath"), !configured.isEmpty {
            if configured.hasPrefix("~/"), let home { return home + configured.dropFirst(1) }
            if configured.hasPrefix("/") { return configured }
            let base = workdir ?? gitDir
            return (base.hasSuffix("/") ? base : base + "/") + configured
        }
        var buf = git_buf()
        defer { git_buf_dispose(&buf) }
        try check(git_repository_item_path(&buf, handle, GIT_REPOSITORY_ITEM_HOOKS), "locate the hooks directory")
        var path = String(cString: buf.ptr)
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        return path
    }

    /// The raw commit message, invalid UTF-8 replaced.
    public func message(of id: ObjectID) throws -> String {
        var oid = id.gitOID
        var commit: OpaquePointer?
        try check(git_commit_lookup(&commit, handle, &oid), "look up commit \(id.short)")
        defer { git_commit_free(commit) }
        return git_commit_message_raw(commit).map(decodeLossy) ?? ""
    }

    /// The stable patch-id of a commit's change against its first parent (as
    /// `git patch-id --stable` computes it), or nil for merge commits.
    public func patchID(of id: ObjectID) throws -> ObjectID? {
        try withFirstParentDiff(of: id) { diff in
            var out = git_oid()
            try check(git_diff_patchid(&out, diff, nil), "patch-id of \(id.short)")
            return ObjectID(out)
        }
    }

    /// The paths a commit's change against its first parent touches (old and new path of every
    /// file), sorted; nil for merge commits. Two commits with the same patch-id touch the same
    /// paths (the patch-id hashes each file's `diff --git a/… b/…` line), and this costs a tree
    /// comparison without reading a single file's content: anchor recovery compares patch-ids
    /// only between commits whose paths agree.
    public func changedPaths(of id: ObjectID) throws -> [String]? {
        try withFirstParentDiff(of: id) { diff in
            var paths = Set<String>()
            for i in 0..<git_diff_num_deltas(diff) {
                guard let delta = git_diff_get_delta(diff, i)?.pointee else { continue }
                if let p = delta.old_file.path { paths.insert(String(cString: p)) }
                if let p = delta.new_file.path { paths.insert(String(cString: p)) }
            }
            return paths.sorted()
        }
    }

    /// The tree diff of a commit against its first parent (or the empty tree), handed to `body`;
    /// nil without calling it for a merge commit.
    private func withFirstParentDiff<T>(of id: ObjectID, _ body: (OpaquePointer?) throws -> T) throws -> T? {
        var oid = id.gitOID
        var commit: OpaquePointer?
        try check(git_commit_lookup(&commit, handle, &oid), "look up commit \(id.short)")
        defer { git_commit_free(commit) }
        guard git_commit_parentcount(commit) <= 1 else { return nil }
        var tree: OpaquePointer?
        try check(git_commit_tree(&tree, commit), "read the tree of \(id.short)")
        defer { git_tree_free(tree) }
        var parentTree: OpaquePointer?
        if git_commit_parentcount(commit) == 1 {
            var parent: OpaquePointer?
            try check(git_commit_parent(&parent, commit, 0), "read the parent of \(id.short)")
            defer { git_commit_free(parent) }
            try check(git_commit_tree(&parentTree, parent), "read the parent tree of \(id.short)")
        }
        defer { git_tree_free(parentTree) }
        var diff: OpaquePointer?
        try check(git_diff_tree_to_tree(&diff, handle, parentTree, tree, nil), "diff \(id.short)")
        defer { git_diff_free(diff) }
        return try body(diff)
    }

    /// Commits reachable from `head` and not from any of `hidden`, at most `limit`: newest first
    /// (by committer time) when `notBefore` is given, otherwise in walk order from `head`.
    /// The walk stops early once commits are older than `notBefore` (committer time, seconds).
    public func commits(from head: ObjectID, hiding hidden: [ObjectID] = [], notBefore: Int64? = nil, limit: Int)
        throws -> [CommitInfo]
    {
        var walk: OpaquePointer?
        try check(git_revwalk_new(&walk, handle), "start history walk")
        defer { git_revwalk_free(walk) }
        // libgit2 1.5 reads the whole history before yielding the first commit of a time-sorted
        // walk (it treats it as limited): sort only when the early stop needs time order.
        git_revwalk_sorting(walk, notBefore == nil ? GIT_SORT_NONE.rawValue : GIT_SORT_TIME.rawValue)
        var headOID = head.gitOID
        try check(git_revwalk_push(walk, &headOID), "walk from \(head.short)")
        for h in hidden where try commitExists(h) {
            var o = h.gitOID
            try check(git_revwalk_hide(walk, &o), "hide \(h.short)")
        }
        var out: [CommitInfo] = []
        var oid = git_oid()
        while out.count < limit {
            let rc = git_revwalk_next(&oid, walk)
            if rc == GIT_ITEROVER.rawValue { break }
            // A shallow clone's boundary: libgit2 1.5 does not read .git/shallow and fails on the
            // missing parent. What lies beyond is not in this clone: the walk ends there.
            if rc == GIT_ENOTFOUND.rawValue, try isShallow { break }
            try check(rc, "walk history")
            let info = try commit(ObjectID(oid))
            if let floor = notBefore, info.time < floor { break }
            out.append(info)
        }
        return out
    }

    /// A rebase, merge, cherry-pick, revert or bisect is under way (what libgit2's
    /// `git_repository_state` tells): a rebase's directory, `MERGE_HEAD`, `REVERT_HEAD`,
    /// `CHERRY_PICK_HEAD` or `BISECT_LOG` in this worktree's git directory. Throws when one of
    /// them cannot be looked for, so "cannot tell" is never taken for "none".
    public var operationInProgress: Bool {
        get throws {
            let markers: [GitFile] = [.rebaseMerge, .rebaseApply, .mergeHead, .revertHead, .cherryPickHead, .bisectLog]
            return try markers.contains { try RepoFiles.kind(path(of: $0)) != .missing }
        }
    }

    /// The directory git keeps a rebase's own state in (`rebase-merge` or `rebase-apply` in
    /// this worktree's git dir) while one is under way, else nil; `rebase-apply` holding
    /// `applying` is a `git am`, not a rebase. git deletes the directory when the rebase finishes
    /// or is aborted, after running `post-rewrite rebase`.
    public var rebaseDirectory: String? {
        get throws {
            let merge = path(of: .rebaseMerge)
            if try RepoFiles.kind(merge) == .directory { return merge }
            let apply = path(of: .rebaseApply)
            guard try RepoFiles.kind(apply) == .directory, try RepoFiles.kind(apply + "/applying") == .missing else {
                return nil
            }
            return apply
        }
    }

    /// While a rebase is under way (``rebaseDirectory``): the branch it rebases, as git's
    /// `head-name` names it (`main`); `.some(nil)` when it rebases a detached HEAD or git did not
    /// say. Nil when no rebase is under way.
    public var rebasingBranch: String?? {
        get throws {
            guard let dir = try rebaseDirectory else { return nil }
            guard let bytes = try RepoFiles.readBytes(dir + "/head-name") else { return .some(nil) }
            let name = RepoFiles.trimmed(String(decoding: bytes, as: UTF8.self))
            guard name.hasPrefix("refs/heads/") else { return .some(nil) }
            return .some(String(name.dropFirst("refs/heads/".count)))
        }
    }

    /// Whether git's index has an entry for `path` (relative to the work tree): tracked, or
    /// added. Throws when the index cannot be read, so a caller deciding to delete never guesses.
    public func isInIndex(_ path: String) throws -> Bool {
        var index: OpaquePointer?
        try check(git_repository_index(&index, handle), "read the index")
        defer { git_index_free(index) }
        return git_index_get_bypath(index, path, 0) != nil
    }

    /// Whether git's index has any entry under the directory `relativeDir` (relative to the work
    /// tree, `/`-separated): whether git tracks files there.
    public func tracksFiles(under relativeDir: String) throws -> Bool {
        var index: OpaquePointer?
        try check(git_repository_index(&index, handle), "read the index")
        defer { git_index_free(index) }
        let prefix = relativeDir.hasSuffix("/") ? relativeDir : relativeDir + "/"
        var position = 0
        // Entries are sorted by path: the first at or after the prefix tells.
        guard git_index_find_prefix(&position, index, prefix) == 0, let entry = git_index_get_byindex(index, position)
        else { return false }
        return String(cString: entry.pointee.path).hasPrefix(prefix)
    }

    /// Whether the index records an unresolved conflict for `path` (relative to the work tree).
    /// Throws when git's index cannot be read: a guard built on this must not take "cannot
    /// tell" for "no conflict".
    public func isUnmerged(_ path: String) throws -> Bool {
        var index: OpaquePointer?
        try check(git_repository_index(&index, handle), "read git's index")
        defer { git_index_free(index) }
        var ancestor: UnsafePointer<git_index_entry>?
        var ours: UnsafePointer<git_index_entry>?
        var theirs: UnsafePointer<git_index_entry>?
        let rc = git_index_conflict_get(&ancestor, &ours, &theirs, index, path)
        if rc == GIT_ENOTFOUND.rawValue { return false }
        try check(rc, "read the conflict entries of \(path)")
        return true
    }

    /// The commit ORIG_HEAD names (set by rebase, reset, merge), or nil when there is none.
    /// Throws when the file cannot be read or holds anything else.
    public func origHead() throws -> ObjectID? {
        let file = path(of: .origHead)
        switch try RepoFiles.looseRef(at: file, directoryIsAbsent: false) {
        case nil: return nil
        case .id(let id)?: return id
        case .symbolic(let target)?:
            switch try RepoFiles.resolve(target, dirs).value {
            case .commit(let id): return id
            case .absent: return nil
            case .unknown: return try resolveCommit("ORIG_HEAD")
            }
        }
    }
}
