import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Hostile input and faults (issue 9): a committed file, an extreme option or a crash never
/// loses data, never takes the tool out of the repository, and never makes git wait.
@Suite struct HostileInputTests {
    struct World {
        let s: Sandbox
        let repo: String
        let a: String
        var file: String { repo + "/.codex-state/project_state.json" }
    }

    func world() throws -> World {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        let a = try s.ok("task", "add", "A", in: repo)
        return World(s: s, repo: repo, a: a)
    }

    /// Expects failure with one stderr line holding every `mentions`, and an unchanged file.
    func refuses(
        _ w: World, _ args: [String], mentions: [String], env: [String: String] = [:],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let before = w.s.bytes(w.file)
        let r = try w.s.run(Sandbox.binary, args, in: w.repo, env: env)
        #expect(r.status != 0, "\(args): exit 0, stdout \(r.stdout)", sourceLocation: sourceLocation)
        #expect(r.status < 128, "\(args): crashed (\(r.status)): \(r.stderr)", sourceLocation: sourceLocation)
        #expect(
            r.stderr.split(separator: "\n").count == 1, "\(args): stderr \(r.stderr)", sourceLocation: sourceLocation)
        for m in mentions {
            #expect(r.stderr.contains(m), "\(args): '\(m)' not in \(r.stderr)", sourceLocation: sourceLocation)
        }
        #expect(w.s.bytes(w.file) == before, "\(args) changed the state file", sourceLocation: sourceLocation)
    }

    // MARK: - 1. Duplicate task keys

    @Test func duplicateTaskKeyIsRefusedByReadsAndWritesNamingBothLines() throws {
        let w = try world()
        let b = try w.s.ok("task", "add", "B", in: w.repo)
        // What a text merge without the driver leaves: task B twice, the second copy edited.
        var text = try w.s.read(w.file)
        let start = try #require(text.range(of: "    \"\(b)\": {"))
        let end = try #require(text.range(of: "\n    }", range: start.upperBound..<text.endIndex))
        let block = String(text[start.lowerBound..<end.upperBound])
        let edited = block.replacingOccurrences(of: "\"title\": \"B\"", with: "\"title\": \"B edited\"")
        text.replaceSubrange(start.lowerBound..<end.upperBound, with: block + ",\n" + edited)
        try w.s.write(w.file, text)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let duplicateLines = lines.indices.filter { lines[$0].hasPrefix("    \"\(b)\": {") }.map { "\($0 + 1)" }
        #expect(duplicateLines.count == 2)
        try w.s.run("rm", ["-f", w.repo + "/.git/codex-state/index.sqlite"], in: w.repo)
        for args in [["tasks"], ["task", "show", b], ["task", "add", "C"], ["complete", w.a], ["next"]] {
            try refuses(w, args, mentions: ["project_state.json", b, "twice"] + duplicateLines)
        }
        let check = try w.s.cs("check", "--json", in: w.repo)
        #expect(!check.ok)
        #expect(check.stdout.contains("CS020"))
    }

    // MARK: - 2. Times the tool cannot read back

    @Test func leasesAreBoundedAndEveryWrittenTimeReadsBack() throws {
        let w = try world()
        try refuses(w, ["next", "--claim", "--lease", "5000000000"], mentions: ["--lease", "43200"])
        try refuses(w, ["next", "--claim", "--lease", "9223372036854775807"], mentions: ["--lease"])
        try refuses(w, ["next", "--claim", "--lease", "0"], mentions: ["--lease"])
        // The last hour of year 9999: the claim ends at the last writable second, and both the
        // index and a fresh parse read it back.
        let late = ["CODEX_STATE_NOW": "9999-12-31T23:00:00Z"]
        let claim = try w.s.cs("next", "--claim", "--lease", "43200", in: w.repo, env: late)
        #expect(claim.ok, "\(claim.stderr)")
        #expect(try w.s.read(w.file).contains("9999-12-31T23:59:59Z"))
        try w.s.run("rm", ["-f", w.repo + "/.git/codex-state/index.sqlite"], in: w.repo)
        #expect(try w.s.cs("tasks", in: w.repo, env: late).ok)
        let add = try w.s.cs("task", "add", "after", in: w.repo, env: late)
        #expect(add.ok, "\(add.stderr)")
    }

    // MARK: - 3. Journal gap

    @Test func aCrashBetweenStateAndJournalIsRecoveredOnTheNextRun() throws {
        let w = try world()
        let crashed = try w.s.cs("task", "add", "lost?", in: w.repo, env: ["CODEX_STATE_FAULT": "after-state-write"])
        #expect(crashed.status == 137)
        #expect(try w.s.read(w.file).contains("lost?"))
        let log = try w.s.ok("log", "--json", in: w.repo)
        #expect(log.contains("task add lost?"), "the crashed write is missing from the log: \(log)")
        // Recovered once, not again by the next write.
        try w.s.ok("task", "add", "next", in: w.repo)
        let again = try w.s.ok("log", "--json", "-n", "100", in: w.repo)
        #expect(again.components(separatedBy: "task add lost?").count == 2)
        #expect(!FileManager.default.fileExists(atPath: w.repo + "/.git/codex-state/journal-pending.json"))
    }

    @Test func aCrashedWriteIsRecoveredByTheNextWrite() throws {
        let w = try world()
        _ = try w.s.cs("task", "add", "first", in: w.repo, env: ["CODEX_STATE_FAULT": "after-state-write"])
        try w.s.ok("task", "add", "second", in: w.repo)
        let log = try w.s.ok("log", in: w.repo)
        #expect(log.contains("task add first"))
        #expect(log.contains("task add second"))
    }

    // MARK: - 4. Committed symlinks

    @Test func aStateDirectoryLinkedOutOfTheTreeIsNeverFollowed() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        let outside = s.path("outside")
        try s.write(outside + "/stray", "keep me\n")
        try FileManager.default.createSymbolicLink(atPath: repo + "/.codex-state", withDestinationPath: outside)
        try s.git("add", ".codex-state", in: repo)
        try s.git("commit", "-q", "-m", "link", in: repo)
        for args in [["init"], ["task", "add", "x"], ["session", "end"], ["tasks"]] {
            let r = try s.run(Sandbox.binary, args, in: repo)
            #expect(!r.ok, "\(args) succeeded")
            #expect(r.stderr.contains(".codex-state is a symbolic link"), "\(args): \(r.stderr)")
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: outside)
        #expect(left == ["stray"])
        #expect(try s.read(outside + "/stray") == "keep me\n")
    }

    @Test func aLinkedGitattributesIsNotCopiedIntoTheRepository() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.write(s.path("secret"), "private key material\n")
        try FileManager.default.createSymbolicLink(
            atPath: repo + "/.gitattributes", withDestinationPath: s.path("secret"))
        let r = try s.run(Sandbox.binary, ["init", "--no-hooks"], in: repo)
        #expect(!r.ok)
        #expect(r.stderr.contains(".gitattributes is a symbolic link"), "\(r.stderr)")
        let st = try FileManager.default.attributesOfItem(atPath: repo + "/.gitattributes")
        #expect(st[.type] as? FileAttributeType == .typeSymbolicLink)
        #expect(try s.read(s.path("secret")) == "private key material\n")
    }

    @Test func stateAndSessionFilesLinkedToDevicesAreRefusedNotRead() throws {
        let w = try world()
        try w.s.ok("session", "start", in: w.repo)
        try w.s.ok("session", "end", in: w.repo)
        let sessions = w.repo + "/.codex-state/sessions"
        let session = try #require(
            try FileManager.default.contentsOfDirectory(atPath: sessions).first { $0.hasSuffix(".json") })
        try FileManager.default.removeItem(atPath: sessions + "/" + session)
        try FileManager.default.createSymbolicLink(atPath: sessions + "/" + session, withDestinationPath: "/dev/zero")
        let list = try w.s.cs("session", "show", session, in: w.repo)
        #expect(!list.ok)
        #expect(list.stderr.contains("symbolic link"), "\(list.stderr)")
        try FileManager.default.removeItem(atPath: w.file)
        try FileManager.default.createSymbolicLink(atPath: w.file, withDestinationPath: "/dev/zero")
        for args in [["tasks"], ["task", "add", "x"], ["preamble"]] {
            let r = try w.s.run(Sandbox.binary, args, in: w.repo)
            #expect(!r.ok, "\(args) succeeded")
            #expect(r.status < 128, "\(args) crashed: \(r.status)")
            #expect(r.stderr.contains("project_state.json is a symbolic link"), "\(args): \(r.stderr)")
        }
        let hook = try w.s.run(Sandbox.binary, ["hook", "post-checkout", "0", "0", "1"], in: w.repo)
        #expect(hook.ok)
        #expect(hook.stderr.contains("symbolic link"), "\(hook.stderr)")
    }
}
