import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 18, "Shapes and words that mislead": what the binary prints must say what is true, in
/// the shape the docs give.
@Suite struct ShapesAndWordsTests {
    // MARK: 10. Every done task has its anchor

    /// A task completed with the work (`complete`, then `git commit -a`), one completed with
    /// `--commit`, and one whose completion is not committed yet.
    func threeCompletions() throws -> (s: Sandbox, repo: String, ids: [String], work: String, named: String) {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        let a = try s.ok("task", "add", "With the work", in: repo)
        let b = try s.ok("task", "add", "Named commit", in: repo)
        let c = try s.ok("task", "add", "Not committed", in: repo)
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "plan", in: repo)
        let named = try s.git("rev-parse", "HEAD", in: repo)
        try s.write(repo + "/a.txt", "work\n")
        try s.git("add", "a.txt", in: repo)
        try s.ok("complete", a, in: repo)
        try s.ok("complete", b, "--commit", named, in: repo)
        try s.git("commit", "-q", "-am", "a done", in: repo)
        let work = try s.git("rev-parse", "HEAD", in: repo)
        try s.ok("complete", c, in: repo)
        return (s, repo, [a, b, c], work, named)
    }

    @Test func tasksJSONGivesEveryDoneTaskItsAnchor() throws {
        let (s, repo, ids, work, named) = try threeCompletions()
        let tasks = try s.tasks(in: repo)
        func completion(_ id: String) -> [String: Any]? { tasks[id]?["completion"] as? [String: Any] }
        #expect(completion(ids[0])?["commit"] as? String == work, "\(tasks[ids[0]] ?? [:])")
        #expect(completion(ids[0])?["how"] as? String == "introduced")
        #expect(completion(ids[0])?["branch"] as? String == "main")
        #expect(completion(ids[1])?["commit"] as? String == named)
        #expect(completion(ids[1])?["how"] as? String == "recorded")
        #expect(completion(ids[2])?["how"] as? String == "uncommitted", "\(tasks[ids[2]] ?? [:])")
        #expect(completion(ids[2]).map { $0["commit"] is NSNull } == true)
        // The status change of a plain `complete` names no commit, as documented.
        let change = s.json(try s.ok("complete", ids[2], "--json", in: repo))
        #expect(change["commit"] is NSNull)
    }

    @Test(.enabled(if: PythonMCP.python != nil)) func mcpTasksToolGivesTheAnchorToo() throws {
        let (s, repo, ids, work, _) = try threeCompletions()
        let o = try MCPServerTests().session(s, in: repo, [("tasks", ["all": true])])
        let listed = s.json(o.results.first?.text ?? "")["tasks"] as? [[String: Any]] ?? []
        let a = listed.first { $0["id"] as? String == ids[0] }
        let completion = a?["completion"] as? [String: Any]
        #expect(completion?["commit"] as? String == work, "\(listed)")
        #expect(completion?["how"] as? String == "introduced")
    }

    // MARK: 11. The preamble at small budgets

    /// Work of mine in progress and blocked, a constraint, and many unrelated ready tasks with
    /// long titles.
    func busyProject() throws -> (s: Sandbox, repo: String, mine: String, blocked: [String], constraints: [String]) {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", "--name", "demo", in: repo)
        let mine = try s.ok("task", "add", "My task in progress", "--accept", "parser passes", in: repo)
        var blocked: [String] = []
        for i in 0..<2 { blocked.append(try s.ok("task", "add", "My blocked task \(i)", in: repo)) }
        for i in 0..<12 {
            try s.ok(
                "task", "add",
                "Unrelated ready task number \(i) with a title long enough to take room in the preamble",
                "--priority", "0", in: repo)
        }
        try s.ok("task", "start", mine, in: repo)
        for b in blocked {
            try s.ok("task", "start", b, in: repo)
            try s.ok("task", "block", b, "--reason", "waiting for the schema review", in: repo)
        }
        var constraints: [String] = []
        for i in 0..<3 {
            let text =
                "Constraint \(i): never write the state file outside the lock; every write goes through one transaction, and the journal records it before the lock is released."
            try s.ok("remember", text, "--kind", "constraint", in: repo)
            constraints.append(text)
        }
        for i in 0..<4 {
            try s.ok(
                "remember", "Decision \(i): the parser is hand written, not generated.", "--kind", "decision", in: repo)
        }
        try s.ok("goal", "add", "Ship the parser", in: repo)
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "state", in: repo)
        return (s, repo, mine, blocked, constraints)
    }

    @Test func smallBudgetKeepsOwnWorkAndConstraintsBeforeNextReady() throws {
        let (s, repo, mine, blocked, constraints) = try busyProject()
        let full = try s.ok("preamble", "-n", "5", "--budget", "4000", in: repo)
        #expect(full.contains("## Next ready") && full.contains("## Blocked"), "\(full)")
        #expect(!full.contains("Left out"), "\(full)")
        for budget in [300, 400, 500] {
            let text = try s.ok("preamble", "-n", "5", "--budget", "\(budget)", in: repo)
            for c in constraints { #expect(text.contains(c), "budget \(budget): a constraint was cut\n\(text)") }
            #expect(text.contains(mine), "budget \(budget): my task in progress was cut\n\(text)")
            // The blocked lines go before the task in progress: at the least budget one is left.
            let shown = blocked.filter { text.contains($0) }.count
            #expect(shown == (budget == 300 ? 1 : 2), "budget \(budget): my blocked work was cut\n\(text)")
            #expect(text.contains("Left out"), "budget \(budget): nothing was cut\n\(text)")
        }
    }

    @Test func constraintsAreVerbatimAtEveryAllowedBudget() throws {
        let (s, repo, _, _, constraints) = try busyProject()
        for budget in stride(from: 300, through: 2000, by: 100) {
            let text = try s.ok("preamble", "-n", "5", "--budget", "\(budget)", in: repo)
            for c in constraints { #expect(text.contains(c), "budget \(budget)") }
            let hook = try s.ok("preamble", "-n", "5", "--budget", "\(budget)", "--format", "codex-hook", in: repo)
            for c in constraints { #expect(hook.contains(c), "codex-hook at budget \(budget)") }
        }
    }

    @Test func jsonKeepsExactlyWhatTheMarkdownKeeps() throws {
        let (s, repo, _, _, _) = try busyProject()
        for budget in [300, 350, 450, 600, 900, 1500] {
            let text = try s.ok("preamble", "-n", "5", "--budget", "\(budget)", in: repo)
            let obj = s.json(try s.ok("preamble", "-n", "5", "--format", "json", "--budget", "\(budget)", in: repo))
            func ids(_ key: String) -> [String] {
                (obj[key] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            }
            let kept = ids("in_progress") + ids("blocked") + ids("next") + ids("constraints") + ids("decisions")
            // Every id the JSON holds is in the Markdown, and every task or memory id the
            // Markdown names is in the JSON.
            for id in kept { #expect(text.contains("`\(id)`"), "budget \(budget): \(id) only in the JSON") }
            let named = Set(
                text.split(whereSeparator: { $0 == "`" }).map(String.init).filter {
                    ($0.hasPrefix("t-") || $0.hasPrefix("mem-")) && !$0.contains(" ")
                })
            #expect(named == Set(kept), "budget \(budget): markdown \(named.sorted()) json \(kept.sorted())")
        }
    }

    // MARK: 12. Small ones

    @Test func aFreshClaimIsNotExplainedAsResume() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        try s.ok("task", "add", "First", in: repo)
        try s.ok("task", "add", "Second", in: repo)
        let text = try s.ok("next", "--claim", in: repo)
        #expect(text.hasPrefix("claimed t-"), "\(text)")
        #expect(!text.contains("resume"), "\(text)")
        let json = s.json(try s.ok("next", "--claim", "--json", in: repo))
        let first = (json["candidates"] as? [[String: Any]])?.first
        let reason = first?["reason"] as? String
        #expect(reason != nil && reason?.contains("resume") == false, "\(json)")
        #expect((first?["terms"] as? [String: Any])?["resume"] as? Bool == false)
        // Asked again later, the claimed task is one to resume.
        #expect(try s.ok("next", in: repo).contains("resume: you have it in progress here"))
    }

    @Test(.enabled(if: PythonMCP.python != nil)) func mcpClaimIsNotExplainedAsResume() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        try s.ok("task", "add", "First", in: repo)
        let o = try MCPServerTests().session(s, in: repo, [("next", ["claim": true])])
        let obj = s.json(o.results.first?.text ?? "")
        let first = (obj["candidates"] as? [[String: Any]])?.first
        #expect(obj["claimed"] as? String != nil, "\(obj)")
        #expect((first?["reason"] as? String)?.contains("resume") == false, "\(obj)")
        #expect((first?["terms"] as? [String: Any])?["resume"] as? Bool == false)
    }

    @Test func taskShowNamesTheWorkCommitForWhatItIs() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        let a = try s.ok("task", "add", "Work", in: repo)
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "plan", in: repo)
        try s.commit("w.txt", "work\n", "the work", in: repo)
        let work = try s.git("rev-parse", "--short=7", "HEAD", in: repo)
        try s.ok("complete", a, in: repo)
        try s.git("commit", "-q", "-am", "state only", in: repo)
        let show = try s.ok("task", "show", a, in: repo)
        #expect(show.contains("at \(work) (the commit with the work"), "\(show)")
        #expect(!show.contains("the commit that added the completion)"), "\(show)")
    }

    @Test func aTitleStartingWithDashesGetsAHintAtDoubleDash() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        let r = try s.cs("task", "add", "--dry-run the importer", in: repo)
        #expect(r.status == 2)
        #expect(r.stderr.contains("put -- before it"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        let id = try s.ok("task", "add", "--", "--dry-run the importer", in: repo)
        #expect(try s.ok("task", "show", id, in: repo).contains("--dry-run the importer"))
        // A missing title with an ordinary option gets no such hint.
        let plain = try s.cs("task", "add", "--priority", "1", in: repo)
        #expect(plain.status == 2 && !plain.stderr.contains("put --"), "\(plain.stderr)")
    }

    @Test func statusColumnWidensForAClaimInAnotherWorktree() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        let a = try s.ok("task", "add", "Claimed over there", in: repo)
        try s.ok("task", "add", "Ready here", in: repo)
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "plan", in: repo)
        let wt = s.path("wt-a")
        try s.git("worktree", "add", "-q", "-b", "wt-a", wt, in: repo)
        try s.ok("task", "start", a, in: wt)
        let text = try s.ok("tasks", in: repo)
        let rows = text.split(separator: "\n").dropFirst().map(String.init)
        #expect(rows.contains { $0.contains("in_progress@worktree wt-a") }, "\(text)")
        let columns = rows.compactMap { row in
            row.range(of: " P2  ").map { row.distance(from: row.startIndex, to: $0.lowerBound) }
        }
        #expect(columns.count == 2 && Set(columns).count == 1, "priority column not aligned:\n\(text)")
    }

    @Test func driftListsOnlyWhatThisBranchsFileGotWrong() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        let a = try s.ok("task", "add", "Done in a worktree since removed", in: repo)
        let b = try s.ok("task", "add", "Recorded here, done on feature", in: repo)
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "plan", in: repo)
        // Ordinary work elsewhere: a worktree completes a, commits, and is removed; its branch stays.
        let wt = s.path("wt-a")
        try s.git("worktree", "add", "-q", "-b", "wt-a", wt, in: repo)
        try s.commit("a.txt", "a\n", "work a", in: wt)
        try s.ok("complete", a, in: wt)
        try s.git("commit", "-q", "-am", "a done", in: wt)
        try s.git("worktree", "remove", wt, in: repo)
        // Drift: this branch's file says b is done by a commit only feature has.
        try s.git("branch", "feature", in: repo)
        try s.git("checkout", "-q", "feature", in: repo)
        try s.commit("b.txt", "b\n", "work b", in: repo)
        try s.git("checkout", "-q", "main", in: repo)
        try s.ok("complete", b, "--commit", "feature", in: repo)
        try s.git("commit", "-q", "-am", "b done on feature", in: repo)
        #expect(try s.ok("tasks", "--all", in: repo).contains("done@wt-a"))
        let text = try s.ok("preamble", in: repo)
        let drift = text.components(separatedBy: "## Drift").dropFirst().first ?? ""
        #expect(drift.contains(b), "\(text)")
        #expect(!drift.contains(a) && !drift.contains("wt-a"), "\(text)")
        let json = s.json(try s.ok("preamble", "--json", in: repo))
        let ids = (json["drift"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        #expect(ids == [b], "\(json["drift"] ?? "")")
        #expect(json["done_elsewhere_total"] as? Int == 1)
    }

    @Test func aStoppedRebaseIsSaid() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        try s.ok("task", "add", "Something", in: repo)
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "plan", in: repo)
        try s.commit("b.txt", "b\n", "second", in: repo)
        #expect(!(try s.ok("tasks", in: repo)).contains("rebase"))
        let r = try s.run(
            "git", ["rebase", "-i", "HEAD~1"], in: repo,
            env: ["GIT_SEQUENCE_EDITOR": "sed -i -e s/^pick/edit/", "GIT_EDITOR": "true"])
        #expect(r.ok, "\(r.stderr)")
        let tasks = try s.ok("tasks", in: repo)
        #expect(tasks.contains("A rebase of main is in progress"), "\(tasks)")
        let preamble = try s.ok("preamble", in: repo)
        #expect(preamble.split(separator: "\n").first?.contains("rebase of main in progress") == true, "\(preamble)")
        let json = s.json(try s.ok("preamble", "--json", in: repo))
        #expect(((json["head"] as? [String: Any])?["rebase"] as? [String: Any])?["branch"] as? String == "main")
        try s.git("rebase", "--continue", in: repo)
        #expect(!(try s.ok("preamble", in: repo)).contains("rebase"))
    }

    @Test func quietSilencesHooksInstallAndCodexInstall() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        #expect(try s.ok("-q", "hooks", "install", in: repo).isEmpty)
        #expect(try s.ok("-q", "hooks", "install", in: repo).isEmpty)
        #expect(!(try s.ok("hooks", "install", in: repo)).isEmpty)
        let home = s.path("codex-home")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let quiet = try s.cs("-q", "codex", "install", in: repo, env: ["CODEX_HOME": home])
        #expect(quiet.ok && quiet.stdout.isEmpty && quiet.stderr.isEmpty, "\(quiet)")
        let again = try s.cs("codex", "install", in: repo, env: ["CODEX_HOME": home])
        #expect(again.stdout.contains("nothing to change"), "\(again)")
        #expect(try s.cs("-q", "codex", "uninstall", in: repo, env: ["CODEX_HOME": home]).stdout.isEmpty)
    }

    @Test func journalStdoutJSONIsJSON() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        try s.ok("task", "add", "Something", in: repo)
        let page = try s.ok("journal", "--stdout", in: repo)
        let obj = s.json(try s.ok("journal", "--stdout", "--json", in: repo))
        #expect(obj["date"] as? String == "2026-01-15")
        #expect((obj["markdown"] as? String)?.trimmingCharacters(in: .whitespacesAndNewlines) == page)
    }

    @Test func memoriesAreListedOldestFirst() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        var ids: [String] = []
        for (i, kind) in ["note", "constraint", "decision", "note", "decision"].enumerated() {
            let r = try s.cs(
                "remember", "Fact number \(i) about the parser", "--kind", kind, "--json", in: repo,
                env: ["CODEX_STATE_NOW": "2026-01-15T09:0\(i):00Z"])
            ids.append((s.json(r.stdout)["memory"] as? [String: Any])?["id"] as? String ?? "")
        }
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "memories", in: repo)
        let listed = (s.json(try s.ok("memories", "--json", in: repo))["memories"] as? [[String: Any]] ?? [])
            .compactMap { $0["id"] as? String }
        #expect(listed == ids)
        let lines = try s.ok("memories", in: repo).split(separator: "\n").map { String($0.prefix { $0 != " " }) }
        #expect(lines == ids)
    }

    @Test func memoriesOfTheSameSecondAreListedByKind() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        var byKind: [String: String] = [:]
        for kind in ["note", "decision", "constraint"] {
            let r = try s.ok("remember", "A \(kind) about the lexer", "--kind", kind, "--json", in: repo)
            byKind[kind] = (s.json(r)["memory"] as? [String: Any])?["id"] as? String
        }
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "memories", in: repo)
        let listed = (s.json(try s.ok("memories", "--json", in: repo))["memories"] as? [[String: Any]] ?? [])
            .compactMap { $0["id"] as? String }
        #expect(listed == ["constraint", "decision", "note"].compactMap { byKind[$0] })
    }

    @Test func aFreshCloneWithoutInitGetsAHint() throws {
        let s = try Sandbox()
        let origin = try s.repo("origin")
        try s.ok("init", in: origin)
        try s.ok("task", "add", "Something", in: origin)
        try s.git("add", "-A", in: origin)
        try s.git("commit", "-q", "-m", "state", in: origin)
        try s.git("clone", "-q", origin, s.path("clone"), in: s.root)
        let clone = s.path("clone")
        let tasks = try s.cs("tasks", in: clone)
        #expect(tasks.ok && tasks.stderr.contains("run codex-state init"), "\(tasks.stderr)")
        let claim = try s.cs("next", "--claim", in: clone)
        #expect(claim.ok && claim.stderr.contains("run codex-state init"), "\(claim.stderr)")
        #expect(try s.cs("-q", "tasks", in: clone).stderr.isEmpty)
        try s.ok("init", in: clone)
        #expect(!(try s.cs("tasks", in: clone)).stderr.contains("codex-state init"))
        #expect(!(try s.cs("tasks", in: origin)).stderr.contains("codex-state init"))
    }

    @Test func codexInstallWarnsWhenTheMCPServerIsMissing() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        let home = s.path("codex-home")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        // Beside the built binary the server is there: no warning.
        let fine = try s.cs("codex", "install", in: repo, env: ["CODEX_HOME": home])
        #expect(fine.ok && !fine.stderr.contains("codex-state-mcp"), "\(fine.stderr)")
        // A copy of codex-state alone in a directory.
        let lonely = s.path("lonely")
        try FileManager.default.createDirectory(atPath: lonely, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Sandbox.binary, toPath: lonely + "/codex-state")
        let home2 = s.path("codex-home-2")
        try FileManager.default.createDirectory(atPath: home2, withIntermediateDirectories: true)
        let r = try s.run(lonely + "/codex-state", ["codex", "install"], in: repo, env: ["CODEX_HOME": home2])
        #expect(r.ok, "\(r.stderr)")
        #expect(r.stderr.contains("warning: \(lonely)/codex-state-mcp is missing"), "\(r.stderr)")
    }
}
