import CLibGit2

#if canImport(Glibc)
    import Glibc
#endif

/// Where HEAD points.
public enum Head: Sendable, Equatable {
    /// On a branch (short name, e.g. `feature/x`) at a commit.
    case branch(String, ObjectID)
    case detached(ObjectID)
    /// On a branch with no commits yet.
    case unborn(String)

    public var commit: ObjectID? {
        switch self {
        case .branch(_, let c), .detached(let c): return c
        case .unborn: return nil
        }
    }

    public var branchName: String? {
        switch self {
        case .branch(let b, _), .unborn(let b): return b
        case .detached: return nil
        }
    }
}

public struct CommitInfo: Sendable, Equatable {
    public let id: ObjectID
    /// The first paragraph of the message, folded to one line. Invalid UTF-8 is replaced, never
    /// fatal: commit messages are bytes.
    public let summary: String
    public let time: Int64
}

/// Whether a commit is an ancestor of (or equal to) a head: what ``Repository/ancestry(of:head:)``
/// answers.
public enum Ancestry: Sendable, Equatable {
    case ancestor
    case notAncestor
    /// The clone does not have the commit.
    case missing
    /// A shallow clone has the commit but did not find it among the head's commits it has: the
    /// answer may lie beyond the boundary (`git clone --depth`), so this is "cannot tell".
    case notFoundInShallowClone
}

/// Decodes C bytes as UTF-8, replacing invalid sequences: git stores messages as bytes.
func decodeLossy(_ p: UnsafePointer<CChar>) -> String {
    String(decoding: UnsafeRawBufferPointer(start: p, count: strlen(p)).bindMemory(to: UInt8.self), as: UTF8.self)
}

/// An open repository. The only owner of libgit2 handles; nothing outside GitKit sees a pointer.
///
/// A repository found from git's own files (``RepoFiles``: the common case) does not initialise
/// libgit2 until something needs it: HEAD, the branch tips, the worktrees and the configuration
/// are read from the files git keeps, which is what a read answered from the index needs.
public final class Repository {
    private var opened: OpaquePointer?
    /// Where the files are, when the repository was found from them (nil: libgit2 found it).
    let layout: RepoFiles.Layout?
    /// The variables git would see: they choose the configuration files (``GitConfig``).
    let environment: [String: String]
    /// The commit-graph once looked for (``loadedCommitGraph()``), found or not.
    var graphCache: GraphCache?
    /// The configuration as last read (``config()`` checks its files are unchanged).
    var configCache: GitConfig?

    struct GraphCache {
        let graph: CommitGraph?
    }

    init(handle: OpaquePointer, environment: [String: String]) {
        opened = handle
        layout = nil
        self.environment = environment
    }

    init(layout: RepoFiles.Layout, environment: [String: String]) {
        self.layout = layout
        self.environment = environment
    }

    deinit { if let opened { git_repository_free(opened) } }

    /// The libgit2 repository, opened (and libgit2 initialised) on first use: at the git
    /// directory the files reader found, with its work tree (which `GIT_DIR`, `GIT_WORK_TREE` or
    /// `core.worktree` may have put anywhere).
    var handle: OpaquePointer {
        get throws {
            if let opened { return opened }
            _ = libgit2Ready
            guard let layout else { throw NotARepository(path: "/") }
            var repo: OpaquePointer?
            try check(
                git_repository_open_ext(&repo, layout.gitDir, GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue, nil),
                "open repository at \(layout.gitDir)")
            guard let repo else { throw NotARepository(path: layout.gitDir) }
            if git_repository_workdir(repo).map({ String(cString: $0) }) != layout.workdir {
                let rc = git_repository_set_workdir(repo, layout.workdir, 0)
                if rc < 0 { git_repository_free(repo) }
                try check(rc, "use \(layout.workdir) as the work tree")
            }
            opened = repo
            return repo
        }
    }

    /// Whether libgit2 has been initialised and the repository opened through it (for tests
    /// holding the warm path free of it).
    public var usedLibgit2: Bool { opened != nil }

    /// The process's environment, as git would see it.
    static func processEnvironment() -> [String: String] {
        var out: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let eq = text.firstIndex(of: "=") { out[String(text[..<eq])] = String(text[text.index(after: eq)...]) }
            entry += 1
        }
        return out
    }

    /// Opens the repository containing `path`, searching upwards as git does and honouring
    /// `GIT_DIR` and friends (git sets them when it runs hooks). `environment` is what git would
    /// see (nil: this process's): it also chooses the configuration files.
    ///
    /// `GIT_DIR` and `GIT_WORK_TREE` are honoured as git honours them (libgit2 1.5's
    /// `GIT_REPOSITORY_OPEN_FROM_ENV` refuses `GIT_WORK_TREE` as unimplemented): `GIT_DIR` names
    /// the repository (relative to `path`); the work tree is `GIT_WORK_TREE`, else the
    /// repository's own `core.worktree`, else `path` (git takes the current directory); a bare
    /// repository stays bare. The other variables (`GIT_CEILING_DIRECTORIES`, …) go through
    /// libgit2.
    public static func discover(from path: String, environment: [String: String]? = nil) throws -> Repository {
        let environment = environment ?? processEnvironment()
        if let layout = RepoFiles.discover(from: path, environment: environment) {
            return Repository(layout: layout, environment: environment)
        }
        return try discoverWithLibgit2(from: path, environment: environment)
    }

    /// ``discover(from:environment:)`` through libgit2 alone (what the files reader hands over).
    static func discoverWithLibgit2(from path: String, environment: [String: String]) throws -> Repository {
        _ = libgit2Ready
        func absolute(_ p: String) -> String { p.hasPrefix("/") ? p : (path.hasSuffix("/") ? path : path + "/") + p }
        let gitDir = environment["GIT_DIR"].flatMap { $0.isEmpty ? nil : absolute($0) }
        let workTree = environment["GIT_WORK_TREE"].flatMap { $0.isEmpty ? nil : absolute($0) }
        var repo: OpaquePointer?
        let rc: Int32
        // Variables libgit2 reads only from the process (`GIT_REPOSITORY_OPEN_FROM_ENV`); the
        // search itself follows `environment`, as git would.
        let processOnly = [
            "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE",
            "GIT_INDEX_FILE",
        ]
        if let gitDir {
            rc = git_repository_open_ext(&repo, gitDir, GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue, nil)
        } else if workTree == nil, processOnly.contains(where: { environment[$0] != nil }) {
            rc = git_repository_open_ext(&repo, path, GIT_REPOSITORY_OPEN_FROM_ENV.rawValue, nil)
        } else {
            let acrossFileSystems = try GitConfig.environmentBool("GIT_DISCOVERY_ACROSS_FILESYSTEM", environment)
            rc = git_repository_open_ext(
                &repo, path, acrossFileSystems ? GIT_REPOSITORY_OPEN_CROSS_FS.rawValue : 0,
                environment["GIT_CEILING_DIRECTORIES"])
        }
        if rc == GIT_ENOTFOUND.rawValue { throw NotARepository(path: gitDir ?? path) }
        try check(rc, "open repository at \(gitDir ?? path)")
        guard let repo else { throw NotARepository(path: path) }
        let opened = Repository(handle: repo, environment: environment)
        try RepoFiles.refuseOtherHashes(commonDir: opened.commonDir)
        // git: with GIT_DIR and neither GIT_WORK_TREE nor core.worktree, the current directory
        // is the top of the work tree (libgit2 would take GIT_DIR's parent).
        let implied = try gitDir != nil && !opened.configuredBare() && opened.configString("core.worktree") == nil
        if let dir = workTree ?? (implied ? path : nil) {
            try check(git_repository_set_workdir(repo, dir, 0), "use \(dir) as the work tree")
        }
        return opened
    }

    /// `core.bare` is set to true: a `GIT_DIR` without a work tree then stays bare.
    func configuredBare() throws -> Bool { try config().bool("core.bare", file: commonDir + "config") == true }

    /// The working tree's root with a trailing slash, or nil for a bare repository.
    public var workdir: String? {
        if let layout { return layout.workdir }
        return opened.flatMap { git_repository_workdir($0) }.map { String(cString: $0) }
    }

    /// This worktree's git directory (`.git/`, or `.git/worktrees/NAME/` for a linked worktree).
    public var gitDir: String {
        if let layout { return layout.gitDir }
        return opened.map { String(cString: git_repository_path($0)) } ?? ""
    }

    /// The directory shared by all worktrees (equal to ``gitDir`` outside linked worktrees).
    public var commonDir: String {
        if let layout { return layout.commonDir }
        return opened.map { String(cString: git_repository_commondir($0)) } ?? ""
    }

    public var isLinkedWorktree: Bool {
        if let layout { return layout.isLinkedWorktree }
        return opened.map { git_repository_is_worktree($0) == 1 } ?? false
    }

    /// A shallow clone: git has a `shallow` file in the common git directory (git 2.39 counts an
    /// empty one too). Throws when the file cannot be read or holds anything but commit ids.
    public var isShallow: Bool { get throws { try RepoFiles.isShallow(dirs) } }

    public func head() throws -> Head {
        if let layout, let head = try RepoFiles.head(layout.dirs) { return head }
        if try check(git_repository_head_unborn(handle), "read HEAD") == 1 {
            var ref: OpaquePointer?
            try check(git_reference_lookup(&ref, handle, "HEAD"), "read HEAD")
            defer { git_reference_free(ref) }
            let target = git_reference_symbolic_target(ref).map { String(cString: $0) } ?? "HEAD"
            return .unborn(target.hasPrefix("refs/heads/") ? String(target.dropFirst(11)) : target)
        }
        var ref: OpaquePointer?
        try check(git_repository_head(&ref, handle), "resolve HEAD")
        defer { git_reference_free(ref) }
        guard let oidPtr = git_reference_target(ref) else {
            throw GitError(
                operation: "resolve HEAD", code: -1, errorClass: 0, message: "HEAD is not a direct reference")
        }
        let oid = ObjectID(oidPtr.pointee)
        if try check(git_repository_head_detached(handle), "read HEAD") == 1 { return .detached(oid) }
        let name = String(cString: git_reference_shorthand(ref))
        return .branch(name, oid)
    }

    /// Resolves any revision git understands (`HEAD~2`, a branch, a short SHA) to a commit.
    public func resolveCommit(_ revision: String) throws -> ObjectID {
        var obj: OpaquePointer?
        try check(git_revparse_single(&obj, handle, revision), "resolve revision '\(revision)'")
        defer { git_object_free(obj) }
        var commit: OpaquePointer?
        try check(git_object_peel(&commit, obj, GIT_OBJECT_COMMIT), "resolve revision '\(revision)' to a commit")
        defer { git_object_free(commit) }
        return ObjectID(git_object_id(commit).pointee)
    }

    /// Whether the clone has the commit. Throws when the object database cannot be read, so
    /// that "cannot tell" is never taken for "missing".
    public func commitExists(_ id: ObjectID) throws -> Bool {
        var oid = id.gitOID
        var commit: OpaquePointer?
        let rc = try git_commit_lookup(&commit, handle, &oid)
        if rc == GIT_ENOTFOUND.rawValue { return false }
        try check(rc, "look up commit \(id.short)")
        git_commit_free(commit)
        return true
    }

    public func commit(_ id: ObjectID) throws -> CommitInfo {
        var oid = id.gitOID
        var commit: OpaquePointer?
        try check(git_commit_lookup(&commit, handle, &oid), "look up commit \(id.short)")
        defer { git_commit_free(commit) }
        let summary = git_commit_summary(commit).map(decodeLossy) ?? ""
        return CommitInfo(id: id, summary: summary, time: Int64(git_commit_time(commit)))
    }

    /// A configuration value as `git config --get KEY` prints it: nil when the key is not set,
    /// "" for a key written without a value. Read as git reads it (``GitConfig``: every level,
    /// includes, the variables git honours). Throws when the configuration cannot be read (a
    /// malformed file, say), so that "cannot tell" is never taken for "not set".
    public func configString(_ key: String) throws -> String? { try config().string(key) }

    /// The configuration, read again only when one of its files changed.
    func config() throws -> GitConfig {
        if let configCache, configCache.isCurrent { return configCache }
        let dirs = self.dirs
        let loaded = try GitConfig.load(
            GitConfig.Repo(
                gitDir: dirs.gitDir, commonDir: dirs.commonDir, gitDirAsFound: layout?.gitDirAsFound,
                environment: environment, worktreeConfig: layout?.worktreeConfig,
                headBranch: { try RepoFiles.headBranch(dirs) }))
        configCache = loaded
        return loaded
    }
}
