import Foundation
import Testing

/// Issue 18, item 7: Codex sessions are keyed by thread. Two threads in one repository each get
/// their snapshot (the second's SessionStart closed the first's); a session opened by hand does
/// not swallow a thread; a thread resumed after its end, or imported after the hooks ran, gets
/// no second snapshot; an empty thread writes none. Through the binary's hook mode, as Codex
/// runs it (CodexAgentTests runs the real Codex for `exec resume`).
@Suite struct CodexThreadTests {
    struct World {
        let s: Sandbox
        let repo: String
        let first: String
        let second: String

        func hook(_ mode: String, _ thread: String, source: String = "startup") throws -> Run {
            let input = #"{"session_id":"\#(thread)","cwd":"\#(repo)","source":"\#(source)"}"#
            let r = try s.run(Sandbox.binary, ["codex", "hook", mode], in: repo, stdin: input)
            #expect(r.ok && r.stderr.isEmpty, "\(mode) \(thread): \(r.stderr)")
            if mode == "session-start" {
                let context =
                    (s.json(r.stdout)["hookSpecificOutput"] as? [String: Any])?["additionalContext"] as? String ?? ""
                #expect(!context.contains("no session opened"), "\(context)")
            }
            return r
        }

        /// The snapshots written, by source.
        func snapshots() throws -> [String: [[String: Any]]] {
            let dir = repo + "/.codex-state/sessions"
            var out: [String: [[String: Any]]] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: dir) where name.hasSuffix(".json") {
                let record = s.json(try s.read(dir + "/" + name))
                out[record["source"] as? String ?? "", default: []].append(record)
            }
            return out
        }

        func completed(_ snapshot: [String: Any]?) -> [String] {
            (snapshot?["tasks_completed"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        }
    }

    func world() throws -> World {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--name", "demo", in: repo)
        let first = try s.ok("task", "add", "First", in: repo)
        let second = try s.ok("task", "add", "Second", in: repo)
        try s.git("add", ".codex-state", in: repo)
        try s.git("commit", "-q", "-m", "state", in: repo)
        return World(s: s, repo: repo, first: first, second: second)
    }

    @Test func twoThreadsInOneRepositoryEachKeepTheirSession() throws {
        let w = try world()
        _ = try w.hook("session-start", "thread-a")
        _ = try w.hook("session-start", "thread-b")
        // Thread A completes a task after B started: it is in A's snapshot.
        try w.s.ok("complete", w.first, in: w.repo)
        let list = try w.s.ok("session", "list", in: w.repo)
        #expect(list.contains("(codex:thread-a)") && list.contains("(codex:thread-b)"), "\(list)")
        let json = w.s.json(try w.s.ok("session", "list", "--json", in: w.repo))
        #expect((json["codex_threads"] as? [Any])?.count == 2, "\(json)")
        _ = try w.hook("session-end", "thread-b")
        _ = try w.hook("session-end", "thread-a")
        let snapshots = try w.snapshots()
        #expect(snapshots["codex:thread-a"]?.count == 1, "\(snapshots.keys)")
        #expect(w.completed(snapshots["codex:thread-a"]?.first) == [w.first], "\(snapshots)")
        #expect(snapshots["codex:thread-b"]?.count == 1, "\(snapshots.keys)")
        #expect(!(try w.s.ok("session", "list", in: w.repo)).contains("open since"))
    }

    @Test func aSessionOpenedByHandDoesNotSwallowAThread() throws {
        let w = try world()
        try w.s.ok("session", "start", "--summary", "my own work", in: w.repo)
        _ = try w.hook("session-start", "thread-c")
        try w.s.ok("complete", w.second, in: w.repo)
        _ = try w.hook("session-end", "thread-c")
        let snapshots = try w.snapshots()
        #expect(w.completed(snapshots["codex:thread-c"]?.first) == [w.second], "\(snapshots.keys)")
        // The hand-opened session is still open, and ends with the same work in it.
        let open = w.s.json(try w.s.ok("session", "list", "--json", in: w.repo))["open"] as? [String: Any]
        #expect(open?["summary"] as? String == "my own work", "\(open ?? [:])")
        try w.s.ok("session", "end", in: w.repo)
        #expect(w.completed(try w.snapshots()["cli"]?.first) == [w.second])
    }

    @Test func anEmptyThreadWritesNoSnapshot() throws {
        let w = try world()
        _ = try w.hook("session-start", "thread-d")
        _ = try w.hook("session-end", "thread-d")
        #expect(try w.snapshots().isEmpty)
        #expect(!(try w.s.ok("session", "list", in: w.repo)).contains("thread-d"))
    }

    /// `exec resume` runs SessionStart again (source resume) after SessionEnd wrote the
    /// snapshot; `codex import` reads the same thread's rollout later: one snapshot for it.
    @Test func aResumedOrImportedThreadGetsNoSecondSnapshot() throws {
        let w = try world()
        _ = try w.hook("session-start", "thread-e")
        try w.s.ok("complete", w.first, in: w.repo)
        _ = try w.hook("session-end", "thread-e")
        _ = try w.hook("session-start", "thread-e", source: "resume")
        try w.s.ok("task", "add", "After the resume", in: w.repo)
        _ = try w.hook("session-end", "thread-e")
        var snapshots = try w.snapshots()
        #expect(snapshots.values.map(\.count).reduce(0, +) == 1, "\(snapshots.keys)")
        #expect(snapshots["codex:thread-e"]?.count == 1)

        // The thread's rollout, as Codex writes it, imported after the hooks ran.
        let rollout = w.s.path("rollout-2026-01-15T09-00-00-thread-e.jsonl")
        let meta =
            #"{"timestamp":"2026-01-15T09:00:00Z","type":"session_meta","payload":{"id":"thread-e","cwd":"\#(w.repo)","originator":"codex_exec","cli_version":"0.163.0","source":"exec","git":{"branch":"main"}}}"#
        let prompt =
            #"{"timestamp":"2026-01-15T09:00:01Z","type":"response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"do the next task"}]}}"#
        try w.s.write(rollout, meta + "\n" + prompt + "\n")
        let imported = try w.s.run(
            Sandbox.binary, ["codex", "import", "--json", "--include-active", rollout], in: w.repo)
        #expect(imported.ok, "\(imported.stderr)")
        let item = (w.s.json(imported.stdout)["items"] as? [[String: Any]])?.first
        #expect(item?["outcome"] as? String == "already-imported", "\(imported.stdout)")
        snapshots = try w.snapshots()
        #expect(snapshots["codex-rollout:thread-e"] == nil, "\(snapshots.keys)")
    }
}
