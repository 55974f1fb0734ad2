import CLibGit2

/// A local or remote-tracking branch and the commit it points at.
public struct BranchTip: Sendable, Equatable {
    /// `feature/x` for `refs/heads/feature/x`, `origin/x` for `refs/remotes/origin/x`.
    public let name: String
    public let remote: Bool
    public let tip: ObjectID
}

/// Another working tree of this clone (`git worktree add`), or the main one seen from a linked
/// worktree.
public struct WorktreeInfo: Sendable, Equatable {
    /// The name git gives it (`git worktree list`): the directory name for linked worktrees,
    /// the main worktree's directory name for the main one.
    public let name: String
    /// Its root, without a trailing slash.
    public let path: String
    /// The branch it has checked out; nil when detached or unknown.
    public let branch: String?
}

/// What reading the other copies of the state needs from git: the branch tips, the blob of a
/// file at a commit, and the other worktrees.
extension Repository {
    /// Every local branch and remote-tracking branch with the commit it points at, sorted by
    /// name; symbolic references (`origin/HEAD`) and references that do not peel to a commit
    /// are left out.
    public func branchTips() throws -> [BranchTip] {
        // From the reference files, when they are all plain (a branch is taken to name a commit).
        if let layout, let branches = RepoFiles.branches(layout) {
            return branches.map { ref in
                let remote = ref.name.hasPrefix("refs/remotes/")
                return BranchTip(name: String(ref.name.dropFirst(remote ? 13 : 11)), remote: remote, tip: ref.id)
            }.sorted { ($0.remote ? 1 : 0, $0.name) < ($1.remote ? 1 : 0, $1.name) }
        }
        var iter: OpaquePointer?
        try check(git_reference_iterator_new(&iter, handle), "list references")
        defer { git_reference_iterator_free(iter) }
        var out: [BranchTip] = []
        var ref: OpaquePointer?
        while git_reference_next(&ref, iter) == 0 {
            defer { git_reference_free(ref) }
            guard git_reference_type(ref) == GIT_REFERENCE_DIRECT, let raw = git_reference_name(ref) else { continue }
            let full = decodeLossy(raw)
            let remote: Bool
            let name: String
            if full.hasPrefix("refs/heads/") {
                remote = false
                name = String(full.dropFirst(11))
            } else if full.hasPrefix("refs/remotes/") {
                remote = true
                name = String(full.dropFirst(13))
            } else {
                continue
            }
            var commit: OpaquePointer?
            guard git_reference_peel(&commit, ref, GIT_OBJECT_COMMIT) == 0 else { continue }
            let id = ObjectID(git_object_id(commit).pointee)
            git_object_free(commit)
            out.append(BranchTip(name: name, remote: remote, tip: id))
        }
        return out.sorted { ($0.remote ? 1 : 0, $0.name) < ($1.remote ? 1 : 0, $1.name) }
    }

    /// The other working trees of this clone: every valid linked worktree but this one, and the
    /// main worktree when this is a linked one. A worktree whose directory is gone (prunable)
    /// is left out.
    public func otherWorktrees() throws -> [WorktreeInfo] {
        let own = Self.trimmed(workdir ?? "")
        // From the worktree records, when the main worktree is the common dir's parent.
        if let layout, layout.commonDir.hasSuffix("/.git/"), let linked = RepoFiles.linkedWorktrees(layout) {
            var out: [WorktreeInfo] = []
            let main = String(layout.commonDir.dropLast(6))
            if layout.isLinkedWorktree, main != own {
                let head = RepoFiles.readText(layout.commonDir + "HEAD").map(RepoFiles.trimmedLine)
                out.append(
                    WorktreeInfo(
                        name: String(main.split(separator: "/").last ?? "main"), path: main,
                        branch: head.flatMap { $0.hasPrefix("ref: refs/heads/") ? String($0.dropFirst(16)) : nil }))
            }
            for w in linked where w.path != own {
                out.append(WorktreeInfo(name: w.name, path: w.path, branch: w.branch))
            }
            return out
        }
        var out: [WorktreeInfo] = []
        if isLinkedWorktree, let main = try? Repository.open(bare: commonDir), let dir = main.workdir {
            let path = Self.trimmed(dir)
            if path != own {
                out.append(
                    WorktreeInfo(
                        name: String(path.split(separator: "/").last ?? "main"), path: path,
                        branch: (try? main.head())?.branchName))
            }
        }
        var names = git_strarray()
        try check(git_worktree_list(&names, handle), "list worktrees")
        defer { git_strarray_dispose(&names) }
        for i in 0..<names.count {
            guard let raw = names.strings[i] else { continue }
            let name = String(cString: raw)
            var wt: OpaquePointer?
            guard try git_worktree_lookup(&wt, handle, name) == 0 else { continue }
            defer { git_worktree_free(wt) }
            guard git_worktree_validate(wt) == 0, let p = git_worktree_path(wt) else { continue }
            let path = Self.trimmed(String(cString: p))
            guard path != own else { continue }
            var branch: String?
            var ref: OpaquePointer?
            if try git_repository_head_for_worktree(&ref, handle, name) == 0 {
                if let target = git_reference_name(ref).map(decodeLossy), target.hasPrefix("refs/heads/") {
                    branch = String(target.dropFirst(11))
                }
                git_reference_free(ref)
            }
            // libgit2 resolves a worktree's HEAD to its target; a detached HEAD names no branch.
            out.append(WorktreeInfo(name: name, path: path, branch: branch))
        }
        return out
    }

    /// Opens the repository at exactly `path` (no search upwards, no environment).
    static func open(bare path: String) throws -> Repository {
        var repo: OpaquePointer?
        try check(
            git_repository_open_ext(&repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue, nil),
            "open repository at \(path)")
        guard let repo else { throw NotARepository(path: path) }
        return Repository(handle: repo)
    }

    static func trimmed(_ path: String) -> String {
        path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }
}

extension Repository {
    /// The id git would give `bytes` as a blob (`git hash-object`), so a worktree's file and a
    /// committed copy with the same content share one cache entry.
    public static func blobID(of bytes: [UInt8]) throws -> ObjectID {
        _ = libgit2Ready
        var oid = git_oid()
        try bytes.withUnsafeBytes { buf in
            try check(git_odb_hash(&oid, buf.baseAddress, buf.count, GIT_OBJECT_BLOB), "hash a blob")
        }
        return ObjectID(oid)
    }
}
