import Foundation
import Testing

/// `import` and `export` through the binary, with the hand-made fixtures of each format
/// (Tests/InterchangeTests/Fixtures, written from each format's documentation and sources).
@Suite struct InterchangeCommandTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("InterchangeTests/Fixtures").path

    func fixture(_ name: String) -> String { Self.fixtures + "/" + name }

    func initialised(_ s: Sandbox, _ name: String = "repo") throws -> String {
        let dir = try s.repo(name)
        try s.ok("init", in: dir)
        return dir
    }

    func journalCount(_ s: Sandbox, _ dir: String) throws -> Int {
        let text = try s.ok("log", "--json", in: dir)
        return (try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [Any])?.count ?? -1
    }

    @Test func beadsImportIsOneTransactionThatUndoTakesBack() throws {
        let s = try Sandbox()
        let dir = try initialised(s)
        let before = s.bytes(dir + "/.codex-state/project_state.json")
        let ops = try journalCount(s, dir)
        let r = try s.cs("import", "beads", fixture("beads.jsonl"), in: dir)
        #expect(r.ok, "\(r.stderr)")
        #expect(r.stdout.contains("imported tasks from beads"))
        #expect(r.stdout.contains("11 added, 0 updated, 2 skipped, 0 refused"))
        #expect(r.stdout.contains("added    t-"))
        #expect(r.stdout.contains("skipped  1 record(s): ephemeral (a wisp)"))
        #expect(r.stderr.contains("unknown beads field 'custom_team_field'"))
        #expect(try journalCount(s, dir) == ops + 1)
        let listed = s.json(try s.ok("tasks", "--all", "--json", in: dir))
        #expect((listed["tasks"] as? [Any])?.count == 11)
        // task show names the source.
        let grammar = ((listed["tasks"] as? [[String: Any]]) ?? []).first { $0["title"] as? String == "Grammar" }
        let shown = try s.ok("task", "show", grammar?["id"] as? String ?? "", "--json", in: dir)
        #expect(shown.contains("beads:bd-3"))
        let text = try s.ok("task", "show", grammar?["id"] as? String ?? "", in: dir)
        #expect(text.contains("source:     beads:bd-3, imported 2026-01-15T09:00:00Z by tester"))
        #expect(text.contains("from beads:bd-3:"))
        #expect(text.contains("  design: Pratt parser with a precedence table."))
        #expect(text.contains("  assignee: carol"))
        // Again: everything skipped, nothing written, no journal record.
        let again = s.json(try s.ok("import", "beads", fixture("beads.jsonl"), "--json", in: dir))
        #expect((again["counts"] as? [String: Int]) == ["added": 0, "updated": 0, "skipped": 13, "refused": 0])
        #expect(try journalCount(s, dir) == ops + 1)
        try s.ok("undo", in: dir)
        #expect(s.bytes(dir + "/.codex-state/project_state.json") == before)
    }

    @Test func jsonShapeAndDryRun() throws {
        let s = try Sandbox()
        let dir = try initialised(s)
        let before = s.bytes(dir + "/.codex-state/project_state.json")
        let j = s.json(try s.ok("import", "beads", fixture("beads.jsonl"), "--json", "--dry-run", in: dir))
        #expect(j["format"] as? String == "beads")
        #expect(j["dry_run"] as? Bool == true)
        let items = j["items"] as? [[String: Any]] ?? []
        #expect(items.count == 13)
        let first = items.first ?? [:]
        #expect(Set(first.keys) == ["origin", "source", "outcome", "id", "detail"])
        #expect((j["warnings"] as? [String])?.isEmpty == false)
        #expect(s.bytes(dir + "/.codex-state/project_state.json") == before)
    }

    @Test func standardInput() throws {
        let s = try Sandbox()
        let dir = try initialised(s)
        let text = try s.read(fixture("beads.jsonl"))
        let r = try s.run(Sandbox.binary, ["import", "beads", "-"], in: dir, stdin: text)
        #expect(r.ok, "\(r.stderr)")
        #expect(r.stdout.contains("<stdin>:1"))
    }

    /// Every kind of bad input: one line per problem naming the record, exit 1, nothing written.
    @Test func badInputWritesNothing() throws {
        let s = try Sandbox()
        let dir = try initialised(s)
        let before = s.bytes(dir + "/.codex-state/project_state.json")
        let cases: [(String, [UInt8], String)] = [
            (
                "truncated.jsonl",
                Array(#"{"id":"bd-1","title":"A"}"#.utf8) + [0x0A] + Array(#"{"id":"bd-2","ti"#.utf8),
                "truncated.jsonl:2: truncated: the last line ends without a newline and is not complete JSON"
            ),
            (
                "dangling.jsonl",
                Array(#"{"id":"bd-1","title":"A","dependencies":[{"depends_on_id":"bd-9","type":"blocks"}]}"#.utf8) + [
                    0x0A
                ],
                "dangling.jsonl:1 (beads:bd-1): depends on beads:bd-9, which is neither in the input nor imported before"
            ),
            (
                "cycle.jsonl",
                Array(
                    (#"{"id":"bd-1","title":"A","dependencies":[{"depends_on_id":"bd-2","type":"blocks"}]}"# + "\n"
                        + #"{"id":"bd-2","title":"B","dependencies":[{"depends_on_id":"bd-1","type":"blocks"}]}"# + "\n")
                        .utf8),
                "dependency cycle: beads:bd-"
            ),
            (
                "dup.jsonl", Array((#"{"id":"bd-1","title":"A"}"# + "\n" + #"{"id":"bd-1","title":"B"}"# + "\n").utf8),
                "dup.jsonl:2: beads:bd-1 is there twice (first at "
            ),
            (
                "utf8.jsonl", Array(#"{"id":"bd-1","title":"A"#.utf8) + [0xFF] + Array(#""}"#.utf8) + [0x0A],
                "utf8.jsonl:1: not valid UTF-8 (byte 24 of the line)"
            ),
        ]
        for (name, bytes, message) in cases {
            let file = s.path(name)
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            let inRepo = try s.run(Sandbox.binary, ["import", "beads", file], in: dir)
            #expect(inRepo.status == 1, "\(name): \(inRepo.stdout)")
            #expect(inRepo.stderr.contains(message), "\(name): \(inRepo.stderr)")
            #expect(inRepo.stderr.contains("nothing was imported"))
            #expect(s.bytes(dir + "/.codex-state/project_state.json") == before, "\(name) changed the state")
        }
        let missing = try s.cs("import", "beads", s.path("nope.jsonl"), in: dir)
        #expect(missing.status == 1 && missing.stderr.contains("nope.jsonl: cannot read"))
        let notFolder = try s.cs("import", "codex-memories", fixture("beads.jsonl"), in: dir)
        #expect(notFolder.status == 1 && notFolder.stderr.contains("not a folder"))
    }

    /// A 100 MB file is streamed: mostly wisps (skipped, counted) around a few issues, read in
    /// chunks; the process never holds the file.
    @Test func hundredMegabytesStreamed() throws {
        let s = try Sandbox()
        let dir = try initialised(s)
        let file = s.path("big.jsonl")
        FileManager.default.createFile(atPath: file, contents: nil)
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        let filler = String(repeating: "x", count: 10_000)
        var written = 0
        var n = 0
        while written < 100 << 20 {
            n += 1
            let line =
                n % 1000 == 1
                ? #"{"id":"bd-\#(n)","title":"Real issue \#(n)","status":"open","priority":2}"# + "\n"
                : #"{"id":"bd-\#(n)","title":"wisp","ephemeral":true,"description":"\#(filler)"}"# + "\n"
            let data = Data(line.utf8)
            h.write(data)
            written += data.count
        }
        try h.close()
        // Peak memory through GNU time when it is there (.ci/run installs it).
        let hasTime = FileManager.default.isExecutableFile(atPath: "/usr/bin/time")
        let timed =
            hasTime
            ? try s.run("/usr/bin/time", ["-f", "rss=%M", Sandbox.binary, "import", "beads", file, "-q"], in: dir)
            : try s.run(Sandbox.binary, ["import", "beads", file, "-q"], in: dir)
        #expect(timed.ok, "\(timed.stderr)")
        if !hasTime {
            print("InterchangeCommandTests: /usr/bin/time is not installed; the 100 MB import's memory is not measured")
        }
        let real = (n + 999) / 1000
        let summary = try s.ok("tasks", "--json", in: dir)
        #expect((s.json(summary)["tasks"] as? [Any])?.count == real)
        if let rss = timed.stderr.split(separator: "\n").last(where: { $0.hasPrefix("rss=") }).flatMap({
            Int($0.dropFirst(4))
        }) {
            // KiB: well under the file's 100 MB.
            #expect(rss < 90_000, "peak RSS \(rss) KiB for a 100 MB import")
        }
        // The same file cut mid-line at the end: refused, naming the last line.
        let cut = try Data(contentsOf: URL(fileURLWithPath: file)).dropLast(5)
        try cut.write(to: URL(fileURLWithPath: file))
        let before = s.bytes(dir + "/.codex-state/project_state.json")
        let r = try s.cs("import", "beads", file, in: dir)
        #expect(r.status == 1 && r.stderr.contains("big.jsonl:\(n): truncated"))
        #expect(s.bytes(dir + "/.codex-state/project_state.json") == before)
    }

    @Test func taskMasterGitHubAndCodexMemories() throws {
        let s = try Sandbox()
        let dir = try initialised(s)
        let tm = s.json(try s.ok("import", "taskmaster", fixture("taskmaster-tagged.json"), "--json", in: dir))
        #expect((tm["counts"] as? [String: Int])?["added"] == 5)
        let gh = s.json(try s.ok("import", "github", fixture("github-rest.json"), "--json", in: dir))
        #expect((gh["counts"] as? [String: Int])?["added"] == 3)
        #expect((gh["counts"] as? [String: Int])?["skipped"] == 1)
        #expect((gh["milestones_added"] as? [String])?.count == 1)
        // A memories folder of this repository (its cwd lines name the repository).
        let folder = s.path("memories")
        try FileManager.default.createDirectory(
            atPath: folder + "/rollout_summaries", withIntermediateDirectories: true)
        let root = try s.git("rev-parse", "--show-toplevel", in: dir)
        for name in ["memory_summary.md", "MEMORY.md", "rollout_summaries/2026-01-20T10-00-00-abcd-fix_hooks.md"] {
            try s.write(
                folder + "/" + name,
                try s.read(fixture("codex-memories/" + name)).replacingOccurrences(of: "/REPO", with: root))
        }
        let before = try FileManager.default.attributesOfItem(atPath: folder + "/MEMORY.md")[.modificationDate] as? Date
        let mem = s.json(try s.ok("import", "codex-memories", folder, "--json", in: dir))
        #expect((mem["counts"] as? [String: Int])?["added"] == 4)
        let notes = s.json(try s.ok("memories", "--kind", "note", "--json", in: dir))
        #expect((notes["memories"] as? [Any])?.count == 4)
        // Read only: the folder is untouched.
        #expect(
            try FileManager.default.attributesOfItem(atPath: folder + "/MEMORY.md")[.modificationDate] as? Date
                == before)
    }

    /// import → export → import through the binary, in two repositories: the same export bytes.
    @Test func exportRoundTripsAndNamesWhatItCannotCarry() throws {
        let s = try Sandbox()
        let a = try initialised(s, "a")
        try s.ok("import", "beads", fixture("beads.jsonl"), in: a)
        let out = s.path("exported.jsonl")
        let j = s.json(try s.ok("export", "beads", "-o", out, "--json", in: a))
        #expect(j["tasks"] as? Int == 11)
        let stdout = try s.cs("export", "beads", in: a)
        let written = try s.read(out)
        #expect(stdout.ok && stdout.stdout == written)
        let b = try initialised(s, "b")
        try s.ok("import", "beads", out, in: b)
        #expect(try s.cs("export", "beads", in: b).stdout == stdout.stdout)
        // Milestones have no place in beads: named, not dropped silently.
        let m = try s.ok("milestone", "add", "Beta", in: a)
        try s.ok("task", "add", "Native", "--milestone", m, in: a)
        let warned = try s.cs("export", "beads", in: a)
        #expect(warned.stderr.contains("warning: beads has no place for: "))
        #expect(warned.stderr.contains("milestone (1 task)"))
        // The JSON export is lossless and says each task's status.
        let json = s.json(try s.ok("export", "json", in: a))
        #expect((json["tasks"] as? [[String: Any]])?.allSatisfy { $0["effective_status"] != nil } == true)
        let tm = try s.cs("export", "taskmaster", in: a)
        #expect(tm.ok && tm.stdout.contains("\"master\""))
        let gh = try s.cs("export", "github", in: a)
        #expect(gh.ok && gh.stderr.contains("issue number (not on GitHub)"))
    }
}
