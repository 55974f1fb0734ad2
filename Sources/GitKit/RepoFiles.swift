#if canImport(Glibc)
    import Glibc
#endif

/// The files git itself keeps, read the way git 2.39 reads them: where the repository is, HEAD,
/// the references, the worktree records and shallowness. Enough for a warm read to learn HEAD,
/// the branch tips and the other worktrees without initialising libgit2 (whose initialisation
/// parses the system's CA bundle: most of a cached read's cost).
///
/// Each reader has three answers: git's answer; nil for a layout it does not read (a bare
/// repository, a variable such as `GIT_COMMON_DIR`, a repository extension it does not know, a
/// symbolic link among the references…), which the caller then asks libgit2; or an error for a
/// file that cannot be read or does not hold what git writes there. It never guesses: a file it
/// cannot read is never taken for a missing one.
enum RepoFiles {
    /// A worktree's two git directories, absolute, symbolic links resolved, with a trailing slash.
    struct Dirs: Sendable, Equatable {
        var gitDir: String
        var commonDir: String
    }

    /// Where a repository's files are: absolute, symbolic links resolved, each with a trailing
    /// slash (as libgit2 reports them).
    struct Layout: Sendable, Equatable {
        var workdir: String
        var gitDir: String
        var commonDir: String
        /// The git directory as git was told it (`GIT_DIR`, a `.git` file's line), absolute but
        /// with its symbolic links: `includeIf "gitdir:…"` is matched against both.
        var gitDirAsFound: String
        /// `extensions.worktreeConfig`: git reads `config.worktree` too.
        var worktreeConfig: Bool
        var isLinkedWorktree: Bool { gitDir != commonDir }
        var dirs: Dirs { Dirs(gitDir: gitDir, commonDir: commonDir) }
    }

    /// Variables that change where git looks or what it reads, which this reader leaves to
    /// libgit2 (`GIT_DIR` and `GIT_WORK_TREE` it reads itself: git sets `GIT_DIR` for hooks in a
    /// linked worktree).
    static let handedOver = [
        "GIT_COMMON_DIR", "GIT_CEILING_DIRECTORIES", "GIT_DISCOVERY_ACROSS_FILESYSTEM", "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_INDEX_FILE", "GIT_IMPLICIT_WORK_TREE",
    ]

    // MARK: - Discovery

    /// The repository containing `path`, found as git finds it: `GIT_DIR` (with `GIT_WORK_TREE`,
    /// `core.worktree`, or else the current directory as the work tree), or the nearest directory
    /// upwards holding a `.git` directory or a `.git` file naming the git directory. Nil (libgit2
    /// then decides, and says why when there is no repository) for anything this reader does not
    /// handle: a variable in ``handedOver`` (or set in the process but not in `environment`), a
    /// bare repository or a start inside a git directory, another file system, a directory owned
    /// by someone else (git's `safe.directory`), a repository format or extension it does not
    /// know, an unreadable or malformed git file.
    static func discover(from path: String, environment: [String: String]) -> Layout? {
        for name in handedOver where environment[name] != nil || getenv(name) != nil { return nil }
        for name in ["GIT_DIR", "GIT_WORK_TREE"] where environment[name] == nil && getenv(name) != nil { return nil }
        guard let cwd = realPath(path), isDirectory(cwd) else { return nil }
        let workTree = environment["GIT_WORK_TREE"]
        // A file this reader cannot read or a format it does not handle: libgit2 reads the same
        // files and reports the problem in its own words, or handles the layout.
        do {
            if let gitDir = environment["GIT_DIR"] {
                guard !gitDir.isEmpty, workTree?.isEmpty != true else { return nil }
                return try repository(at: absolute(gitDir, cwd), cwd: cwd, top: nil, workTree: workTree)
            }
            var st = stat()
            guard stat(cwd, &st) == 0 else { return nil }
            let device = st.st_dev
            var dir = cwd
            while true {
                let dotGit = join(dir, ".git")
                if lstat(dotGit, &st) == 0 {
                    guard st.st_uid == geteuid() else { return nil }
                    return try repository(at: dotGit, cwd: cwd, top: dir, workTree: workTree)
                }
                // A git directory itself (bare, or a start inside `.git`): libgit2 decides.
                if try gitDirectoryCommon(dir) != nil { return nil }
                guard dir != "/" else { return nil }
                dir = parent(dir)
                guard stat(dir, &st) == 0, st.st_dev == device else { return nil }
            }
        } catch {
            return nil
        }
    }

    /// The repository whose git directory (or `.git` file) is `candidate`; `top` is the directory
    /// it was discovered in (nil for `GIT_DIR`). git's setup.c: `setup_explicit_git_dir` and
    /// `setup_discovered_git_dir`, with `check_repository_format_gently`.
    private static func repository(at candidate: String, cwd: String, top: String?, workTree: String?) throws
        -> Layout?
    {
        var asFound = candidate
        if isFile(candidate) {
            // `gitdir: PATH` (a linked worktree, a submodule, `--separate-git-dir`): relative to
            // the file's directory.
            guard let text = try readText(candidate), text.hasPrefix("gitdir: ") else { return nil }
            let target = trimmed(String(text.dropFirst(8)))
            guard !target.isEmpty else { return nil }
            asFound = absolute(target, parent(candidate))
        }
        guard let real = realPath(asFound), let commonDir = try gitDirectoryCommon(real) else { return nil }
        let format = try RepositoryFormat(gitDir: real, commonDir: commonDir)
        var workdir: String
        if let workTree {
            workdir = absolute(workTree, cwd)
        } else if format.bare {
            return nil
        } else if let configured = format.workTree {
            workdir = absolute(configured, real)
        } else {
            workdir = top ?? cwd
        }
        guard let resolved = realPath(workdir), isDirectory(resolved) else { return nil }
        workdir = resolved
        return Layout(
            workdir: slashed(workdir), gitDir: slashed(real), commonDir: slashed(commonDir),
            gitDirAsFound: trimmedSlash(asFound), worktreeConfig: format.worktreeConfig)
    }

    /// git's test for a git directory (HEAD, and `objects` and `refs` in its common directory):
    /// its common directory when `dir` is one, else nil.
    static func gitDirectoryCommon(_ dir: String) throws -> String? {
        let common = try commonDir(of: dir)
        var st = stat()
        guard lstat(join(dir, "HEAD"), &st) == 0, isDirectory(join(common, "objects")),
            isDirectory(join(common, "refs"))
        else { return nil }
        return common
    }

    /// The common directory of the git directory `dir` (its `commondir` file, relative to it),
    /// or `dir` itself; real path, without a trailing slash.
    static func commonDir(of dir: String) throws -> String {
        guard let text = try readText(join(dir, "commondir")) else { return trimmedSlash(dir) }
        let target = trimmed(text)
        guard !target.isEmpty, let real = realPath(absolute(target, dir)) else {
            throw GitFileError(path: join(dir, "commondir"), problem: "does not name a directory")
        }
        return real
    }

    /// What the repository's own configuration says about its format and its work tree
    /// (git's `read_repository_format` and `verify_repository_format`): nil-able fields are unset.
    struct RepositoryFormat {
        var bare = false
        var workTree: String?
        var worktreeConfig = false

        /// Throws for anything this reader does not handle: a format version above 1, an
        /// extension git 2.39 would refuse or this reader cannot follow (another hash, a
        /// reftable), a value git cannot parse.
        init(gitDir: String, commonDir: String) throws {
            let path = join(commonDir, "config")
            var local = GitConfig()
            for e in try GitConfig.entries(ofFile: path) ?? [] { local.add(e.key, e.value) }
            let unsupported = GitFileError(path: path, problem: "a repository format this reader does not handle")
            let version = try local.string("core.repositoryformatversion").map { text in
                guard let v = Int(text) else { throw unsupported }
                return v
            }
            guard (version ?? 0) <= 1 else { throw unsupported }
            for key in local.values.keys where key.hasPrefix("extensions.") {
                switch String(key.dropFirst(11)) {
                case "noop", "preciousobjects", "partialclone", "worktreeconfig": continue
                case "noop-v1" where version == 1: continue
                case "objectformat" where version == 1 && local.string(key)?.lowercased() == "sha1": continue
                default: if version == 1 { throw unsupported }
                }
            }
            worktreeConfig = try local.bool("extensions.worktreeConfig", file: path) ?? false
            var settings = local
            // A linked worktree ignores the shared core.bare and core.worktree, unless it has
            // its own configuration (setup.c: `has_common`).
            var applies = gitDir == commonDir
            if worktreeConfig {
                let own = join(gitDir, "config.worktree")
                for e in try GitConfig.entries(ofFile: own) ?? [] { settings.add(e.key, e.value) }
                applies = true
            }
            guard applies else { return }
            bare = try settings.bool("core.bare", file: path) ?? false
            workTree = settings.string("core.worktree")
        }
    }

    /// libgit2 1.5 reads SHA-1 repositories only, and is told it may open one that says so
    /// (`extensions.objectFormat = sha1`): any other hash is refused here, before it misreads.
    static func refuseOtherHashes(commonDir: String) throws {
        let path = join(commonDir, "config")
        var local = GitConfig()
        for e in try GitConfig.entries(ofFile: path) ?? [] { local.add(e.key, e.value) }
        if let format = local.string("extensions.objectFormat"), format.lowercased() != "sha1" {
            throw GitFileError(
                path: path, problem: "objects hashed with \(format): only SHA-1 repositories are supported")
        }
    }

    // MARK: - References

    /// A reference file's content as git reads it (refs/files-backend.c): 40 hex digits followed
    /// by the end or whitespace, or `ref:` and a name.
    enum RefValue: Equatable {
        case id(ObjectID)
        case symbolic(String)
    }

    /// What a reference resolves to.
    enum Resolved: Equatable {
        case commit(ObjectID)
        case absent
        /// A layout this reader leaves to libgit2.
        case unknown
    }

    static func parseRef(_ text: String, path: String) throws -> RefValue {
        let content = trimmed(text)
        if content.hasPrefix("ref:") {
            let target = String(content.dropFirst(4).drop { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" })
            guard !target.isEmpty else { throw GitFileError(path: path, problem: "names no reference") }
            return .symbolic(target)
        }
        let bytes = Array(content.utf8)
        if bytes.count >= 40, let id = ObjectID(hex: String(decoding: bytes[0..<40], as: UTF8.self)),
            bytes.count == 40 || [0x20, 0x09, 0x0A, 0x0D].contains(bytes[40])
        {
            return .id(id)
        }
        throw GitFileError(path: path, problem: "is neither a commit id nor `ref: <name>`")
    }

    /// The loose reference file at `path`: nil when there is none. A directory where a
    /// reference under `refs/` would be is none too (git then looks in `packed-refs`); where
    /// HEAD or another file of git's own should be (`directoryIsAbsent` false) it is an error. A
    /// symbolic link to `refs/…` is a symbolic reference, as git reads one; a link elsewhere is
    /// read through.
    static func looseRef(at path: String, directoryIsAbsent: Bool = true) throws -> RefValue? {
        let isDirectory: Bool
        switch try kind(path) {
        case .missing: return nil
        case .directory: isDirectory = true
        case .symlink:
            let target = try readLink(path)
            if target.hasPrefix("refs/") { return .symbolic(target) }
            isDirectory = Self.isDirectory(path)
        case .file: isDirectory = false
        case .other: throw GitFileError(path: path, problem: "is not a regular file")
        }
        if isDirectory {
            if directoryIsAbsent { return nil }
            throw GitFileError(path: path, problem: "is a directory")
        }
        guard let text = try readText(path) else { return nil }
        return try parseRef(text, path: path)
    }

    /// `name` (a full reference name) resolved through symbolic references, at most five deep
    /// (git's limit): the last name and what it names. Loose files first, then `packed-refs`.
    static func resolve(_ name: String, _ dirs: Dirs) throws -> (name: String, value: Resolved) {
        var current = name
        for _ in 0...5 {
            guard isValidRefName(current) else { return (current, .unknown) }
            switch try looseRef(at: gitPath(current, dirs), directoryIsAbsent: current.hasPrefix("refs/")) {
            case .id(let id)?:
                return (current, .commit(id))
            case .symbolic(let target)?:
                guard target.hasPrefix("refs/") else { return (current, .unknown) }
                current = target
            case nil:
                return (current, try packedRefs(dirs)[current].map(Resolved.commit) ?? .absent)
            }
        }
        return (current, .unknown)
    }

    /// HEAD of the worktree whose git directory is `dirs.gitDir`; nil when it names something
    /// other than a branch (`refs/heads/…`) or a commit.
    static func head(_ dirs: Dirs) throws -> Head? {
        let path = dirs.gitDir + "HEAD"
        switch try looseRef(at: path, directoryIsAbsent: false) {
        case nil:
            throw GitFileError(path: path, problem: "does not exist")
        case .id(let id)?:
            return .detached(id)
        case .symbolic(let target)?:
            let (name, value) = try resolve(target, dirs)
            guard name.hasPrefix("refs/heads/") else { return nil }
            let branch = String(name.dropFirst(11))
            switch value {
            case .commit(let id): return .branch(branch, id)
            case .absent: return .unborn(branch)
            case .unknown: return nil
            }
        }
    }

    /// The branch HEAD names when HEAD is symbolic (followed to its last name), else nil
    /// (detached, or no HEAD at all): what git's `includeIf "onbranch:…"` matches, and the branch
    /// `git worktree list` shows.
    static func headBranch(_ dirs: Dirs) throws -> String? {
        let path = dirs.gitDir + "HEAD"
        guard case .symbolic(var name)? = try looseRef(at: path, directoryIsAbsent: false) else { return nil }
        // Only loose references are symbolic: the name needs no packed-refs.
        for _ in 0..<5 {
            guard name.hasPrefix("refs/"), isValidRefName(name),
                case .symbolic(let next)? = try looseRef(at: gitPath(name, dirs))
            else { break }
            name = next
        }
        return name.hasPrefix("refs/heads/") ? String(name.dropFirst(11)) : nil
    }

    /// `packed-refs` as name → id (empty when there is none). Throws for a line git would
    /// refuse.
    static func packedRefs(_ dirs: Dirs) throws -> [String: ObjectID] {
        let path = gitPath("packed-refs", dirs)
        guard let text = try readText(path) else { return [:] }
        var out: [String: ObjectID] = [:]
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            // The header, the peeled value of the tag above (`^id`), the end.
            if line.isEmpty || (n == 0 && line.hasPrefix("# pack-refs with:")) || line.hasPrefix("^") { continue }
            let parts = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0].utf8.count == 40, let id = ObjectID(hex: String(parts[0])),
                !parts[1].isEmpty
            else { throw GitFileError(path: path, problem: "unexpected line \(n + 1)") }
            out[String(parts[1])] = id
        }
        return out
    }

    /// Every local and remote-tracking branch (loose references override packed ones), unsorted;
    /// symbolic references (`origin/HEAD`) are left out, and so are the files git does not take
    /// for references (a leading dot, a `.lock` file, a name git refuses). Nil for a layout left
    /// to libgit2 (a symbolic link to a directory, a device).
    static func branches(_ dirs: Dirs) throws -> [(name: String, id: ObjectID)]? {
        var refs = try packedRefs(dirs).filter { $0.key.hasPrefix("refs/heads/") || $0.key.hasPrefix("refs/remotes/") }
        var symbolic: Set<String> = []
        func scan(_ relative: String) throws -> Bool {
            for entry in try listDirectory(dirs.commonDir + relative) ?? [] {
                if entry.name.hasPrefix(".") || entry.name.hasSuffix(".lock") { continue }
                let name = relative + "/" + entry.name
                let path = dirs.commonDir + name
                switch entry.kind {
                case .directory:
                    guard try scan(name) else { return false }
                case .file, .symlink:
                    // git ignores (with a warning) a file whose name is not a reference's.
                    guard isValidRefName(name) else { continue }
                    if entry.kind == .symlink, isDirectory(path) { return false }
                    switch try looseRef(at: path) {
                    case .id(let id)?: refs[name] = id
                    case .symbolic?: symbolic.insert(name)
                    case nil: continue  // removed while listing
                    }
                case .missing:
                    continue  // removed while listing
                case .other:
                    return false
                }
            }
            return true
        }
        guard try scan("refs/heads"), try scan("refs/remotes") else { return nil }
        for name in symbolic { refs[name] = nil }
        return refs.map { ($0.key, $0.value) }
    }

    /// git's rules for a reference name (refs.c, `check_refname_format`), as far as a name read
    /// from disk can break them.
    static func isValidRefName(_ name: String) -> Bool {
        // One pass over the bytes (this runs for every reference a read looks at), keeping the
        // component's last five bytes to spot `.lock`.
        let lock: UInt64 = 0x2E_6C6F_636B  // ".lock"
        var previous = UInt8(ascii: "/")  // the start is a component boundary
        var tail: UInt64 = 0
        var tailLength = 0
        for c in name.utf8 {
            switch c {
            case 0..<0x20, 0x7F, UInt8(ascii: " "), UInt8(ascii: "~"), UInt8(ascii: "^"), UInt8(ascii: ":"),
                UInt8(ascii: "?"), UInt8(ascii: "*"), UInt8(ascii: "["), UInt8(ascii: "\\"):
                return false
            case UInt8(ascii: "/"):
                // An empty component, or one ending in `.lock`.
                if previous == UInt8(ascii: "/") { return false }
                if tailLength == 5 && tail & 0xFF_FFFF_FFFF == lock { return false }
                tail = 0
                tailLength = 0
            case UInt8(ascii: "."):
                if previous == UInt8(ascii: "/") || previous == UInt8(ascii: ".") { return false }  // `.x`, `..`
            case UInt8(ascii: "{"):
                if previous == UInt8(ascii: "@") { return false }
            default:
                break
            }
            if c != UInt8(ascii: "/") {
                tail = tail << 8 | UInt64(c)
                tailLength = min(tailLength + 1, 5)
            }
            previous = c
        }
        return name != "@" && previous != UInt8(ascii: "/") && previous != UInt8(ascii: ".")
            && !(tailLength == 5 && tail & 0xFF_FFFF_FFFF == lock)
    }

    // MARK: - Worktrees

    /// A worktree as git lists it.
    struct Worktree: Equatable {
        let name: String
        /// Its root, without a trailing slash.
        let path: String
        let branch: String?
    }

    /// The linked worktrees git lists and does not call prunable: a record whose `gitdir` file
    /// is missing, or names a `.git` file that is gone, is left out unless the worktree is
    /// locked (git 2.39's `worktree list`). Nil for a record this reader does not read (a
    /// relative path, written by later versions of git).
    static func linkedWorktrees(_ dirs: Dirs) throws -> [Worktree]? {
        guard let entries = try listDirectory(dirs.commonDir + "worktrees") else { return [] }
        var out: [Worktree] = []
        for entry in entries {
            let record = dirs.commonDir + "worktrees/" + entry.name + "/"
            guard entry.kind == .directory || (entry.kind == .symlink && isDirectory(record)) else { continue }
            let locked = try kind(record + "locked") != .missing
            // Without its `gitdir` file git does not list the worktree at all.
            guard let text = try readText(record + "gitdir") else { continue }
            let dotGit = trimmed(text)
            guard dotGit.hasPrefix("/"), dotGit.hasSuffix("/.git") else { return nil }
            guard try locked || kind(dotGit) != .missing else { continue }
            let branch = try headBranch(Dirs(gitDir: record, commonDir: dirs.commonDir))
            out.append(Worktree(name: entry.name, path: String(dotGit.dropLast(5)), branch: branch))
        }
        return out
    }

    /// The main worktree, as git 2.39 lists it (worktree.c, `get_main_worktree`): the common
    /// directory without its `/.git`, whatever `core.worktree` says (for a separate git
    /// directory git names the git directory itself); nil for a bare repository.
    static func mainWorktree(_ dirs: Dirs) throws -> Worktree? {
        let path = join(dirs.commonDir, "config")
        var shared = GitConfig()
        for e in try GitConfig.entries(ofFile: path) ?? [] { shared.add(e.key, e.value) }
        if try shared.bool("core.bare", file: path) == true { return nil }
        let common = trimmedSlash(dirs.commonDir)
        let main = common.hasSuffix("/.git") ? String(common.dropLast(5)) : common
        let branch = try headBranch(Dirs(gitDir: dirs.commonDir, commonDir: dirs.commonDir))
        return Worktree(name: String(main.split(separator: "/").last ?? "main"), path: main, branch: branch)
    }

    /// A shallow clone: git 2.39 reads `shallow` in the common directory, and a repository that
    /// has the file is shallow, even when it is empty. A line that is not a commit id is an error,
    /// as it is for git.
    static func isShallow(_ dirs: Dirs) throws -> Bool {
        let path = gitPath("shallow", dirs)
        guard let text = try readText(path) else { return false }
        for (n, line) in text.split(separator: "\n").enumerated() where ObjectID(hex: String(line)) == nil {
            throw GitFileError(path: path, problem: "line \(n + 1) is not a commit id")
        }
        return true
    }

    // MARK: - Files

    static func join(_ dir: String, _ name: String) -> String { dir.hasSuffix("/") ? dir + name : dir + "/" + name }

    static func slashed(_ path: String) -> String { path.hasSuffix("/") ? path : path + "/" }

    static func trimmedSlash(_ path: String) -> String {
        path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
    }

    /// `path` made absolute against `base`, without resolving links.
    static func absolute(_ path: String, _ base: String) -> String { path.hasPrefix("/") ? path : join(base, path) }

    static func parent(_ path: String) -> String {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).dropLast()
        return "/" + parts.joined(separator: "/")
    }

    /// Without trailing whitespace (git's `strbuf_rtrim`).
    static func trimmed(_ text: String) -> String {
        var s = Substring(text)
        while let last = s.last, last == "\n" || last == "\r" || last == " " || last == "\t" || last == "\r\n" {
            s = s.dropLast()
        }
        return String(s)
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func isFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFREG
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR
    }

    /// What identifies a file's version (size, modification and change times, inode), "-" when
    /// there is no file: one whose stamp is unchanged is taken as unchanged, as git's index does.
    /// Throws when it cannot be looked at.
    static func stamp(_ path: String) throws -> String {
        var st = stat()
        guard stat(path, &st) == 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { return "-" }
            throw GitFileError(path: path, problem: "cannot read: " + String(cString: strerror(code)))
        }
        let (m, c) = (st.st_mtim, st.st_ctim)
        return "\(st.st_size):\(m.tv_sec).\(m.tv_nsec):\(c.tv_sec).\(c.tv_nsec):\(st.st_ino)"
    }

    enum Kind: Equatable {
        case missing, file, directory, symlink, other
    }

    /// What stands at `path`, links not followed. Missing when nothing is there (or a parent is
    /// a file); throws when it cannot be told (a directory that may not be searched…).
    static func kind(_ path: String) throws -> Kind {
        var st = stat()
        guard lstat(path, &st) == 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { return .missing }
            throw GitFileError(path: path, problem: "cannot read: " + String(cString: strerror(code)))
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        case S_IFLNK: return .symlink
        default: return .other
        }
    }

    static func readLink(_ path: String) throws -> String {
        var buffer = [CChar](repeating: 0, count: 4097)
        let n = readlink(path, &buffer, 4096)
        guard n >= 0 else {
            throw GitFileError(path: path, problem: "cannot read the link: " + String(cString: strerror(errno)))
        }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A file's bytes; nil when it does not exist (or a parent is a file). Throws for anything
    /// else: no permission, a directory or a device where a file belongs, a loop of links.
    static func readBytes(_ path: String) throws -> [UInt8]? {
        func failure(_ code: Int32) -> GitFileError {
            GitFileError(path: path, problem: "cannot read: " + String(cString: strerror(code)))
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { return nil }
            throw failure(code)
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw failure(errno) }
        guard st.st_mode & S_IFMT == S_IFREG else {
            throw GitFileError(
                path: path, problem: st.st_mode & S_IFMT == S_IFDIR ? "is a directory" : "is not a regular file")
        }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n < 0 { throw failure(errno) }
            if n == 0 { break }
            out.append(contentsOf: buffer[0..<n])
        }
        return out
    }

    /// A file's text (invalid UTF-8 replaced); nil when it does not exist.
    static func readText(_ path: String) throws -> String? {
        try readBytes(path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The entries of a directory (without `.` and `..`), each with what it is (links not
    /// followed); nil when the directory does not exist. Throws when it cannot be read.
    static func listDirectory(_ path: String) throws -> [(name: String, kind: Kind)]? {
        guard let dir = opendir(path) else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { return nil }
            throw GitFileError(path: path, problem: "cannot list: " + String(cString: strerror(code)))
        }
        defer { closedir(dir) }
        var out: [(name: String, kind: Kind)] = []
        while true {
            errno = 0
            guard let entry = readdir(dir) else {
                let code = errno
                if code != 0 {
                    throw GitFileError(path: path, problem: "cannot list: " + String(cString: strerror(code)))
                }
                return out
            }
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            switch Int32(entry.pointee.d_type) {
            case Int32(DT_REG): out.append((name, .file))
            case Int32(DT_DIR): out.append((name, .directory))
            case Int32(DT_LNK): out.append((name, .symlink))
            case Int32(DT_UNKNOWN): out.append((name, try kind(join(path, name))))
            default: out.append((name, .other))
            }
        }
    }
}
