import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `codex import` over rollouts written the way Codex 0.163 writes them (both formats), and
/// bad ones.
@Suite struct CodexImportTests {
    struct World {
        let s: Sandbox
        let repo: String
        let task: String
        let home: String

        func cs(_ args: String..., env: [String: String] = [:]) throws -> Run {
            try s.run(Sandbox.binary, args, in: repo, env: ["CODEX_HOME": home].merging(env) { $1 })
        }

        /// Every snapshot: this branch's in the working tree, other branches' in the clone's archive.
        func snapshots() throws -> [[String: Any]] {
            var byName: [String: String] = [:]
            for dir in [repo + "/.git/codex-state/sessions", repo + "/.codex-state/sessions"] {
                for n in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where n.hasSuffix(".json") {
                    byName[n] = dir + "/" + n
                }
            }
            return try byName.keys.sorted().compactMap { byName[$0] }.map { s.json(try s.read($0)) }
        }
    }

    func world() throws -> World {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--name", "demo", in: repo)
        let task = try s.ok("task", "add", "Write the parser", in: repo)
        let home = s.path("codex-home")
        try FileManager.default.createDirectory(
            atPath: home + "/sessions/2026/01/15", withIntermediateDirectories: true)
        return World(s: s, repo: repo, task: task, home: home)
    }

    static func line(_ type: String, _ payload: [String: Any], at: String = "2026-01-15T10:00:00.123Z") -> String {
        let obj: [String: Any] = ["timestamp": at, "type": type, "payload": payload]
        return String(decoding: try! JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]), as: UTF8.self)
    }

    /// A paginated-format rollout (content kinds present), as Codex 0.163 writes them.
    static func paginated(thread: String, cwd: String, task: String, secret: String = "") -> [String] {
        [
            line(
                "session_meta",
                [
                    "id": thread, "cwd": cwd, "originator": "codex_exec", "cli_version": "0.163.0",
                    "history_mode": "paginated", "git": ["commit_hash": "abc123", "branch": "feature/x"],
                ], at: "2026-01-15T10:00:00.001Z"),
            line(
                "response_item",
                [
                    "type": "message", "role": "user",
                    "content": [["type": "input_text", "text": "<environment_context>cwd</environment_context>"]],
                    "internal_chat_message_metadata_passthrough": [
                        "content_item_kinds": ["environments.environment_context"]
                    ],
                ]),
            line(
                "response_item",
                [
                    "type": "message", "role": "user",
                    "content": [["type": "input_text", "text": "Please write the parser \(secret)"]],
                    "internal_chat_message_metadata_passthrough": ["content_item_kinds": ["user.text"]],
                ]),
            line("world_state", ["full": true, "state": [:] as [String: Any]]),
            line(
                "response_item",
                [
                    "type": "function_call", "name": "exec_command", "call_id": "c0",
                    "arguments": #"{"cmd":"swift build"}"#,
                ]),
            line(
                "response_item",
                [
                    "type": "custom_tool_call", "name": "apply_patch", "call_id": "p1",
                    "input":
                        "*** Begin Patch\n*** Update File: \(cwd)/Sources/Parser.swift\n@@\n-a\n+b\n*** End Patch\n",
                ]),
            line(
                "response_item",
                [
                    "type": "function_call", "name": "update_plan", "call_id": "u1",
                    "arguments":
                        #"{"plan":[{"step":"Write the lexer","status":"completed"},{"step":"Add error recovery","status":"pending"}]}"#,
                ]),
            line(
                "response_item",
                [
                    "type": "function_call", "name": "complete", "namespace": "mcp__codex_state", "call_id": "c2",
                    "arguments": #"{"id":"\#(task)"}"#,
                ]),
            line("a_type_from_the_future", ["x": 1]),
            line(
                "event_msg",
                [
                    "type": "item_completed",
                    "item": ["type": "McpToolCall", "id": "c2", "status": "completed"] as [String: Any],
                ], at: "2026-01-15T10:05:00.000Z"),
        ]
    }

    /// The legacy format: no content kinds; injected context recognised by its opening.
    static func legacy(thread: String, cwd: String) -> [String] {
        [
            line("session_meta", ["id": thread, "cwd": cwd, "git": ["commit_hash": "def456", "branch": "main"]]),
            line(
                "response_item",
                [
                    "type": "message", "role": "user",
                    "content": [["type": "input_text", "text": "# AGENTS.md instructions for x\n..."]],
                ]),
            line(
                "response_item",
                ["type": "message", "role": "user", "content": [["type": "input_text", "text": "Fix the flaky test"]]]),
            line(
                "response_item",
                [
                    "type": "function_call", "name": "shell", "call_id": "s1",
                    "arguments": #"{"command":["bash","-lc","make test"]}"#,
                ]),
        ]
    }

    func write(_ w: World, _ name: String, _ lines: [String], trailingNewline: Bool = true) throws -> String {
        let path = w.home + "/sessions/2026/01/15/" + name
        try w.s.write(path, lines.joined(separator: "\n") + (trailingNewline ? "\n" : ""))
        // Older than the "still being written" window.
        var times = [timespec(tv_sec: time(nil) - 600, tv_nsec: 0), timespec(tv_sec: time(nil) - 600, tv_nsec: 0)]
        utimensat(AT_FDCWD, path, &times, 0)
        return path
    }

    @Test func bothFormatsImportOnceWithPromptsCommandsFilesAndTheCompletedTask() throws {
        let w = try world()
        _ = try write(
            w, "rollout-2026-01-15T10-00-00-aaaa.jsonl", Self.paginated(thread: "aaaa", cwd: w.repo, task: w.task))
        _ = try write(w, "rollout-2026-01-15T11-00-00-bbbb.jsonl", Self.legacy(thread: "bbbb", cwd: w.repo + "/sub"))
        let later = try w.cs("codex", "import", "--since", "2026-02-01", "--json")
        let skipped = w.s.json(later.stdout)["items"] as? [[String: Any]] ?? []
        #expect(skipped.count == 2 && skipped.allSatisfy { $0["outcome"] as? String == "too-old" }, "\(later.stdout)")
        #expect(try w.cs("codex", "import", "--since", "Feb").status == 2)
        let r = try w.cs("codex", "import")
        #expect(r.ok, "\(r.stderr)")
        #expect(r.stdout.hasSuffix("2 session(s) imported\n"), "\(r.stdout)")
        let snaps = try w.snapshots()
        let a = snaps.first { $0["source"] as? String == "codex-rollout:aaaa" } ?? [:]
        #expect(a["branch"] as? String == "feature/x")
        #expect(a["head_start"] as? String == "abc123")
        #expect(a["started"] as? String == "2026-01-15T10:00:00Z")
        #expect(a["ended"] as? String == "2026-01-15T10:05:00Z")
        let summary = a["summary"] as? String ?? ""
        #expect(summary.contains("Prompt 1: Please write the parser"), "\(summary)")
        #expect(!summary.contains("environment_context"))
        #expect(summary.contains("1 prompt(s), 1 command(s), 1 file(s) changed"))
        #expect(a["files"] as? [String] == ["Sources/Parser.swift"])
        #expect((a["tasks_completed"] as? [[String: Any]])?.first?["id"] as? String == w.task)
        #expect(a["follow_ups"] as? [String] == ["plan: Add error recovery"])
        let b = snaps.first { $0["source"] as? String == "codex-rollout:bbbb" } ?? [:]
        #expect((b["summary"] as? String ?? "").contains("Prompt 1: Fix the flaky test"))
        #expect(!(b["summary"] as? String ?? "").contains("AGENTS.md"))
        #expect((b["summary"] as? String ?? "").contains("1 command(s)"))

        // Again: nothing new.
        let again = try w.cs("codex", "import", "--json")
        #expect(again.ok)
        let items = w.s.json(again.stdout)["items"] as? [[String: Any]] ?? []
        #expect(items.allSatisfy { $0["outcome"] as? String == "already-imported" }, "\(items)")
        #expect(try w.snapshots().count == 2)
    }

    @Test func planStepsBecomeTasksOnRequest() throws {
        let w = try world()
        _ = try write(
            w, "rollout-2026-01-15T10-00-00-aaaa.jsonl", Self.paginated(thread: "aaaa", cwd: w.repo, task: w.task))
        let r = try w.cs("codex", "import", "--plans", "tasks")
        #expect(r.ok, "\(r.stderr)")
        let tasks = try w.s.tasks(in: w.repo)
        let planned = tasks.values.filter { ($0["labels"] as? [String]) == ["codex-plan"] }
        #expect(planned.compactMap { $0["title"] as? String } == ["Add error recovery"])
        let snap = try w.snapshots().first ?? [:]
        #expect((snap["tasks_created"] as? [[String: Any]])?.first?["title"] as? String == "Add error recovery")
        #expect(try w.cs("codex", "import", "--plans", "tasks").ok)
        #expect(try w.s.tasks(in: w.repo).count == tasks.count)
    }

    @Test func secretsAreRedactedBeforeAnythingIsWritten() throws {
        let w = try world()
        let key = "sk-proj-" + String(repeating: "A1b2C3d4", count: 6)
        _ = try write(
            w, "rollout-2026-01-15T10-00-00-aaaa.jsonl",
            Self.paginated(thread: "aaaa", cwd: w.repo, task: w.task, secret: key))
        #expect(try w.cs("codex", "import").ok)
        let text = try w.snapshots().map {
            String(decoding: try JSONSerialization.data(withJSONObject: $0), as: UTF8.self)
        }
        .joined()
        #expect(!text.contains(key))
        #expect(text.contains("[REDACTED:"))
        let archive = try w.s.run("grep", ["-r", key, w.repo + "/.git/codex-state"], in: w.repo)
        #expect(archive.stdout.isEmpty)
    }

    @Test func badRollouts() throws {
        let w = try world()
        // A truncated last line and a line of invalid UTF-8: the rest is imported.
        var lines = Self.paginated(thread: "aaaa", cwd: w.repo, task: w.task)
        lines.insert(
            "{\"type\":\"response_item\",\"payload\":{\"text\":\"\u{FFFD}\"}}".replacingOccurrences(
                of: "\u{FFFD}", with: "\\xff"), at: 3)
        let path = try write(
            w, "rollout-2026-01-15T10-00-00-aaaa.jsonl", lines + [#"{"type":"response_item","payl"#],
            trailingNewline: false)
        var bytes = Array(try w.s.read(path).utf8)
        bytes.insert(contentsOf: [0xFF, 0xFE, 0x0A], at: bytes.firstIndex(of: 0x0A).map { $0 + 1 } ?? 0)
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        var times = [timespec(tv_sec: time(nil) - 600, tv_nsec: 0), timespec(tv_sec: time(nil) - 600, tv_nsec: 0)]
        utimensat(AT_FDCWD, path, &times, 0)
        // Another repository's rollout, and one still being written.
        _ = try write(w, "rollout-2026-01-15T12-00-00-cccc.jsonl", Self.legacy(thread: "cccc", cwd: "/elsewhere"))
        try w.s.write(
            w.home + "/sessions/2026/01/15/rollout-2026-01-15T13-00-00-dddd.jsonl",
            Self.legacy(thread: "dddd", cwd: w.repo).joined(separator: "\n"))
        let r = try w.cs("codex", "import", "--json")
        #expect(r.ok, "\(r.stderr)")
        let items = w.s.json(r.stdout)["items"] as? [[String: Any]] ?? []
        let byOutcome = Dictionary(grouping: items) { $0["outcome"] as? String ?? "" }
        #expect(byOutcome["imported"]?.count == 1)
        #expect((byOutcome["imported"]?.first?["detail"] as? String ?? "").contains("line(s) not JSON"))
        #expect(byOutcome["other-repository"]?.count == 1)
        #expect(byOutcome["active"]?.count == 1)
        #expect((try w.snapshots().first?["tasks_completed"] as? [Any])?.count == 1)
        // A file given by name that does not exist: one clear line, exit 1.
        let missing = try w.cs("codex", "import", w.s.path("nope.jsonl"))
        #expect(missing.status == 1)
        #expect(missing.stdout.contains("nope.jsonl") && missing.stdout.contains("cannot read"))
    }

    @Test func zstdRolloutsAndConcurrentImports() throws {
        let w = try world()
        let plain = try write(
            w, "rollout-2026-01-15T10-00-00-aaaa.jsonl", Self.paginated(thread: "aaaa", cwd: w.repo, task: w.task))
        let zstd = ["/usr/bin/zstd", "/bin/zstd"].first { FileManager.default.isExecutableFile(atPath: $0) }
        if let zstd {
            _ = try w.s.run(zstd, ["-q", "--rm", plain], in: w.repo)
            var times = [timespec(tv_sec: time(nil) - 600, tv_nsec: 0), timespec(tv_sec: time(nil) - 600, tv_nsec: 0)]
            utimensat(AT_FDCWD, plain + ".zst", &times, 0)
        } else {
            FileHandle.standardError.write(
                Data("\n*** zstd CLI missing: the .jsonl.zst case runs on plain JSONL ***\n".utf8))
        }
        // Four imports at once: one snapshot.
        let script =
            (0..<4).map { _ in "\(Sandbox.binary) codex import >/dev/null 2>&1 &" }.joined(separator: "\n") + "\nwait"
        _ = try w.s.run("bash", ["-c", script], in: w.repo, env: ["CODEX_HOME": w.home])
        let snaps = try w.snapshots()
        #expect(snaps.count == 1, "\(snaps.count) snapshots")
        #expect((snaps.first?["summary"] as? String ?? "").contains("Please write the parser"))
    }

    /// A 200 MB rollout is streamed: peak memory stays far below its size.
    @Test func aLargeRolloutIsStreamed() throws {
        let w = try world()
        let path = w.home + "/sessions/2026/01/15/rollout-2026-01-15T10-00-00-big.jsonl"
        var lines = Self.paginated(thread: "big", cwd: w.repo, task: w.task)
        let filler = Self.line(
            "response_item",
            ["type": "function_call_output", "call_id": "x", "output": String(repeating: "y", count: 1_000_000)])
        FileManager.default.createFile(atPath: path, contents: nil)
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        h.write(Data((lines.removeFirst() + "\n").utf8))
        let chunk = Data((filler + "\n").utf8)
        for _ in 0..<200 { h.write(chunk) }
        h.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        try h.close()
        var times = [timespec(tv_sec: time(nil) - 600, tv_nsec: 0), timespec(tv_sec: time(nil) - 600, tv_nsec: 0)]
        utimensat(AT_FDCWD, path, &times, 0)
        let measure = """
            import resource, subprocess, sys
            r = subprocess.run(sys.argv[1:], capture_output=True)
            print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
            """
        let r = try w.s.run(
            "python3", ["-c", measure, Sandbox.binary, "codex", "import"], in: w.repo, env: ["CODEX_HOME": w.home])
        let parts = r.stdout.split(separator: " ").compactMap {
            Int($0.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        #expect(parts.first == 0, "\(r.stdout) \(r.stderr)")
        let peakMB = (parts.last ?? 0) / 1024
        #expect(peakMB < 80, "peak RSS \(peakMB) MB for a 200 MB rollout")
        #expect((try w.snapshots().first?["tasks_completed"] as? [Any])?.count == 1)
    }
}
