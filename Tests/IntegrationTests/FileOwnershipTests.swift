import Foundation
import Testing

/// The store owns every byte the tool writes (docs/ARCHITECTURE.md, "The store owns every
/// file"): state, sessions, journal, rewrite map, index, locks, the open-session file, the
/// pending journal record, hook shims, the merge driver's output, Codex installs, the skill file.
/// Nothing outside `Sources/StateStore` calls the file system itself: this test reads every other
/// source file and fails, naming the file and line, on any call that writes, opens, lists or
/// locks a file, or opens a SQLite database.
///
/// Reads go through the store's `Files.read` / `Files.stamp` / `Files.list` (which refuse
/// symbolic links and bound the size) and may be called from above it: they decide nothing about
/// what is on disk. Raw reads (`open`, `FileManager`, `FileHandle`, `contentsOfFile`) are flagged
/// like writes. GitKit is scanned too: it reaches git's files through libgit2, and reads git's
/// commit-graph itself (allowed below, with its reason).
///
/// An entry in ``allowed`` is an exception that cannot move into the store, with its reason; an
/// entry that no longer matches any line fails too, so the list only shrinks.
@Suite struct FileOwnershipTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// What counts as touching the file system, each with the name shown in a failure.
    static let rules: [(name: String, pattern: String)] = [
        (
            "a file-system system call",
            #"(?<![\w.])(rename|renameat|unlink|unlinkat|link|linkat|symlink|symlinkat|mkdir|mkdirat|rmdir|chmod|fchmod|chown|truncate|ftruncate|creat|fopen|fdopen|mkstemp|mkdtemp|open|openat|opendir|readdir|readlink|flock|fsync)\((?!\))"#
        ),
        ("a writing open flag", #"\bO_(WRONLY|RDWR|CREAT|APPEND|TRUNC)\b"#),
        ("FileManager", #"\bFileManager\.default\.(?!currentDirectoryPath\b)|\bFileManager\(\)"#),
        ("a Foundation file write", #"\.write\(to:|\bwrite\(toFile:|\bwrite\(to: *URL"#),
        ("a FileHandle on a file", #"\bFileHandle\(for(Writing|Updating|Reading)"#),
        ("a Foundation file read", #"contentsOfFile:|\bData\(contentsOf:|\bString\(contentsOf:"#),
        ("a SQLite database opened", #"\b(DatabaseQueue|DatabasePool)\s*\("#),
        (
            "an index opened by path (use the store's openIndex / openMemoryIndex)",
            #"\b(StateIndex|MemoryIndex)\(path:"#
        ),
        ("a lock taken on a file", #"\bFileLock\s*\("#),
        // Every write takes the worktree lock through Workspace.writeLock (it also finishes a
        // crashed write's journaling), and every journal record goes through the store.
        ("the worktree lock taken outside Workspace.writeLock", #"\bstore\.lock\("#),
        ("a journal record appended outside the store", #"\bJournal\(path:[^)]*\)\.append\("#),
        (
            "a store write primitive",
            #"\b(Files|StoreFiles)\.(writeAtomically|move|remove|makeDirectory|appendLine|removeStaleTemporaries)\s*\("#
        ),
    ]

    /// Exceptions: (file, text on the line, why it stays).
    static let allowed: [(file: String, line: String, reason: String)] = [
        (
            "Sources/Workspace/WriteLock.swift", "let lock = try store.lock(",
            "the one place Workspace takes the worktree lock: every write comes through writeLock"
        ),
        (
            "Sources/GitKit/CommitGraph.swift", "let fd = open(path, O_RDONLY | O_CLOEXEC)",
            "reads git's own commit-graph file (libgit2 1.5 ignores it); GitKit owns git's files, read-only"
        ),
        (
            "Sources/GitKit/RepoFiles.swift", "let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)",
            "reads git's own HEAD, references, worktree records and config as git does, so a warm read needs no libgit2; read-only"
        ),
        (
            "Sources/GitKit/RepoFiles.swift", "guard let dir = opendir(path) else {",
            "lists git's loose references and worktree records (as git does); read-only"
        ),
        (
            "Sources/GitKit/RepoFiles.swift", "guard let entry = readdir(dir) else {",
            "lists git's loose references and worktree records (as git does); read-only"
        ),
        (
            "Sources/GitKit/RepoFiles.swift", "let n = readlink(path, &buffer, 4096)",
            "git reads a symbolic link among its references (HEAD -> refs/heads/main) as a symbolic reference; read-only"
        ),
        (
            "Sources/Workspace/Codex/RolloutReader.swift", "fd = open(path, O_RDONLY | O_CLOEXEC)",
            "streams Codex's own rollout files (read-only, zstd), which are Codex's, never written"
        ),
        (
            "Sources/Embeddings/MappedFile.swift", "let fd = open(path, O_RDONLY | O_CLOEXEC)",
            "maps the user's semantic model read-only (90 MB of weights: mapped, a query reads only the pages it uses); never written"
        ),
        (
            "Sources/codex-state/HookCommands.swift", "readlink(\"/proc/self/exe\"",
            "the running binary's own path, for the hook shim: the process, not a file the tool owns"
        ),
        (
            "Sources/codex-state/CodexState.swift", "FileManager.default.changeCurrentDirectoryPath(dir)",
            "-C DIR changes the process's working directory, as git does; no file is touched"
        ),
        (
            "Sources/codex-state/CodexState.swift", "FileManager.default.fileExists(atPath: dir)",
            "explains why -C DIR failed (no such directory or not one); a read after the failure"
        ),
        (
            "Sources/Workspace/Codex/CodexDoctor.swift", "String(contentsOfFile: paths.config",
            "doctor reads Codex's config.toml as Codex does, through a link a dotfile manager made (Files.read refuses links); read-only"
        ),
        (
            "Sources/Workspace/Codex/CodexDoctor.swift", "FileManager.default.contents(atPath: file)",
            "doctor reads Codex's hooks files as Codex does, through links; read-only"
        ),
        (
            "Sources/Workspace/Codex/CodexDoctor.swift", "String(contentsOfFile: serverFile",
            "doctor reads the MCP server entry Codex would run, through links; read-only"
        ),
        (
            "Sources/Workspace/Codex/CodexDoctor.swift", "FileManager.default.isExecutableFile(atPath: cmd)",
            "doctor asks whether the command Codex would run is executable; a permission read"
        ),
        (
            "Sources/Workspace/Codex/CodexDoctor.swift",
            "!FileManager.default.isExecutableFile(atPath: mcpServerBinary(beside: cmd))",
            "doctor asks whether the MCP server binary beside that command is executable; a permission read"
        ),
        (
            "Sources/Workspace/Codex/CodexImport.swift", "FileManager.default.enumerator(atPath: root)",
            "import lists Codex's rollout folders (Codex's files, read-only, never written)"
        ),
    ]

    struct Hit: CustomStringConvertible {
        var file: String
        var line: Int
        var rule: String
        var text: String
        var description: String { "\(file):\(line): \(rule): \(text)" }
    }

    static func scan() throws -> [Hit] {
        let sources = root.appendingPathComponent("Sources")
        let regexes = try rules.map { (name: $0.name, regex: try NSRegularExpression(pattern: $0.pattern)) }
        let declaration = try NSRegularExpression(pattern: #"\bfunc\s+\w+"#)
        var hits: [Hit] = []
        let files = FileManager.default.enumerator(atPath: sources.path)?.compactMap { $0 as? String } ?? []
        for relative in files.sorted() where relative.hasSuffix(".swift") && !relative.hasPrefix("StateStore/") {
            let file = "Sources/" + relative
            let text = try String(contentsOf: sources.appendingPathComponent(relative), encoding: .utf8)
            for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let line = raw.trimmingCharacters(in: .whitespaces)
                if line.hasPrefix("//") { continue }
                // A declaration's own name (`static func open(bare:)`) is not a call; a call in
                // the same line still is.
                let code = declaration.stringByReplacingMatches(
                    in: line, range: NSRange(line.startIndex..., in: line), withTemplate: "func _")
                let range = NSRange(code.startIndex..., in: code)
                for r in regexes where r.regex.firstMatch(in: code, range: range) != nil {
                    hits.append(Hit(file: file, line: n + 1, rule: r.name, text: line))
                }
            }
        }
        return hits
    }

    @Test func nothingOutsideTheStoreTouchesTheFileSystem() throws {
        let hits = try Self.scan()
        #expect(!hits.isEmpty || Self.allowed.isEmpty, "the scan found no source files under \(Self.root.path)")
        let unexpected = hits.filter { hit in
            !Self.allowed.contains { hit.file == $0.file && hit.text.contains($0.line) }
        }
        #expect(
            unexpected.isEmpty,
            "file-system calls outside Sources/StateStore (give the store a named API for each):\n\(unexpected.map(\.description).joined(separator: "\n"))"
        )
        for entry in Self.allowed where !hits.contains(where: { $0.file == entry.file && $0.text.contains(entry.line) })
        {
            Issue.record("\(entry.file): the allowed call \"\(entry.line)\" is gone; remove it from the allow-list")
        }
    }

    /// The store's file handling uses Linux calls (Glibc, `st_mtim`): the package claims no other
    /// platform (README says so), rather than a macOS it was never built on.
    @Test func thePackageClaimsNoPlatformItIsNotBuiltOn() throws {
        let manifest = try String(contentsOf: Self.root.appendingPathComponent("Package.swift"), encoding: .utf8)
        #expect(
            !manifest.contains(".macOS("), "Package.swift claims macOS; Sources/StateStore/Files.swift is Linux-only")
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("tested on Linux only"))
    }
}
