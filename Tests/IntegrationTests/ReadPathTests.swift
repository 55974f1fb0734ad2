import Foundation
import StateStore
import Testing

/// `next`, `tasks` and `preamble` read the evaluated graph the index keeps, brought along by each
/// edit (issue 11). Whatever they print after an edit must equal what a read without any index
/// prints, with another branch's and another worktree's copies of the state in view.
@Suite struct ReadPathTests {
    @Test func everyReadAfterAnEditEqualsAReadWithoutTheIndex() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        let a = try s.ok("task", "add", "Parser", in: repo)
        let b = try s.ok("task", "add", "Use the parser", "--dep", a, in: repo)
        let c = try s.ok("task", "add", "Docs", in: repo)
        let d = try s.ok("task", "add", "Docs intro", "--parent", c, in: repo)
        let e = try s.ok("task", "add", "Lexer", "--priority", "1", in: repo)
        let f = try s.ok("task", "add", "Tests", "--dep", e, in: repo)
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "state", in: repo)
        // Another branch finished the lexer; another worktree started the tests.
        try s.git("checkout", "-q", "-b", "feature", in: repo)
        try s.ok("complete", e, in: repo)
        try s.git("commit", "-q", "-am", "lexer", in: repo)
        try s.git("checkout", "-q", "main", in: repo)
        let other = s.path("other")
        try s.git("worktree", "add", "-q", "-b", "side", other, "main", in: repo)
        try s.ok("task", "start", f, in: other)

        let dir = repo + "/.git/codex-state"
        func reads() throws -> [String] {
            try [
                ["next", "-n", "10", "--json"], ["next", "--explain"], ["tasks", "--all", "--json"],
                ["tasks", "--status", "ready", "--status", "waiting"], ["tasks", "--tree"], ["preamble", "--json"],
                ["preamble"], ["memories", "--json"],
            ].map { args in
                let r = try s.run(Sandbox.binary, args, in: repo)
                #expect(r.ok, "\(args): \(r.stderr)")
                return r.stdout + r.stderr
            }
        }
        /// The same reads with no index at all (moved aside and put back, so the next edit
        /// updates the index it left).
        func readsWithoutIndex() throws -> [String] {
            let aside = s.path("aside")
            try FileManager.default.moveItem(atPath: dir, toPath: aside)
            defer {
                try? FileManager.default.removeItem(atPath: dir)
                try? FileManager.default.moveItem(atPath: aside, toPath: dir)
            }
            return try reads()
        }
        _ = try reads()
        let edits: [[String]] = [
            ["complete", a], ["task", "add", "Grammar", "--dep", b, "--priority", "0"], ["task", "start", d],
            ["complete", d], ["task", "block", c, "--reason", "waiting on review"], ["task", "reopen", a],
            ["remember", "The lexer is table-driven", "--kind", "decision"], ["task", "edit", b, "--priority", "0"],
            ["task", "dep", "add", c, b], ["remember", "Docs are Markdown", "--kind", "note", "--task", c],
            ["task", "cancel", b], ["complete", f],
        ]
        for edit in edits {
            let r = try s.run(Sandbox.binary, edit, in: repo)
            #expect(r.ok, "\(edit): \(r.stderr)")
            let index = try StateIndex(path: dir + "/index.sqlite")
            // `complete` and `task start` report on the graph after their change (what it
            // unblocked, what it still waits on): they bring the evaluated graph along themselves.
            let reports = edit[0] == "complete" || edit.starts(with: ["task", "start"])
            if edit[0] != "remember" {
                #expect(
                    try index.storedEvaluation()?.dirty.isEmpty == reports,
                    "\(edit) \(reports ? "brings the graph along" : "marks what it changed")")
            }
            let warm = try reads()
            #expect(try index.storedEvaluation()?.dirty == [], "\(edit): the read brought the graph along")
            #expect(warm == (try readsWithoutIndex()), "after \(edit)")
        }
    }

    /// HEAD's subject is kept in the index for HEAD's commit: a new commit (an amend, which keeps
    /// the branch) shows its own subject, before and after an edit.
    @Test func theSubjectShownIsHEADsAfterAnAmendAndAnEdit() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        let a = try s.ok("task", "add", "A", in: repo)
        try s.git("add", ".codex-state", in: repo)
        try s.git("commit", "-qm", "first subject", in: repo)
        func subject() throws -> String? {
            (s.json(try s.ok("tasks", "--json", in: repo))["head"] as? [String: Any])?["subject"] as? String
        }
        #expect(try subject() == "first subject")
        try s.git("commit", "-q", "--amend", "-m", "second subject", in: repo)
        #expect(try subject() == "second subject")
        try s.ok("complete", a, in: repo)
        #expect(try subject() == "second subject")
    }

    /// More work here than the preamble shows (in progress by two actors, some waiting, some
    /// blocked, completions on another branch): what it reads through the index after the edits
    /// (the first few of each and the counts) prints what a read from a rebuilt index prints, and
    /// the counts are those of every task.
    @Test func thePreamblesFirstFewAndCountsEqualAReadOfEveryTask() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        var ids: [String] = []
        for i in 0..<24 { ids.append(try s.ok("task", "add", "Task \(i)", "--priority", "\(i % 3)", in: repo)) }
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "state", in: repo)
        try s.git("checkout", "-q", "-b", "feature", in: repo)
        for id in ids[16..<24] { try s.ok("complete", id, in: repo) }
        try s.git("commit", "-q", "-am", "done on feature", in: repo)
        try s.git("checkout", "-q", "main", in: repo)
        for (n, id) in ids[0..<12].enumerated() {
            let who = ["CODEX_STATE_ACTOR": n % 2 == 0 ? "tester" : "other"]
            #expect(try s.cs("task", "start", id, in: repo, env: who).ok)
            if n % 3 == 0 { try s.ok("task", "dep", "add", id, ids[12 + n / 3], in: repo) }
        }
        for id in ids[8..<12] { try s.ok("task", "block", id, "--reason", "review", in: repo) }
        let dir = repo + "/.git/codex-state"
        let reads = [["preamble"], ["preamble", "--json"], ["next", "-n", "8", "--json"], ["tasks", "--json"]]
        func read() throws -> [String] {
            try reads.map { args in
                let r = try s.run(Sandbox.binary, args, in: repo)
                #expect(r.ok, "\(args): \(r.stderr)")
                return r.stdout
            }
        }
        let withIndex = try read()
        #expect(try StateIndex(path: dir + "/index.sqlite").storedEvaluation()?.dirty == [])
        try FileManager.default.removeItem(atPath: dir)
        #expect(withIndex == (try read()))
        // 8 in progress here (4 more started are blocked), 3 of them waiting and 4 blocked: five of
        // each shown, the rest counted.
        let preamble = withIndex[0]
        #expect(preamble.contains("- 3 more: `codex-state tasks --status in_progress`"), "\(preamble)")
        #expect(preamble.contains("- 2 more: `codex-state tasks --status blocked`"), "\(preamble)")
    }
}
