import Foundation
import Testing

/// Issue 17: one question, one answer. Each test is a finding quoted in the issue, through the
/// binary with real git: the views (`tasks` and its filters, `task show`, `check`, `reanchor`)
/// disagreed about the same task.
@Suite struct OneAnswerTests {
    /// A repository with `.codex-state/` committed on main holding one task.
    func world(_ s: Sandbox, title: String = "Build the parser") throws -> (repo: String, a: String) {
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        let a = try s.ok("task", "add", title, in: repo)
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "plan", in: repo)
        return (repo, a)
    }

    func codes(_ r: Run) -> [String] {
        let obj = (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8))) as? [String: Any]
        return (obj?["findings"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
    }

    /// "After a code-only cherry-pick, `tasks` says the task is done (found by patch-id), `check`
    /// fails CI with CS040 trailer-task-open … but the task is open, and `reanchor` says
    /// 'Nothing to re-anchor.'"
    @Test func codeOnlyCherryPickIsDoneInTasksCheckAndReanchorAlike() throws {
        let s = try Sandbox()
        let (repo, a) = try world(s)
        try s.git("checkout", "-q", "-b", "feature", in: repo)
        try s.ok("task", "start", a, in: repo)
        try s.commit("parser.c", "int parse;\n", "Write the parser\n\nCodex-Task: \(a)", in: repo)
        let work = try s.git("rev-parse", "HEAD", in: repo)
        try s.ok("complete", a, "--commit", work, in: repo)
        try s.git("commit", "-q", "-am", "state: parser done", in: repo)
        try s.git("checkout", "-q", "main", in: repo)
        try s.commit("main.txt", "main moves\n", "main moves on", in: repo)
        // The work alone comes over: the state file on main still has the task open.
        try s.git("cherry-pick", work, in: repo)
        let picked = try s.git("rev-parse", "HEAD", in: repo)

        let listed = try s.tasks(in: repo)[a]
        #expect(listed?["effective_status"] as? String == "done")
        #expect((listed?["recovered"] as? [String: Any])?["method"] as? String == "patch-id")
        #expect((listed?["recovered"] as? [String: Any])?["commit"] as? String == picked)
        #expect(try s.ok("task", "show", a, in: repo).contains("status:     done"))

        // check agrees: the task is done here (a warning points at reanchor), not open.
        let check = try s.cs("check", "--json", in: repo)
        #expect(check.ok, "\(check.stdout)\(check.stderr)")
        #expect(!codes(check).contains("CS040"), "\(check.stdout)")
        #expect(codes(check).contains("CS032"), "\(check.stdout)")

        // reanchor writes the completion down here, at the commit that carries the work.
        let reanchored = try s.ok("reanchor", in: repo)
        #expect(reanchored.contains(a) && reanchored.contains("patch-id"), "\(reanchored)")
        let after = try s.tasks(in: repo)[a]
        #expect(after?["status"] as? String == "done")
        #expect(after?["effective_status"] as? String == "done")
        #expect((after?["completion"] as? [String: Any])?["commit"] as? String == picked)
        #expect(after?["recovered"] is NSNull)
        let clean = try s.cs("check", "--json", "--strict", in: repo)
        #expect(clean.ok, "\(clean.stdout)")
        #expect(codes(clean).isEmpty, "\(clean.stdout)")
        #expect(try s.ok("reanchor", in: repo) == "Nothing to re-anchor.")
    }

    /// "`tasks --by agent-a` prints 'No tasks match.' while `tasks` shows `in_progress@worktree
    /// wa … @agent-a`."
    @Test func byMatchesTheActorTasksShows() throws {
        let s = try Sandbox()
        let (repo, a) = try world(s)
        let b = try s.ok("task", "add", "Someone else's", in: repo)
        try s.git("commit", "-q", "-am", "more", in: repo)
        let wa = s.path("wa")
        try s.git("worktree", "add", "-q", "-b", "wa", wa, in: repo)
        let started = try s.cs("task", "start", a, in: wa, env: ["CODEX_STATE_ACTOR": "agent-a"])
        #expect(started.ok, "\(started.stderr)")
        let all = try s.ok("tasks", in: repo)
        #expect(all.contains("in_progress@worktree wa") && all.contains("@agent-a"), "\(all)")
        let by = try s.ok("tasks", "--by", "agent-a", in: repo)
        #expect(by.contains(a), "\(by)")
        #expect(!by.contains(b) && !by.contains("No tasks match"), "\(by)")
        let json = s.json(try s.ok("tasks", "--by", "agent-a", "--json", in: repo))
        #expect((json["tasks"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [a])
        // The same actor everywhere: the JSON row names who started it.
        #expect((json["tasks"] as? [[String: Any]])?.first?["started_by"] as? String == "agent-a")
    }

    /// "A task that exists only on another branch: `tasks --everywhere` shows it `waiting` with
    /// nothing to wait on and without its labels (so `--everywhere --label` misses it); `task show
    /// ID` says `no task with id`."
    @Test func aTaskOnlyOnAnotherBranchIsListedWithItsFieldsAndShown() throws {
        let s = try Sandbox()
        let (repo, _) = try world(s)
        try s.git("checkout", "-q", "-b", "feature", in: repo)
        let first = try s.ok("task", "add", "Design the widget", "--label", "ui", in: repo)
        let x = try s.ok(
            "task", "add", "Draw the widget", "--label", "ui", "--label", "v2", "--dep", first, "--priority", "1",
            in: repo)
        try s.ok("task", "edit", x, "--body", "With rounded corners.", in: repo)
        try s.git("commit", "-q", "-am", "widget plan", in: repo)
        try s.git("checkout", "-q", "main", in: repo)

        let text = try s.ok("tasks", "--everywhere", in: repo)
        let line = text.split(separator: "\n").first { $0.hasPrefix(x) }.map(String.init) ?? ""
        #expect(line.contains("[ui, v2]"), "\(line)")
        #expect(line.contains("waits on \(first)"), "\(line)")
        #expect(line.contains("only in feature"), "\(line)")
        let firstLine = text.split(separator: "\n").first { $0.hasPrefix(first) }.map(String.init) ?? ""
        #expect(firstLine.contains("ready") && !firstLine.contains("waiting"), "\(firstLine)")

        let labelled = s.json(try s.ok("tasks", "--everywhere", "--label", "v2", "--json", in: repo))
        let rows = labelled["tasks"] as? [[String: Any]] ?? []
        #expect(rows.compactMap { $0["id"] as? String } == [x])
        #expect(rows.first?["labels"] as? [String] == ["ui", "v2"])
        #expect(rows.first?["deps"] as? [String] == [first])
        #expect(rows.first?["waiting_on"] as? [String] == [first])
        #expect(rows.first?["priority"] as? Int == 1)
        #expect(rows.first?["only_elsewhere"] as? Bool == true)
        #expect(try s.ok("tasks", "--everywhere", "--search", "rounded", in: repo).contains(x))

        let show = try s.cs("task", "show", x, in: repo)
        #expect(show.ok, "\(show.stderr)")
        #expect(show.stdout.contains("Draw the widget") && show.stdout.contains("only in feature"), "\(show.stdout)")
        #expect(show.stdout.contains("With rounded corners."), "\(show.stdout)")
        let shown = s.json(try s.ok("task", "show", x, "--json", in: repo))
        #expect(shown["effective_status"] as? String == "open")
        #expect((shown["task"] as? [String: Any])?["labels"] as? [String] == ["ui", "v2"])
        #expect(shown["only_in"] as? String == "feature")
        // It cannot be started here: the record is feature's.
        let start = try s.cs("task", "start", x, in: repo)
        #expect(start.status != 0)
        #expect(start.stderr.contains("only in feature"), "\(start.stderr)")
    }

    /// Issue 19, item 8: "a state file with trailing commas (not JSON) is accepted by every
    /// command". It is refused with one line naming the file.
    @Test func trailingCommasAreRefusedByEveryCommand() throws {
        let s = try Sandbox()
        let (repo, a) = try world(s)
        let file = repo + "/.codex-state/project_state.json"
        let text = try s.read(file)
        // A comma after the last top-level member (`"tasks": {…}`), as a hand edit leaves it.
        #expect(text.hasSuffix("  }\n}\n"))
        let broken = String(text.dropLast(3)) + ",\n}\n"
        #expect(broken != text)
        try s.write(file, broken)
        for args in [
            ["tasks"], ["next"], ["task", "show", a], ["task", "add", "More"], ["preamble"], ["check"],
            ["graph"], ["export", "json"],
        ] {
            let r = try s.run(Sandbox.binary, args, in: repo)
            #expect(r.status != 0, "\(args) accepted a file with trailing commas: \(r.stdout)")
            let errors = r.stderr.split(separator: "\n")
            #expect(errors.count == 1 || args == ["check"], "\(args): \(r.stderr)")
            #expect(r.stderr.contains("project_state.json") || r.stdout.contains("project_state.json"), "\(args)")
        }
        #expect(try s.read(file) == broken, "nothing was rewritten")
    }
}
