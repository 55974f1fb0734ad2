import CLibGit2

/// A local or remote-tracking branch and the commit it points at.
public struct BranchTip: Sendable, Equatable {
    /// `feature/x` for `refs/heads/feature/x`, `origin/x` for `refs/remotes/origin/x`.
    public let name: String
    public let remote: Bool
    public let tip: ObjectID

    /// The full reference name (`refs/heads/…`, `refs/remotes/…`).
    public var refName: String { (remote ? "refs/remotes/" : "refs/heads/") + name }
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
    /// Every local branch and remote-tracking branch with the object it names (a commit: git
    /// lets a branch name nothing else; `git for-each-ref`'s `objectname`), sorted by name,
    /// local first. Symbolic references (`origin/HEAD`) are left out.
    public func branchTips() throws -> [BranchTip] {
        func tip(_ full: String, _ id: ObjectID) -> BranchTip {
            let remote = full.hasPrefix("refs/remotes/")
            return BranchTip(name: String(full.dropFirst(remote ? 13 : 11)), remote: remote, tip: id)
        }
        var out: [BranchTip] = []
        // From the reference files, unless they hold something this reader leaves to libgit2.
        if let layout, let branches = try RepoFiles.branches(layout.dirs) {
            out = branches.map { tip($0.name, $0.id) }
        } else {
            var iter: OpaquePointer?
            try check(git_reference_iterator_new(&iter, handle), "list references")
            defer { git_reference_iterator_free(iter) }
            var ref: OpaquePointer?
            while true {
                let rc = git_reference_next(&ref, iter)
                if rc == GIT_ITEROVER.rawValue { break }
                try check(rc, "list references")
                defer { git_reference_free(ref) }
                guard git_reference_type(ref) == GIT_REFERENCE_DIRECT, let raw = git_reference_name(ref),
                    let target = git_reference_target(ref)
                else { continue }
                let full = decodeLossy(raw)
                // libgit2 lists files git does not take for references (`.hidden`, a bad name).
                guard full.hasPrefix("refs/heads/") || full.hasPrefix("refs/remotes/"), RepoFiles.isValidRefName(full)
                else { continue }
                out.append(tip(full, ObjectID(target.pointee)))
            }
        }
        return out.sorted { ($0.remote ? 1 : 0, $0.name) < ($1.remote ? 1 : 0, $1.name) }
    }

    /// The other working trees of this clone: every linked worktree git lists but this one, and
    /// the main worktree when this is a linked one (not a bare one). A worktree git calls
    /// prunable (its `.git` file is gone and it is not locked) is left out.
    public func otherWorktrees() throws -> [WorktreeInfo] {
        let own = Self.trimmed(workdir ?? "")
        // From the worktree records, unless they hold something this reader leaves to libgit2.
        if let layout, let linked = try RepoFiles.linkedWorktrees(layout.dirs) {
            let main = layout.isLinkedWorktree ? try RepoFiles.mainWorktree(layout.dirs) : nil
            return ([main].compactMap { $0 } + linked).filter { $0.path != own }.map {
                WorktreeInfo(name: $0.name, path: $0.path, branch: $0.branch)
            }
        }
        var out: [WorktreeInfo] = []
        if isLinkedWorktree {
            let main = try Repository.open(bare: commonDir, environment: environment)
            if let dir = main.workdir, Self.trimmed(dir) != own {
                let path = Self.trimmed(dir)
                out.append(
                    WorktreeInfo(
                        name: String(path.split(separator: "/").last ?? "main"), path: path,
                        branch: try main.head().branchName))
            }
        }
        var names = git_strarray()
        try check(git_worktree_list(&names, handle), "list worktrees")
        defer { git_strarray_dispose(&names) }
        for i in 0..<names.count {
            guard let raw = names.strings[i] else { continue }
            let name = String(cString: raw)
            var wt: OpaquePointer?
            try check(git_worktree_lookup(&wt, handle, name), "look up worktree \(name)")
            defer { git_worktree_free(wt) }
            guard let p = git_worktree_path(wt) else { continue }
            let path = Self.trimmed(String(cString: p))
            // Prunable, as git says (libgit2 validates the directory only): its `.git` file is
            // gone and it is not locked.
            guard try git_worktree_is_locked(nil, wt) > 0 || RepoFiles.kind(path + "/.git") != .missing else {
                continue
            }
            guard path != own else { continue }
            // Its HEAD from its record, as git reads it (libgit2 cannot open a locked worktree
            // whose directory is gone).
            let record = RepoFiles.Dirs(gitDir: dirs.commonDir + "worktrees/" + name + "/", commonDir: dirs.commonDir)
            out.append(WorktreeInfo(name: name, path: path, branch: try RepoFiles.headBranch(record)))
        }
        return out
    }

    /// Opens the repository at exactly `path` (no search upwards, no environment).
    static func open(bare path: String, environment: [String: String]) throws -> Repository {
        var repo: OpaquePointer?
        try check(
            git_repository_open_ext(&repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue, nil),
            "open repository at \(path)")
        guard let repo else { throw NotARepository(path: path) }
        return Repository(handle: repo, environment: environment)
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
