#if canImport(Glibc)
    import Glibc
#endif

/// A file git keeps in a repository's git directories. Where each one is for a worktree is
/// git's rule (``Repository/path(of:)``), so nothing outside GitKit builds a git path by hand:
/// in a linked worktree some live in the worktree's own git directory and some in the shared one.
public enum GitFile: String, CaseIterable, Sendable {
    case head = "HEAD"
    /// What the last `git fetch` run in this worktree fetched (git 2.39 writes it per worktree).
    case fetchHead = "FETCH_HEAD"
    case origHead = "ORIG_HEAD"
    case mergeHead = "MERGE_HEAD"
    case cherryPickHead = "CHERRY_PICK_HEAD"
    case revertHead = "REVERT_HEAD"
    case bisectLog = "BISECT_LOG"
    /// The directories a rebase keeps its state in while it runs.
    case rebaseMerge = "rebase-merge"
    case rebaseApply = "rebase-apply"
    case headLog = "logs/HEAD"
    case packedRefs = "packed-refs"
    case shallow = "shallow"
    case config = "config"
    case worktreeConfig = "config.worktree"
    case attributes = "info/attributes"
    case exclude = "info/exclude"
    /// The linked worktrees' records.
    case worktrees = "worktrees"
}

extension RepoFiles {
    /// Paths under a git directory that belong to the directory every worktree shares (git's
    /// path.c, `common_list`): a directory (its contents too) or a file, each with whether it is
    /// shared. The longest entry that covers a path decides; a path no entry covers is the
    /// worktree's own (HEAD, FETCH_HEAD, the index, a rebase's state, `config.worktree`…).
    static let sharedPaths: [(path: String, directory: Bool, shared: Bool)] = [
        ("branches", true, true), ("common", true, true), ("hooks", true, true), ("info", true, true),
        ("info/sparse-checkout", false, false), ("logs", true, true), ("logs/HEAD", false, false),
        ("logs/refs/bisect", true, false), ("logs/refs/rewritten", true, false), ("logs/refs/worktree", true, false),
        ("lost-found", true, true), ("objects", true, true), ("refs", true, true), ("refs/bisect", true, false),
        ("refs/rewritten", true, false), ("refs/worktree", true, false), ("remotes", true, true),
        ("worktrees", true, true), ("rr-cache", true, true), ("svn", true, true), ("config", false, true),
        ("gc.pid", false, true), ("packed-refs", false, true), ("shallow", false, true),
    ]

    /// Where git keeps `name` (a path relative to a git directory) for the worktree of `dirs`:
    /// `git rev-parse --git-path NAME`, for the paths no variable or setting moves.
    static func gitPath(_ name: String, _ dirs: Dirs) -> String {
        var best: (length: Int, shared: Bool)?
        for entry in sharedPaths {
            let covers = name == entry.path || (entry.directory && name.hasPrefix(entry.path + "/"))
            if covers, entry.path.count > (best?.length ?? -1) { best = (entry.path.count, entry.shared) }
        }
        return (best?.shared == true ? dirs.commonDir : dirs.gitDir) + name
    }
}

extension Repository {
    var dirs: RepoFiles.Dirs {
        RepoFiles.Dirs(gitDir: RepoFiles.slashed(gitDir), commonDir: RepoFiles.slashed(commonDir))
    }

    /// Where git keeps `file` for this worktree, as `git rev-parse --git-path` says.
    public func path(of file: GitFile) -> String { RepoFiles.gitPath(file.rawValue, dirs) }

    /// The `FETCH_HEAD` of every worktree of this clone, this worktree's first, whether or not
    /// it exists yet. git 2.39 writes `FETCH_HEAD` in the git directory of the worktree the fetch
    /// runs in, and the commits it brings land in the objects every worktree shares: an answer
    /// that depends on which commits the clone has changes when any of these files does.
    public func fetchHeadFiles() throws -> [String] {
        let own = path(of: .fetchHead)
        var all = [RepoFiles.gitPath("FETCH_HEAD", RepoFiles.Dirs(gitDir: dirs.commonDir, commonDir: dirs.commonDir))]
        let records = dirs.commonDir + "worktrees/"
        for entry in try RepoFiles.listDirectory(records) ?? [] where entry.kind != .file {
            all.append(records + entry.name + "/FETCH_HEAD")
        }
        return [own] + all.filter { $0 != own }.sorted()
    }

    /// What a cached answer keys on to notice any fetch in this clone: each of
    /// ``fetchHeadFiles()``, by size, modification and change times and inode ("-" when absent).
    /// Throws when one cannot be looked at.
    public func fetchStamp() throws -> String {
        try fetchHeadFiles().map(RepoFiles.stamp).joined(separator: ",")
    }
}
