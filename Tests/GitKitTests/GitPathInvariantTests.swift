import Foundation
import Testing

/// Every git path comes from GitKit (docs/ARCHITECTURE.md, invariant 4): in a linked worktree
/// some of git's files live in the worktree's own git directory and some in the shared one, and
/// only GitKit knows which (`Repository.path(of:)`, `fetchHeadFiles()`, `gitDir`, `commonDir`).
/// This test reads every source file outside GitKit and fails, naming the file and line, on a
/// string literal that names one of git's files or directories.
///
/// An entry in ``allowed`` is an exception with its reason; an entry that no longer matches any
/// line fails too, so the list only shrinks.
@Suite struct GitPathInvariantTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Names of git's files, matched as a whole literal or as a component of a path in one.
    static let files = [
        "FETCH_HEAD", "ORIG_HEAD", "MERGE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD", "BISECT_LOG", "packed-refs",
        "commondir", "gitdir", "rebase-merge", "rebase-apply", "config.worktree", "shallow", "index.lock",
    ]

    /// Paths inside a git directory, matched anywhere in a literal.
    static let paths = [
        "refs/", "logs/", "worktrees/", "info/attributes", "info/exclude", "objects/", ".git/", "/HEAD", "hooks/",
    ]

    /// Exceptions: (file, text of the literal, why it stays).
    static let allowed: [(file: String, literal: String, reason: String)] = [
        (
            "Sources/codex-state/MergeCommands.swift", "to the state file; check .git/info/attributes",
            "a hint in a warning, naming the file for the reader to open; no path is built from it"
        )
    ]

    /// The string literals on each line of a Swift file (one line of a multi-line literal counts
    /// as one literal), with comments left out.
    static func literals(_ text: String) -> [(line: Int, literal: String)] {
        var out: [(Int, String)] = []
        var inBlock = false
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("\"\"\"") || line.hasSuffix("\"\"\"") {
                let opening = !inBlock
                inBlock.toggle()
                if opening || line.hasPrefix("\"\"\"") { continue }
            }
            if inBlock {
                out.append((n + 1, line))
                continue
            }
            if line.hasPrefix("//") { continue }
            for match in line.matches(of: #/"((?:[^"\\]|\\.)*)"/#) { out.append((n + 1, String(match.1))) }
        }
        return out
    }

    static func namesGitPath(_ literal: String) -> Bool {
        let components = literal.split(separator: "/").map(String.init)
        return files.contains { name in components.contains(name) } || paths.contains { literal.contains($0) }
    }

    @Test func noGitPathIsBuiltOutsideGitKit() throws {
        let fm = FileManager.default
        let sources = Self.root.appendingPathComponent("Sources").path
        var found: [String] = []
        var used = Set<Int>()
        for case let relative as String in fm.enumerator(atPath: sources)! where relative.hasSuffix(".swift") {
            if relative.hasPrefix("GitKit/") || relative.hasPrefix("CLibGit2") { continue }
            let file = "Sources/" + relative
            let text = try String(contentsOfFile: sources + "/" + relative, encoding: .utf8)
            for (line, literal) in Self.literals(text) where Self.namesGitPath(literal) {
                if let i = Self.allowed.firstIndex(where: { $0.file == file && literal.contains($0.literal) }) {
                    used.insert(i)
                    continue
                }
                found.append("\(file):\(line): \"\(literal)\"")
            }
        }
        #expect(
            found.isEmpty,
            "git paths built outside GitKit (use Repository.path(of:)):\n\(found.joined(separator: "\n"))")
        for (i, entry) in Self.allowed.enumerated() where !used.contains(i) {
            Issue.record("allowed entry no longer needed: \(entry.file): \(entry.literal)")
        }
    }

    /// The detector itself: what it must catch and what it must leave alone.
    @Test func theDetectorSeesPathsNotProse() {
        for literal in [
            "FETCH_HEAD", "refs/heads/", ".git/info/attributes", "logs/HEAD", "worktrees/x/gitdir", "shallow",
        ] {
            #expect(Self.namesGitPath(literal), "\(literal)")
        }
        for literal in ["detached HEAD", "HEAD", "shallow clone", "codex-state", "fetch full history"] {
            #expect(!Self.namesGitPath(literal), "\(literal)")
        }
        let sample = """
            let a = "FETCH_HEAD"
            // "refs/heads/" in a comment
            let b = join(dir, "packed-refs") + "x\\"y"
            """
        #expect(Self.literals(sample).map(\.literal) == ["FETCH_HEAD", "packed-refs", "x\\\"y"])
    }
}
