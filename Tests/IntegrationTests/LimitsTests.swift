import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Every input has a documented limit (issue 19, item 7; docs/threat-model.md), enforced with a
/// one-line error, in linear time and bounded memory (peak RSS measured by the kernel). The MCP
/// stream's limit is in MCPStreamTests.
@Suite struct LimitsTests {
    struct World {
        let s: Sandbox
        let repo: String
        let task: String
        var file: String { repo + "/.codex-state/project_state.json" }
    }

    func world() throws -> World {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        let task = try s.ok("task", "add", "small", in: repo)
        return World(s: s, repo: repo, task: task)
    }

    /// Writes the state file with `task`'s title replaced by `count` x's, streamed (never held).
    func writeState(_ w: World, titleBytes count: Int) throws {
        let text = try w.s.read(w.file)
        let marker = "\"title\": \"small\""
        let parts = text.components(separatedBy: marker)
        #expect(parts.count == 2)
        FileManager.default.createFile(atPath: w.file, contents: nil)
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: w.file))
        h.write(Data((parts[0] + "\"title\": \"").utf8))
        let chunk = Data(repeating: UInt8(ascii: "x"), count: 1 << 20)
        var left = count
        while left > 0 {
            let n = min(left, chunk.count)
            h.write(chunk.prefix(n))
            left -= n
        }
        h.write(Data(("\"" + parts[1]).utf8))
        try h.close()
    }

    /// A valid state file of 100 MB (one huge title): `preamble --format codex-hook` took 92 s
    /// and 1 GB on main. Now every reader refuses it by its size before reading it: the CLI in
    /// one line, Codex's SessionStart hook in its context line.
    @Test func aStateFilePastTheSizeLimitIsRefusedBeforeItIsRead() throws {
        let w = try world()
        try writeState(w, titleBytes: 100_000_000)
        let preamble = try Measured.run(w.s, Sandbox.binary, ["preamble", "--format", "codex-hook"], in: w.repo)
        #expect(preamble.status == 1)
        #expect(preamble.stderr.split(separator: "\n").count == 1, "\(preamble.stderr)")
        #expect(preamble.stderr.contains("project_state.json is larger than 64 MiB"), "\(preamble.stderr)")
        #expect(preamble.cpuSeconds < 2 && preamble.peakMB < 80, "\(preamble.cpuSeconds) s, \(preamble.peakMB) MB")
        try w.s.write(w.s.path("hook.json"), #"{"session_id":"t","cwd":"\#(w.repo)"}"#)
        let hook = try Measured.run(
            w.s, Sandbox.binary, ["codex", "hook", "session-start"], in: w.repo, stdinFile: w.s.path("hook.json"))
        #expect(hook.status == 0, "\(hook.stderr)")
        let context =
            (w.s.json(hook.stdout)["hookSpecificOutput"] as? [String: Any])?["additionalContext"] as? String ?? ""
        #expect(context.contains("project_state.json is larger than 64 MiB"), "\(context)")
        #expect(hook.cpuSeconds < 2 && hook.peakMB < 80, "\(hook.cpuSeconds) s, \(hook.peakMB) MB")
        let tasks = try Measured.run(w.s, Sandbox.binary, ["tasks"], in: w.repo)
        #expect(tasks.status == 1)
        #expect(tasks.stderr.split(separator: "\n").count == 1, "\(tasks.stderr)")
        #expect(tasks.stderr.contains("larger than 64 MiB"), "\(tasks.stderr)")
        #expect(tasks.cpuSeconds < 2 && tasks.peakMB < 80, "\(tasks.cpuSeconds) s, \(tasks.peakMB) MB")
    }

    /// Under the size limit, a string past the field limit is found in one pass over the bytes,
    /// before any decoding (a 20 MB title cost seconds and hundreds of MB on main, then was read).
    @Test func aStringPastTheFieldLimitIsRefusedInOnePass() throws {
        let w = try world()
        try writeState(w, titleBytes: 20_000_000)
        for args in [["tasks"], ["task", "add", "more"], ["check"]] {
            let m = try Measured.run(w.s, Sandbox.binary, args, in: w.repo)
            #expect(m.status == 1, "\(args): \(m.status) \(m.stdout.prefix(200))")
            let text = args == ["check"] ? m.stdout + m.stderr : m.stderr
            #expect(
                text.contains("a string of 20000000 bytes; a field holds at most 65536 bytes"),
                "\(args): \(text.prefix(300))")
            #expect(m.cpuSeconds < 3 && m.peakMB < 120, "\(args): \(m.cpuSeconds) s, \(m.peakMB) MB")
        }
        #expect(w.s.bytes(w.file)?.count ?? 0 > 20_000_000, "the refused file was rewritten")
    }

    /// What a command or tool stores is bounded too: a 70 KB title, body or label is refused
    /// naming the field, through the CLI and MCP; `remember -` stops reading past the limit.
    @Test func fieldsPastTheLimitAreRefusedOnInput() throws {
        let w = try world()
        let long = String(repeating: "y", count: 70_000)
        let before = w.s.bytes(w.file)
        for args in [
            ["task", "add", long], ["task", "add", "ok", "--body", long],
            ["task", "edit", w.task, "--add-label", long],
        ] {
            let r = try w.s.run(Sandbox.binary, args, in: w.repo)
            #expect(r.status == 1, "\(args.prefix(2)): \(r.status)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr.prefix(300))")
            #expect(r.stderr.contains("70000 bytes; a field holds at most 65536 bytes"), "\(r.stderr.prefix(300))")
        }
        #expect(w.s.bytes(w.file) == before)
        let stdin = try w.s.run(
            Sandbox.binary, ["remember", "-", "--kind", "note"], in: w.repo,
            stdin: String(repeating: "z", count: 200_000))
        #expect(stdin.status == 1 && stdin.stderr.contains("more than 65536 bytes"), "\(stdin.stderr)")
        let lines = [
            MCPStreamTests.initialize, MCPStreamTests.initialized,
            MCPStreamTests.call(2, "task_add", #"{"title":"t","body":"\#(long)"}"#),
        ]
        let r = try MCPStreamTests.rawSession(
            w.s, in: w.repo, input: Array((lines.joined(separator: "\n") + "\n").utf8), pause: 0)
        let reply = r.lines.compactMap(MCPStreamTests.object).first { $0["id"] as? Int == 2 }
        let result = reply?["result"] as? [String: Any]
        let text = (result?["content"] as? [[String: Any]])?.first?["text"] as? String ?? ""
        #expect(result?["isError"] as? Bool == true && text.contains("a field holds at most 65536 bytes"), "\(text)")
        #expect(w.s.bytes(w.file) == before)
    }

    /// A rollout line of 300 MB (and one of 400 MB inside a .zst of a few hundred KB): the docs
    /// promise fixed chunks; the import read each line whole (300 MB: 90 s, 1.2 GB). Now such a
    /// line is skipped as it streams past, the rest is imported, memory stays bounded.
    @Test func aRolloutLinePastTheLimitIsSkippedInBoundedMemory() throws {
        let base = try CodexImportTests().world()
        let w = World(s: base.s, repo: base.repo, task: base.task)
        for (name, size, compressed) in [("plain", 300_000_000, false), ("zst", 400_000_000, true)] {
            let path = base.home + "/sessions/2026/01/15/rollout-2026-01-15T10-00-00-\(name).jsonl"
            var lines = CodexImportTests.paginated(thread: "thread-\(name)", cwd: w.repo, task: w.task)
            FileManager.default.createFile(atPath: path, contents: nil)
            let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            h.write(Data((lines.removeFirst() + "\n").utf8))
            h.write(
                Data(
                    #"{"timestamp":"2026-01-15T10:00:00.500Z","type":"response_item","payload":{"type":"function_call_output","call_id":"x","output":""#
                        .utf8))
            let chunk = Data(repeating: UInt8(ascii: "y"), count: 1 << 20)
            var left = size
            while left > 0 {
                h.write(chunk.prefix(min(left, chunk.count)))
                left -= chunk.count
            }
            h.write(Data("\"}}\n".utf8))
            h.write(Data((lines.joined(separator: "\n") + "\n").utf8))
            try h.close()
            var file = path
            if compressed {
                let z = try w.s.run("zstd", ["-q", "-1", "--rm", path], in: w.repo)
                #expect(z.ok, "\(z.stderr)")
                file = path + ".zst"
            }
            var times = [timespec(tv_sec: time(nil) - 600, tv_nsec: 0), timespec(tv_sec: time(nil) - 600, tv_nsec: 0)]
            utimensat(AT_FDCWD, file, &times, 0)
            let m = try Measured.run(
                w.s, Sandbox.binary, ["codex", "import", "--json", file], in: w.repo, env: ["CODEX_HOME": base.home])
            #expect(m.status == 0, "\(name): \(m.stderr)")
            #expect(m.stdout.contains("1 line(s) longer than 16 MiB, skipped"), "\(name): \(m.stdout)")
            #expect(m.peakMB < 100, "\(name): peak RSS \(m.peakMB) MB for a \(size / 1_000_000) MB line")
            #expect(m.cpuSeconds < 30, "\(name): \(m.cpuSeconds) s")
            try? FileManager.default.removeItem(atPath: file)
        }
        let snaps = try base.snapshots()
        #expect(snaps.count == 2)
        #expect(
            snaps.allSatisfy { ($0["tasks_completed"] as? [Any])?.count == 1 }, "lines after the long one were read")
    }

    /// A Codex hook's input past 4 MiB is not read whole: the hook says so in its one line.
    @Test func hookInputPastTheLimitIsRefused() throws {
        let w = try world()
        let big = #"{"session_id":"t","cwd":"\#(w.repo)","prompt":""# + String(repeating: "p", count: 6_000_000) + "\"}"
        let r = try w.s.run(Sandbox.binary, ["codex", "hook", "session-start"], in: w.repo, stdin: big)
        #expect(r.ok)
        let context = (w.s.json(r.stdout)["hookSpecificOutput"] as? [String: Any])?["additionalContext"] as? String
        #expect(context?.contains("larger than 4 MiB") == true, "\(r.stdout.prefix(300))")
    }

    /// A committed session file past 4 MiB is refused by name, not read.
    @Test func aSessionFilePastTheLimitIsRefused() throws {
        let w = try world()
        try w.s.ok("session", "start", in: w.repo)
        try w.s.ok("session", "end", "--summary", "done", in: w.repo)
        let dir = w.repo + "/.codex-state/sessions"
        let name = try #require(
            try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasSuffix(".json") })
        var text = try w.s.read(dir + "/" + name)
        text = text.replacingOccurrences(of: "\"done\"", with: "\"" + String(repeating: "d", count: 5_000_000) + "\"")
        try w.s.write(dir + "/" + name, text)
        let r = try w.s.cs("session", "show", name, in: w.repo)
        #expect(r.status == 1 && r.stderr.contains("larger than 4 MiB"), "\(r.stderr.prefix(300))")
    }
}
