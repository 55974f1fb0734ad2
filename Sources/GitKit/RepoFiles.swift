#if canImport(Glibc)
    import Glibc
#endif

/// The files git itself keeps, read the way git reads them: where the repository is, HEAD, the
/// references, the worktrees and the configuration. Enough for a warm read to learn HEAD, the
/// branch tips and a few settings without initialising libgit2 (whose initialisation parses the
/// system's CA bundle: most of a cached read's cost). Every reader answers nil for anything
/// unusual (an environment that redirects git, includes in the configuration, a reftable, a
/// symbolic reference chain, a file it cannot parse), and the caller then asks libgit2.
enum RepoFiles {
    /// Where a repository's files are: absolute, symbolic links resolved, each with a trailing
    /// slash (as libgit2 reports them).
    struct Layout: Sendable, Equatable {
        var workdir: String
        var gitDir: String
        var commonDir: String
        var isLinkedWorktree: Bool { gitDir != commonDir }
    }

    /// Variables that change where git looks or what it reads: with any of them set, discovery
    /// is left to libgit2.
    static let redirecting = [
        "GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_CEILING_DIRECTORIES", "GIT_DISCOVERY_ACROSS_FILESYSTEM",
        "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_INDEX_FILE",
    ]

    /// The repository containing `path`, found as git finds it (the nearest directory upwards
    /// holding a `.git` directory, or a `.git` file naming the git directory), or nil when the
    /// search meets anything it does not handle: a variable in ``redirecting``, a bare
    /// repository or a start inside a git directory, another file system, a directory owned by
    /// someone else (libgit2's ownership check), `core.worktree`, `core.bare` or a repository
    /// extension in the configuration, or simply no repository (libgit2 then says why).
    static func discover(from path: String, environment: [String: String]) -> Layout? {
        for name in redirecting where environment[name] != nil || getenv(name) != nil { return nil }
        guard var dir = realPath(path) else { return nil }
        var st = stat()
        guard stat(dir, &st) == 0 else { return nil }
        let device = st.st_dev
        while true {
            let dotGit = join(dir, ".git")
            if lstat(dotGit, &st) == 0 {
                guard st.st_uid == geteuid() else { return nil }
                var gitDir: String
                if st.st_mode & S_IFMT == S_IFDIR {
                    gitDir = dotGit
                } else if st.st_mode & S_IFMT == S_IFREG {
                    // `gitdir: PATH` (a linked worktree, a submodule): relative to this directory.
                    guard let text = readText(dotGit), text.hasPrefix("gitdir: ") else { return nil }
                    let target = trimmedLine(String(text.dropFirst(8)))
                    guard !target.isEmpty else { return nil }
                    gitDir = target.hasPrefix("/") ? target : join(dir, target)
                } else {
                    return nil
                }
                guard let resolved = realPath(gitDir) else { return nil }
                gitDir = resolved
                guard isFile(join(gitDir, "HEAD")) else { return nil }
                var common = gitDir
                if let text = readText(join(gitDir, "commondir")) {
                    let target = trimmedLine(text)
                    guard !target.isEmpty,
                        let resolved = realPath(target.hasPrefix("/") ? target : join(gitDir, target))
                    else { return nil }
                    common = resolved
                }
                guard isDirectory(join(common, "objects")), isDirectory(join(common, "refs")) else { return nil }
                // The configuration may move the work tree or declare the repository bare, or
                // need an extension (worktree configuration, another hash, a reftable).
                guard let config = ConfigFile.parse(path: join(common, "config")),
                    config.value("core", nil, "worktree") == nil,
                    config.value("core", nil, "bare")?.lowercased() != "true",
                    !config.hasSection("extensions")
                else { return nil }
                return Layout(workdir: slashed(dir), gitDir: slashed(gitDir), commonDir: slashed(common))
            }
            // A git directory itself (bare, or a start inside `.git`): libgit2 decides.
            if isFile(join(dir, "HEAD")), isDirectory(join(dir, "objects")) { return nil }
            guard dir != "/" else { return nil }
            let parent = dir.split(separator: "/", omittingEmptySubsequences: true).dropLast().joined(separator: "/")
            dir = "/" + parent
            guard stat(dir, &st) == 0, st.st_dev == device else { return nil }
        }
    }

    /// HEAD of the worktree whose git directory is `layout.gitDir`; nil when it is anything but
    /// a branch (loose or packed) or a detached commit.
    static func head(_ layout: Layout) -> Head? {
        guard let text = readText(layout.gitDir + "HEAD") else { return nil }
        let line = trimmedLine(text)
        if let id = ObjectID(hex: line) { return .detached(id) }
        guard line.hasPrefix("ref: refs/heads/") else { return nil }
        let name = String(line.dropFirst(5))
        let branch = String(name.dropFirst(11))
        switch resolve(name, layout) {
        case .commit(let id): return .branch(branch, id)
        case .absent: return .unborn(branch)
        case .unknown: return nil
        }
    }

    enum Resolved: Equatable {
        case commit(ObjectID)
        case absent
        /// Symbolic, unreadable or unusual: ask libgit2.
        case unknown
    }

    /// A branch or remote-tracking reference (`refs/heads/…`, `refs/remotes/…`, shared by every
    /// worktree): the loose file first, then `packed-refs`, as git looks.
    static func resolve(_ name: String, _ layout: Layout) -> Resolved {
        guard name.hasPrefix("refs/heads/") || name.hasPrefix("refs/remotes/"), !name.contains("/../") else {
            return .unknown
        }
        if let text = readText(layout.commonDir + name) {
            return ObjectID(hex: trimmedLine(text)).map(Resolved.commit) ?? .unknown
        }
        if errno != ENOENT, errno != ENOTDIR { return .unknown }
        guard let packed = packedRefs(layout) else { return .unknown }
        return packed[name].map(Resolved.commit) ?? .absent
    }

    /// `packed-refs` as name → id (empty when there is none); nil when it cannot be read.
    static func packedRefs(_ layout: Layout) -> [String: ObjectID]? {
        guard let text = readText(layout.commonDir + "packed-refs") else {
            return errno == ENOENT ? [:] : nil
        }
        var out: [String: ObjectID] = [:]
        for line in text.split(separator: "\n") {
            // The header, and the peeled value of the tag above (`^id`).
            if line.hasPrefix("#") || line.hasPrefix("^") { continue }
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, let id = ObjectID(hex: String(parts[0])) else { return nil }
            out[String(parts[1])] = id
        }
        return out
    }

    /// Every local and remote-tracking branch (loose references override packed ones),
    /// unsorted; symbolic references (`origin/HEAD`) are left out. Nil when a reference cannot
    /// be read.
    static func branches(_ layout: Layout) -> [(name: String, id: ObjectID)]? {
        guard var refs = packedRefs(layout) else { return nil }
        refs = refs.filter { $0.key.hasPrefix("refs/heads/") || $0.key.hasPrefix("refs/remotes/") }
        var symbolic: Set<String> = []
        func scan(_ relative: String) -> Bool {
            guard let entries = listDirectory(layout.commonDir + relative) else { return errno == ENOENT }
            for entry in entries {
                let name = relative + "/" + entry.name
                if entry.directory {
                    guard scan(name) else { return false }
                    continue
                }
                // git's lock and temporary files are not references.
                if entry.name.hasSuffix(".lock") { continue }
                guard let text = readText(layout.commonDir + name) else { return false }
                let line = trimmedLine(text)
                if line.hasPrefix("ref: ") {
                    symbolic.insert(name)
                    continue
                }
                guard let id = ObjectID(hex: line) else { return false }
                refs[name] = id
            }
            return true
        }
        guard scan("refs/heads"), scan("refs/remotes") else { return nil }
        for name in symbolic { refs[name] = nil }
        return refs.map { ($0.key, $0.value) }
    }

    /// A linked worktree as `commonDir/worktrees/NAME` records it.
    struct Worktree {
        let name: String
        /// Its root, without a trailing slash.
        let path: String
        let branch: String?
    }

    /// The linked worktrees whose directories still exist (libgit2's validation); nil when the
    /// records cannot be read.
    static func linkedWorktrees(_ layout: Layout) -> [Worktree]? {
        guard let entries = listDirectory(layout.commonDir + "worktrees") else { return errno == ENOENT ? [] : nil }
        var out: [Worktree] = []
        // In directory order, as libgit2 lists them.
        for entry in entries where entry.directory {
            let record = layout.commonDir + "worktrees/" + entry.name + "/"
            // `gitdir` names the worktree's `.git` file; its directory is the worktree.
            guard let text = readText(record + "gitdir") else { continue }
            let dotGit = trimmedLine(text)
            guard dotGit.hasPrefix("/"), dotGit.hasSuffix("/.git") else { return nil }
            let path = String(dotGit.dropLast(5))
            guard isDirectory(path), isFile(record + "HEAD") else { continue }
            var branch: String?
            if let head = readText(record + "HEAD").map(trimmedLine), head.hasPrefix("ref: refs/heads/") {
                branch = String(head.dropFirst(16))
            }
            out.append(Worktree(name: entry.name, path: path, branch: branch))
        }
        return out
    }

    // MARK: - Files

    static func join(_ dir: String, _ name: String) -> String { dir.hasSuffix("/") ? dir + name : dir + "/" + name }

    static func slashed(_ path: String) -> String { path.hasSuffix("/") ? path : path + "/" }

    static func trimmedLine(_ text: String) -> String {
        var s = Substring(text)
        while let last = s.last, last == "\n" || last == "\r" || last == " " || last == "\t" { s = s.dropLast() }
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

    /// A small file's text (invalid UTF-8 replaced); nil with `errno` set when it cannot be read.
    static func readText(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n < 0 { return nil }
            if n == 0 { break }
            out.append(contentsOf: buffer[0..<n])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The entries of a directory (without `.` and `..`); nil with `errno` set when it cannot
    /// be read.
    static func listDirectory(_ path: String) -> [(name: String, directory: Bool)]? {
        guard let dir = opendir(path) else { return nil }
        defer { closedir(dir) }
        var out: [(name: String, directory: Bool)] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            var directory = entry.pointee.d_type == UInt8(DT_DIR)
            if entry.pointee.d_type == UInt8(DT_UNKNOWN) || entry.pointee.d_type == UInt8(DT_LNK) {
                directory = isDirectory(join(path, name))
            }
            out.append((name, directory))
        }
        return out
    }
}

/// One git configuration file, parsed as git parses it; nil (the caller asks libgit2) for an
/// include, a malformed line or anything else this reader does not handle.
struct ConfigFile {
    /// (section lowercased, subsection as written, key lowercased) → values in file order.
    private var entries: [String: [String]] = [:]
    private var sections: Set<String> = []

    private static func key(_ section: String, _ subsection: String?, _ name: String) -> String {
        section.lowercased() + "\u{0}" + (subsection ?? "\u{1}") + "\u{0}" + name.lowercased()
    }

    func value(_ section: String, _ subsection: String?, _ name: String) -> String? {
        entries[Self.key(section, subsection, name)]?.last
    }

    func hasSection(_ section: String) -> Bool { sections.contains(section.lowercased()) }

    /// The file at `path` (an empty configuration when it does not exist).
    static func parse(path: String) -> ConfigFile? {
        guard let text = RepoFiles.readText(path) else { return errno == ENOENT ? ConfigFile() : nil }
        return parse(text)
    }

    static func parse(_ text: String) -> ConfigFile? {
        var out = ConfigFile()
        let chars = Array(text.unicodeScalars)
        var i = 0
        var section: String?
        var subsection: String?
        func isSpace(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" || c == "\r" }
        func isNameChar(_ c: Unicode.Scalar) -> Bool {
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "-"
        }
        func skipToLineEnd() { while i < chars.count, chars[i] != "\n" { i += 1 } }
        while i < chars.count {
            let c = chars[i]
            if isSpace(c) || c == "\n" {
                i += 1
                continue
            }
            if c == "#" || c == ";" {
                skipToLineEnd()
                continue
            }
            if c == "[" {
                i += 1
                var name = ""
                while i < chars.count, isNameChar(chars[i]) || chars[i] == "." {
                    name.unicodeScalars.append(chars[i])
                    i += 1
                }
                var sub: String?
                while i < chars.count, isSpace(chars[i]) { i += 1 }
                if i < chars.count, chars[i] == "\"" {
                    i += 1
                    var s = ""
                    while i < chars.count, chars[i] != "\"" {
                        guard chars[i] != "\n" else { return nil }
                        if chars[i] == "\\", i + 1 < chars.count { i += 1 }
                        s.unicodeScalars.append(chars[i])
                        i += 1
                    }
                    guard i < chars.count else { return nil }
                    i += 1
                    sub = s
                }
                guard i < chars.count, chars[i] == "]", !name.isEmpty else { return nil }
                i += 1
                if sub == nil, let dot = name.firstIndex(of: ".") {
                    // The old `[section.sub]` form: the subsection is lowercased.
                    sub = String(name[name.index(after: dot)...]).lowercased()
                    name = String(name[..<dot])
                }
                let lowered = name.lowercased()
                // Includes pull other files in: libgit2 follows them.
                if lowered == "include" || lowered == "includeif" { return nil }
                section = lowered
                subsection = sub
                out.sections.insert(lowered)
                continue
            }
            guard isNameChar(c), let current = section else { return nil }
            var name = ""
            while i < chars.count, isNameChar(chars[i]) {
                name.unicodeScalars.append(chars[i])
                i += 1
            }
            while i < chars.count, isSpace(chars[i]) { i += 1 }
            var value = ""
            if i < chars.count, chars[i] == "=" {
                i += 1
                while i < chars.count, isSpace(chars[i]) { i += 1 }
                var v = ""
                var pendingSpace = ""
                var quoted = false
                while i < chars.count {
                    let ch = chars[i]
                    if ch == "\n" { break }
                    if !quoted, ch == "#" || ch == ";" {
                        skipToLineEnd()
                        break
                    }
                    if isSpace(ch), !quoted {
                        // libgit2 keeps inner whitespace as written (git turns each into a space).
                        pendingSpace.unicodeScalars.append(ch)
                        i += 1
                        continue
                    }
                    if !v.isEmpty { v += pendingSpace }
                    pendingSpace = ""
                    if ch == "\"" {
                        quoted.toggle()
                        i += 1
                        continue
                    }
                    if ch == "\\" {
                        guard i + 1 < chars.count else { return nil }
                        let e = chars[i + 1]
                        i += 2
                        switch e {
                        case "\n": continue  // a continued line
                        case "n": v += "\n"
                        case "t": v += "\t"
                        case "b": v += "\u{8}"
                        case "\\", "\"": v.unicodeScalars.append(e)
                        default: return nil
                        }
                        continue
                    }
                    v.unicodeScalars.append(ch)
                    i += 1
                }
                guard !quoted else { return nil }
                value = v
            } else {
                // A key without a value (a boolean true): libgit2 reports it its own way.
                return nil
            }
            out.entries[key(current, subsection, name), default: []].append(value)
        }
        return out
    }

    /// The configuration libgit2 1.5 reads for a repository, lowest priority first: the system
    /// file, the XDG file, `~/.gitconfig`, then the repository's own. (libgit2 1.5 does not
    /// honour `GIT_CONFIG_GLOBAL`, `GIT_CONFIG_SYSTEM` or `GIT_CONFIG_NOSYSTEM`; neither does
    /// this, so both answer alike.) Nil when any file cannot be read or parsed here.
    static func repositoryView(_ layout: RepoFiles.Layout) -> [ConfigFile]? {
        // libgit2 reads the process's environment, not the one a caller passes around.
        func variable(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
        if variable("GIT_CONFIG") != nil || variable("GIT_CONFIG_PARAMETERS") != nil
            || variable("GIT_CONFIG_COUNT") != nil
        {
            return nil
        }
        var paths = ["/etc/gitconfig"]
        let home = variable("HOME").flatMap { $0.isEmpty ? nil : $0 }
        if let xdg = variable("XDG_CONFIG_HOME"), !xdg.isEmpty {
            paths.append(RepoFiles.join(xdg, "git/config"))
        } else if let home {
            paths.append(RepoFiles.join(home, ".config/git/config"))
        }
        if let home { paths.append(RepoFiles.join(home, ".gitconfig")) }
        paths.append(layout.commonDir + "config")
        var out: [ConfigFile] = []
        for path in paths {
            guard let file = parse(path: path) else { return nil }
            out.append(file)
        }
        return out
    }
}
