#if canImport(Glibc)
    import Glibc
#endif

/// git's configuration for one repository, read as git 2.39 reads it: the files of every level
/// in git's order (system, global, local, per-worktree), the command line's `-c` settings that
/// git hands to hooks, and the includes, conditional ones too. The environment decides which
/// files, as it does for git: `GIT_CONFIG_NOSYSTEM`, `GIT_CONFIG_SYSTEM`, `GIT_CONFIG_GLOBAL`,
/// `XDG_CONFIG_HOME`, `HOME`, `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/`GIT_CONFIG_VALUE_n` and
/// `GIT_CONFIG_PARAMETERS`.
///
/// This is the only reader of configuration values in GitKit: libgit2 1.5 ignores the variables
/// above and the `hasconfig:` include condition, so its answers could differ from git's. A file
/// git could not parse, or cannot read where git would stop, is an error naming the file, never
/// an empty configuration.
struct GitConfig {
    /// Canonical key (section and name lowercased, subsection as written) → every value in the
    /// order git reads them; nil for a key written without `=` (a boolean true).
    private(set) var values: [String: [String?]] = [:]
    /// Every file git would read (or looked for and did not find), with its stamp when it was
    /// read: the configuration is read again when one of them changed (``isCurrent``).
    private(set) var consulted: [String: String] = [:]

    /// Whether no file this configuration was read from (or looked for) has changed since; false
    /// too when one cannot be looked at (reading again then reports why).
    var isCurrent: Bool {
        do {
            return try consulted.allSatisfy { try RepoFiles.stamp($0.key) == $0.value }
        } catch {
            return false
        }
    }

    /// The value git uses (the last one read): nil when the key is not set, `.some(nil)` when it
    /// is written without a value.
    func last(_ key: String) -> String?? {
        guard let name = Self.canonical(key), let all = values[name], let last = all.last else { return nil }
        return .some(last)
    }

    /// What `git config --get KEY` prints: nil when not set, "" for a key without a value.
    func string(_ key: String) -> String? { last(key).map { $0 ?? "" } }

    /// A boolean as git reads it; nil when not set. Throws for a value git rejects.
    func bool(_ key: String, file: String) throws -> Bool? {
        guard let value = last(key) else { return nil }
        guard let parsed = Self.parseBool(value) else {
            throw GitFileError(path: file, problem: "bad boolean config value '\(value ?? "")' for '\(key)'")
        }
        return parsed
    }

    /// git's booleans: no value is true; yes/on/true/1 and no/off/false/0/"" (any case), or any
    /// integer (non-zero is true); nil for anything else.
    static func parseBool(_ value: String?) -> Bool? {
        guard let value else { return true }
        switch value.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off", "": return false
        default: return Int(value).map { $0 != 0 }
        }
    }

    /// `section.Sub.name` with section and name lowercased, as git stores and looks keys up;
    /// nil for a key without a section or a name.
    static func canonical(_ key: String) -> String? {
        guard let first = key.firstIndex(of: "."), let lastDot = key.lastIndex(of: "."), first != key.startIndex,
            key.index(after: lastDot) != key.endIndex
        else { return nil }
        let section = key[..<first].lowercased()
        let name = key[key.index(after: lastDot)...].lowercased()
        if first == lastDot { return section + "." + name }
        return section + key[first...lastDot] + name
    }

    mutating func add(_ key: String, _ value: String?) { values[key, default: []].append(value) }

    // MARK: - One file

    /// The entries of one configuration file (canonical key, value) in order, without following
    /// includes; nil when the file does not exist. Throws `bad config line N` as git does.
    static func entries(ofFile path: String) throws -> [(key: String, value: String?)]? {
        guard let bytes = try RepoFiles.readBytes(path) else { return nil }
        return try parse(bytes, name: path)
    }

    /// git's configuration syntax (config.c, `git_parse_source`): sections `[name]`,
    /// `[name "subsection"]` or the old `[name.subsection]` (lowercased), keys of letters, digits
    /// and `-` starting with a letter, values with quotes, `\` escapes, line continuations and
    /// comments, whitespace runs inside a value each turned into a space.
    static func parse(_ input: [UInt8], name: String) throws -> [(key: String, value: String?)] {
        var p = Cursor(bytes: input, name: name)
        // A UTF-8 byte order mark at the start is skipped (Windows editors write one).
        if input.starts(with: [0xEF, 0xBB, 0xBF]) { p.i = 3 }
        var out: [(key: String, value: String?)] = []
        var section: [UInt8] = []  // with its trailing dot
        var comment = false
        while true {
            let c = p.next()
            if c == 0x0A {
                if p.atEnd { return out }
                comment = false
                continue
            }
            if comment || isSpace(c) { continue }
            if c == UInt8(ascii: "#") || c == UInt8(ascii: ";") {
                comment = true
                continue
            }
            if c == UInt8(ascii: "[") {
                section = try p.sectionName()
                continue
            }
            guard isAlpha(c) else { throw p.bad() }
            var key = section + [lower(c)]
            var d = p.next()
            while !p.atEnd, isKeyChar(d) {
                key.append(lower(d))
                d = p.next()
            }
            while d == 0x20 || d == 0x09 { d = p.next() }
            var value: String?
            if d != 0x0A {
                guard d == UInt8(ascii: "=") else { throw p.bad() }
                value = try p.value()
            }
            out.append((String(decoding: key, as: UTF8.self), value))
        }
    }

    /// Where the parser is in a file, with git's line numbers for its errors.
    private struct Cursor {
        let bytes: [UInt8]
        let name: String
        var i = 0
        var line = 1

        init(bytes: [UInt8], name: String) {
            self.bytes = bytes
            self.name = name
        }

        var atEnd: Bool { i > bytes.count }

        func bad() -> GitFileError { GitFileError(path: name, problem: "bad config line \(line)") }

        /// A line that ended too early: git names the line it ended (its `error_incomplete_line`).
        func incomplete() -> GitFileError { GitFileError(path: name, problem: "bad config line \(line - 1)") }

        /// The next byte, CR LF read as LF; LF at the end of the input (which counts as a line,
        /// as it does for git's line numbers).
        mutating func next() -> UInt8 {
            guard i < bytes.count else {
                i += 1
                line += 1
                return 0x0A
            }
            var c = bytes[i]
            i += 1
            if c == 0x0D, i < bytes.count, bytes[i] == 0x0A {
                c = 0x0A
                i += 1
            }
            if c == 0x0A { line += 1 }
            return c
        }

        /// A section header after its `[`: the section lowercased (the old `[section.sub]` form
        /// too), `[section "subsection"]` keeping the subsection's case, `\` quoting a byte; with
        /// a trailing dot.
        mutating func sectionName() throws -> [UInt8] {
            var section: [UInt8] = []
            var d = next()
            while !atEnd, d != UInt8(ascii: "]"), !GitConfig.isSpace(d) {
                guard GitConfig.isKeyChar(d) || d == UInt8(ascii: ".") else { throw bad() }
                section.append(GitConfig.lower(d))
                d = next()
            }
            if atEnd { throw bad() }
            if GitConfig.isSpace(d) {
                while GitConfig.isSpace(d) {
                    if d == 0x0A { throw incomplete() }
                    d = next()
                }
                guard d == UInt8(ascii: "\"") else { throw bad() }
                section.append(UInt8(ascii: "."))
                while true {
                    var s = next()
                    if s == 0x0A { throw incomplete() }
                    if s == UInt8(ascii: "\"") { break }
                    if s == UInt8(ascii: "\\") {
                        s = next()
                        if s == 0x0A { throw incomplete() }
                    }
                    section.append(s)
                }
                guard next() == UInt8(ascii: "]") else { throw bad() }
            }
            guard !section.isEmpty else { throw bad() }
            section.append(UInt8(ascii: "."))
            return section
        }

        /// A value after `=`, to the end of its line (config.c, `parse_value`).
        mutating func value() throws -> String {
            var value: [UInt8] = []
            var quoted = false
            var comment = false
            var spaces = 0
            while true {
                var c = next()
                if c == 0x0A {
                    if quoted { throw incomplete() }
                    return String(decoding: value, as: UTF8.self)
                }
                if comment { continue }
                if GitConfig.isSpace(c), !quoted {
                    if !value.isEmpty { spaces += 1 }
                    continue
                }
                if !quoted, c == UInt8(ascii: "#") || c == UInt8(ascii: ";") {
                    comment = true
                    continue
                }
                value.append(contentsOf: repeatElement(UInt8(ascii: " "), count: spaces))
                spaces = 0
                if c == UInt8(ascii: "\\") {
                    c = next()
                    switch c {
                    case 0x0A: continue  // a continued line
                    case UInt8(ascii: "t"): value.append(0x09)
                    case UInt8(ascii: "b"): value.append(0x08)
                    case UInt8(ascii: "n"): value.append(0x0A)
                    case UInt8(ascii: "\\"), UInt8(ascii: "\""): value.append(c)
                    default: throw bad()
                    }
                    continue
                }
                if c == UInt8(ascii: "\"") {
                    quoted.toggle()
                    continue
                }
                value.append(c)
            }
        }
    }

    private static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }
    private static func isAlpha(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A }
    private static func isKeyChar(_ c: UInt8) -> Bool { isAlpha(c) || (c >= 0x30 && c <= 0x39) || c == 0x2D }
    static func lower(_ c: UInt8) -> UInt8 { c >= 0x41 && c <= 0x5A ? c | 0x20 : c }
}

// MARK: - The repository's view

extension GitConfig {
    /// What reading a repository's configuration needs to know about it.
    struct Repo {
        /// This worktree's git directory and the common one, absolute, with or without a slash.
        var gitDir: String
        var commonDir: String
        /// The git directory as found, before symbolic links were resolved (git matches
        /// `includeIf "gitdir:…"` against both).
        var gitDirAsFound: String?
        var environment: [String: String]
        /// Whether the repository has `extensions.worktreeConfig`, when already known (nil: read
        /// it from the common `config`).
        var worktreeConfig: Bool?
        /// HEAD's branch when HEAD is symbolic (`onbranch:`), read only if a file asks.
        var headBranch: () throws -> String?
    }

    /// A file of the sequence and how git treats one it may not read.
    private struct Source {
        let path: String
        /// git skips a global file it may not read (`ACCESS_EACCES_OK`), and stops on any other.
        let unreadableIsAbsent: Bool
    }

    /// The configuration git reads in `repo`, every level and include.
    static func load(_ repo: Repo) throws -> GitConfig {
        var reader = Reader(repo: repo)
        try reader.readAll()
        return reader.config
    }

    /// Whether git reads `config.worktree` in this repository: `extensions.worktreeConfig` in
    /// the common `config` file itself (includes are not followed for repository format keys).
    static func usesWorktreeConfig(commonDir: String) throws -> Bool {
        let path = RepoFiles.join(commonDir, "config")
        var config = GitConfig()
        for e in try entries(ofFile: path) ?? [] { config.add(e.key, e.value) }
        return try config.bool("extensions.worktreeConfig", file: path) ?? false
    }

    /// git's `GIT_CONFIG_NOSYSTEM`-style variables: a boolean, false when unset.
    static func environmentBool(_ name: String, _ environment: [String: String]) throws -> Bool {
        guard let value = environment[name] else { return false }
        guard let parsed = parseBool(value) else {
            throw GitFileError(path: "$" + name, problem: "bad boolean environment value '\(value)'")
        }
        return parsed
    }

    private struct Reader {
        let repo: Repo
        var config = GitConfig()
        /// Collecting remote URLs for `hasconfig:remote.*.url:` (every such condition true).
        var collectingURLs = false
        var remoteURLs: [String]?
        var depth = 0
        /// Inside a file included by a condition while collecting URLs (git forbids URLs there).
        var conditional = false

        init(repo: Repo) { self.repo = repo }

        var environment: [String: String] { repo.environment }

        func sources() throws -> [Source] {
            var out: [Source] = []
            if try !environmentBool("GIT_CONFIG_NOSYSTEM", environment) {
                out.append(
                    Source(path: environment["GIT_CONFIG_SYSTEM"] ?? "/etc/gitconfig", unreadableIsAbsent: false))
            }
            if let global = environment["GIT_CONFIG_GLOBAL"] {
                out.append(Source(path: global, unreadableIsAbsent: true))
            } else {
                let home = environment["HOME"]
                if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty {
                    out.append(Source(path: xdg + "/git/config", unreadableIsAbsent: true))
                } else if let home {
                    out.append(Source(path: home + "/.config/git/config", unreadableIsAbsent: true))
                }
                if let home { out.append(Source(path: home + "/.gitconfig", unreadableIsAbsent: true)) }
            }
            out.append(Source(path: RepoFiles.join(repo.commonDir, "config"), unreadableIsAbsent: false))
            if try repo.worktreeConfig ?? usesWorktreeConfig(commonDir: repo.commonDir) {
                out.append(Source(path: RepoFiles.join(repo.gitDir, "config.worktree"), unreadableIsAbsent: false))
            }
            return out
        }

        mutating func readAll() throws {
            let common = RepoFiles.join(repo.commonDir, "config")
            config.consulted[common] = try RepoFiles.stamp(common)
            for source in try sources()
            where try accessible(source.path, unreadableIsAbsent: source.unreadableIsAbsent) {
                try read(file: source.path)
            }
            for (key, value) in try commandLine() { try take(key, value, from: nil) }
        }

        /// Whether git reads the file: it skips one that does not exist (and, for a global
        /// file, one it may not read); any other failure stops it. Notes its stamp first.
        mutating func accessible(_ path: String, unreadableIsAbsent: Bool) throws -> Bool {
            if path.isEmpty { return false }
            // A character device (git's documented `GIT_CONFIG_GLOBAL=/dev/null`) reads as an
            // empty file. Its times move with every write to it, so its stamp is fixed.
            var st = stat()
            if stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFCHR {
                config.consulted[path] = "character device"
                return false
            }
            do {
                config.consulted[path] = try RepoFiles.stamp(path)
            } catch {
                guard unreadableIsAbsent else { throw error }
                config.consulted[path] = "?"  // cannot be looked at: read again next time
            }
            if access(path, R_OK) == 0 { return true }
            let code = errno
            if code == ENOENT || code == ENOTDIR || (code == EACCES && unreadableIsAbsent) { return false }
            throw GitFileError(path: path, problem: "cannot read: " + String(cString: strerror(code)))
        }

        mutating func read(file path: String) throws {
            guard let entries = try GitConfig.entries(ofFile: path) else { return }
            for (key, value) in entries { try take(key, value, from: path) }
        }

        /// One entry: recorded, then followed when it is an include (git passes includes on as
        /// values too).
        mutating func take(_ key: String, _ value: String?, from file: String?) throws {
            if collectingURLs {
                if key.hasPrefix("remote."), key.hasSuffix(".url"), key.count > 11 {
                    if conditional {
                        throw GitFileError(
                            path: file ?? "the command line",
                            problem:
                                "remote URLs cannot be configured in file directly or indirectly included by includeIf.hasconfig:remote.*.url"
                        )
                    }
                    remoteURLs?.append(value ?? "")
                }
            } else {
                config.add(key, value)
            }
            if key == "include.path" {
                try include(value, from: file, conditional: false)
            } else if key.hasPrefix("includeif."), key.hasSuffix(".path"), key.count > 15 {
                let condition = String(key.dropFirst(10).dropLast(5))
                if try holds(condition, from: file) { try include(value, from: file, conditional: true) }
            }
        }

        mutating func include(_ value: String?, from file: String?, conditional: Bool) throws {
            let origin = file ?? "the command line"
            guard let value else { throw GitFileError(path: origin, problem: "missing value for 'include.path'") }
            guard var path = expandHome(value, real: false) else {
                throw GitFileError(path: origin, problem: "could not expand include path '\(value)'")
            }
            if !path.hasPrefix("/") {
                guard let file else {
                    throw GitFileError(path: origin, problem: "relative config includes must come from files")
                }
                path = (file.lastIndex(of: "/").map { String(file[...$0]) } ?? "") + path
            }
            guard try accessible(path, unreadableIsAbsent: false) else { return }
            guard depth < 10 else {
                throw GitFileError(
                    path: path, problem: "exceeded maximum include depth (10) while including it from \(origin)")
            }
            depth += 1
            let outer = self.conditional
            if conditional && collectingURLs { self.conditional = true }
            defer {
                depth -= 1
                self.conditional = outer
            }
            try read(file: path)
        }

        /// `~/…` and `~user/…` as git expands them; nil when the home directory is unknown.
        func expandHome(_ path: String, real: Bool) -> String? {
            guard path.hasPrefix("~") else { return path }
            let rest = path.dropFirst()
            let user = rest.prefix { $0 != "/" }
            var home: String?
            if user.isEmpty {
                home = environment["HOME"]
                if real, let h = home { home = RepoFiles.realPath(h) ?? h }
            } else if let entry = getpwnam(String(user)), let dir = entry.pointee.pw_dir {
                home = String(cString: dir)
            }
            guard let home else { return nil }
            return home + rest.dropFirst(user.count)
        }

        /// Whether an `includeIf` condition holds (config.c, `include_condition_is_true`).
        mutating func holds(_ condition: String, from file: String?) throws -> Bool {
            if condition.hasPrefix("gitdir:") {
                return try gitDirMatches(String(condition.dropFirst(7)), from: file, ignoringCase: false)
            }
            if condition.hasPrefix("gitdir/i:") {
                return try gitDirMatches(String(condition.dropFirst(9)), from: file, ignoringCase: true)
            }
            if condition.hasPrefix("onbranch:") {
                guard let branch = try repo.headBranch() else { return false }
                var pattern = String(condition.dropFirst(9))
                if pattern.hasSuffix("/") { pattern += "**" }
                return Wildmatch.matches(pattern, branch)
            }
            if condition.hasPrefix("hasconfig:remote.*.url:") {
                if collectingURLs { return true }
                let pattern = String(condition.dropFirst(23))
                return try urls().contains { Wildmatch.matches(pattern, $0) }
            }
            return false  // git: an unknown condition is false
        }

        /// Every `remote.*.url` of the whole configuration, read once with every `hasconfig:`
        /// condition taken as true (git's `populate_remote_urls`).
        mutating func urls() throws -> [String] {
            if let remoteURLs { return remoteURLs }
            var collector = Reader(repo: repo)
            collector.collectingURLs = true
            collector.remoteURLs = []
            try collector.readAll()
            remoteURLs = collector.remoteURLs ?? []
            return remoteURLs ?? []
        }

        /// `gitdir:` and `gitdir/i:` (config.c, `include_by_gitdir`): the pattern made absolute
        /// (`./` is the including file's directory, `~/` the home, anything else may start
        /// anywhere), a trailing `/` matching everything below; matched against the git
        /// directory's real path, then against the path as found.
        func gitDirMatches(_ condition: String, from file: String?, ignoringCase: Bool) throws -> Bool {
            var pattern = expandHome(condition, real: true) ?? condition
            var prefix = 0
            if pattern.hasPrefix("./") {
                guard let file else {
                    throw GitFileError(
                        path: "the command line", problem: "relative config include conditionals must come from files")
                }
                let real = RepoFiles.realPath(file) ?? file
                let dir = real.lastIndex(of: "/").map { String(real[..<$0]) } ?? ""
                pattern = dir + pattern.dropFirst()
                prefix = dir.utf8.count + 1
            } else if !pattern.hasPrefix("/") {
                pattern = "**/" + pattern
            }
            if pattern.hasSuffix("/") { pattern += "**" }
            let trimmed = { (p: String) in p.count > 1 && p.hasSuffix("/") ? String(p.dropLast()) : p }
            let real = trimmed(RepoFiles.realPath(repo.gitDir) ?? repo.gitDir)
            for text in [real, trimmed(repo.gitDirAsFound ?? real)] {
                let p = Array(pattern.utf8)
                let t = Array(text.utf8)
                guard t.count >= prefix else { continue }
                let head = { (b: ArraySlice<UInt8>) in ignoringCase ? b.map(GitConfig.lower) : Array(b) }
                if prefix > 0, head(p[..<prefix]) != head(t[..<prefix]) { continue }
                if Wildmatch.matches(
                    String(decoding: p[prefix...], as: UTF8.self), String(decoding: t[prefix...], as: UTF8.self),
                    ignoringCase: ignoringCase)
                {
                    return true
                }
            }
            return false
        }

        /// The command line's settings git passes to hooks: `GIT_CONFIG_COUNT` pairs, then
        /// `GIT_CONFIG_PARAMETERS` (`'key'='value'`, `'key'` or the old `'key=value'`).
        func commandLine() throws -> [(String, String?)] {
            var out: [(String, String?)] = []
            func canonicalKey(_ raw: String, _ origin: String) throws -> String {
                guard let key = canonical(raw), !raw.contains("\n") else {
                    throw GitFileError(path: origin, problem: "invalid key: \(raw)")
                }
                return key
            }
            if let countText = environment["GIT_CONFIG_COUNT"] {
                guard let count = Int(countText), count >= 0 else {
                    throw GitFileError(path: "$GIT_CONFIG_COUNT", problem: "bogus count '\(countText)'")
                }
                for n in 0..<count {
                    guard let key = environment["GIT_CONFIG_KEY_\(n)"] else {
                        throw GitFileError(path: "$GIT_CONFIG_KEY_\(n)", problem: "missing config key")
                    }
                    guard let value = environment["GIT_CONFIG_VALUE_\(n)"] else {
                        throw GitFileError(path: "$GIT_CONFIG_VALUE_\(n)", problem: "missing config value")
                    }
                    out.append((try canonicalKey(key, "$GIT_CONFIG_KEY_\(n)"), value))
                }
            }
            if let text = environment["GIT_CONFIG_PARAMETERS"] {
                let origin = "$GIT_CONFIG_PARAMETERS"
                let bogus = GitFileError(path: origin, problem: "bogus format")
                var s = Substring(text)
                while !s.isEmpty {
                    guard let (key, rest) = Self.singleQuoted(s) else { throw bogus }
                    s = rest
                    if s.isEmpty || s.first?.isWhitespace == true {
                        // The old form: 'key=value', or 'key' alone (a boolean true).
                        if let eq = key.firstIndex(of: "=") {
                            out.append(
                                (try canonicalKey(String(key[..<eq]), origin), String(key[key.index(after: eq)...])))
                        } else {
                            out.append((try canonicalKey(key, origin), nil))
                        }
                    } else if s.first == "=" {
                        s = s.dropFirst()
                        if s.first == "'" {
                            guard let (value, rest) = Self.singleQuoted(s),
                                rest.isEmpty || rest.first?.isWhitespace == true
                            else { throw bogus }
                            out.append((try canonicalKey(key, origin), value))
                            s = rest
                        } else if s.isEmpty || s.first?.isWhitespace == true {
                            out.append((try canonicalKey(key, origin), nil))
                        } else {
                            throw bogus
                        }
                    } else {
                        throw bogus
                    }
                    s = s.drop { $0.isWhitespace }
                }
            }
            return out
        }

        /// One shell single-quoted word (git's `sq_dequote_step`): `'…'`, where `'\''` and
        /// `'\!'` put a quote or `!` in; the word and what follows it.
        static func singleQuoted(_ s: Substring) -> (String, Substring)? {
            guard s.first == "'" else { return nil }
            var out = ""
            var i = s.index(after: s.startIndex)
            while true {
                guard i < s.endIndex else { return nil }
                let c = s[i]
                i = s.index(after: i)
                if c != "'" {
                    out.append(c)
                    continue
                }
                // Out of the quotes: `\'` or `\!` followed by a new quote continues the word.
                let rest = s[i...]
                if rest.count >= 3, rest.first == "\\", let quoted = rest.dropFirst().first,
                    quoted == "'" || quoted == "!",
                    rest.dropFirst(2).first == "'"
                {
                    out.append(quoted)
                    i = s.index(i, offsetBy: 3)
                    continue
                }
                return (out, rest)
            }
        }
    }
}
