import Foundation
import Testing

/// One truth across branches and worktrees (issue 7): every read evaluates each task over every
/// copy of the state the clone can see.
@Suite struct CopiesTests {
    /// A repository with the state committed on main, holding tasks `a` and `b` (b waits on a).
    func world(_ s: Sandbox) throws -> (repo: String, a: String, b: String) {
        let repo = try s.repo()
        try s.ok("init", in: repo)
        let a = try s.ok("task", "add", "Build the parser", in: repo)
        let b = try s.ok("task", "add", "Use the parser", "--dep", a, in: repo)
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "state", in: repo)
        return (repo, a, b)
    }

    func next(_ s: Sandbox, in dir: String, env: [String: String] = [:]) throws -> [String] {
        let r = try s.cs("next", "-n", "10", "--json", in: dir, env: env)
        #expect(r.ok, "\(r.stderr)")
        let obj = s.json(r.stdout)
        return (obj["candidates"] as? [[String: Any]] ?? []).compactMap {
            ($0["task"] as? [String: Any])?["id"] as? String
        }
    }

    func place(_ t: [String: Any]?) -> String? { (t?["elsewhere"] as? [String: Any])?["place"] as? String }

    @Test func completionCommittedOnFeatureIsDoneAtFeatureOnMainAndItsBranchesUntilMerged() throws {
        let s = try Sandbox()
        let (repo, a, b) = try world(s)
        try s.git("checkout", "-q", "-b", "feature", in: repo)
        try s.commit("parser.c", "int parse;\n", "parser", in: repo)
        try s.ok("complete", a, in: repo)
        try s.git("commit", "-q", "-am", "done: parser", in: repo)
        try s.git("checkout", "-q", "main", in: repo)
        for branch in ["main", "from-main"] {
            if branch != "main" { try s.git("checkout", "-q", "-b", branch, "main", in: repo) }
            let tasks = try s.tasks(in: repo)
            #expect(tasks[a]?["effective_status"] as? String == "done_elsewhere", "on \(branch)")
            #expect(place(tasks[a]) == "feature", "on \(branch)")
            #expect(tasks[a]?["ready"] as? Bool == false)
            #expect(tasks[b]?["ready"] as? Bool == false, "a dependent still waits on \(branch)")
            #expect(try next(s, in: repo).isEmpty, "next offers nothing on \(branch)")
            #expect(try s.ok("tasks", in: repo).contains("done@feature"))
        }
        try s.git("checkout", "-q", "main", in: repo)
        try s.git("merge", "-q", "feature", in: repo)
        #expect(try s.effective(a, in: repo) == "done")
        #expect(try next(s, in: repo) == [b])
    }

    @Test func startCommittedOnFeatureIsInProgressAtFeatureOnMain() throws {
        let s = try Sandbox()
        let (repo, a, _) = try world(s)
        let c = try s.ok("task", "add", "Independent", in: repo)
        try s.git("commit", "-q", "-am", "more", in: repo)
        try s.git("checkout", "-q", "-b", "feature", in: repo)
        try s.run(Sandbox.binary, ["task", "start", a], in: repo, env: ["CODEX_STATE_ACTOR": "alice"])
        try s.git("commit", "-q", "-am", "start", in: repo)
        try s.git("checkout", "-q", "main", in: repo)
        let t = try s.tasks(in: repo)[a]
        #expect(t?["effective_status"] as? String == "in_progress")
        #expect(place(t) == "feature")
        #expect((t?["elsewhere"] as? [String: Any])?["actor"] as? String == "alice")
        #expect(try next(s, in: repo) == [c])
        let text = try s.ok("tasks", in: repo)
        #expect(text.contains("in_progress@feature") && text.contains("@alice"))
        #expect(try s.ok("task", "show", a, in: repo).contains("elsewhere:  in progress in feature by alice"))
        // Starting it here anyway needs --force.
        let start = try s.cs("task", "start", a, in: repo)
        #expect(start.status == 1)
        #expect(start.stderr.contains("in progress in feature by alice"))
    }

    @Test func eightConcurrentClaimsOverTwoWorktreesGetEightDistinctTasks() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        for i in 0..<10 { try s.ok("task", "add", "Task \(i)", in: repo) }
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "state", in: repo)
        let wt = s.path("wt")
        try s.git("worktree", "add", "-q", "-b", "side", wt, in: repo)
        var procs: [(Process, String)] = []
        for i in 0..<8 {
            let out = s.path("claim-\(i).json")
            FileManager.default.createFile(atPath: out, contents: nil)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Sandbox.binary)
            p.arguments = ["next", "--claim", "--json"]
            p.currentDirectoryURL = URL(fileURLWithPath: i % 2 == 0 ? repo : wt)
            p.environment = s.env.merging(["CODEX_STATE_ACTOR": "agent\(i)"]) { $1 }
            p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
            p.standardError = FileHandle.nullDevice
            procs.append((p, out))
        }
        for (p, _) in procs { try p.run() }
        var claimed: [String] = []
        for (p, out) in procs {
            p.waitUntilExit()
            #expect(p.terminationStatus == 0)
            if let c = s.json(try s.read(out))["claimed"] as? String { claimed.append(c) }
        }
        #expect(claimed.count == 8)
        #expect(Set(claimed).count == 8, "\(claimed.sorted())")
        // Each worktree sees the other's claims at once, uncommitted: 2 tasks left to offer.
        #expect(try next(s, in: repo).count == 2)
        #expect(try next(s, in: wt).count == 2)
    }

    @Test func claimInOneWorktreeIsSeenByNextInAnotherAtOnce() throws {
        let s = try Sandbox()
        let (repo, a, _) = try world(s)
        let wt = s.path("wt")
        try s.git("worktree", "add", "-q", "-b", "side", wt, in: repo)
        let r = try s.run(
            Sandbox.binary, ["next", "--claim", "--json"], in: wt, env: ["CODEX_STATE_ACTOR": "bob"])
        #expect(s.json(r.stdout)["claimed"] as? String == a)
        let t = try s.tasks(in: repo)[a]
        #expect(t?["effective_status"] as? String == "in_progress")
        #expect(place(t) == "worktree wt")
        #expect(try next(s, in: repo).isEmpty)
        #expect(try s.ok("tasks", in: repo).contains("in_progress@worktree wt"))
    }

    @Test func expiredClaimIsStaleAndOfferedAgainWithAMarker() throws {
        let s = try Sandbox()
        let (repo, a, _) = try world(s)
        let claim = try s.run(
            Sandbox.binary, ["next", "--claim", "--lease", "30"], in: repo, env: ["CODEX_STATE_ACTOR": "crashed"])
        #expect(claim.ok && claim.stdout.contains(a))
        // Within the lease: nobody else is offered it.
        let early = ["CODEX_STATE_NOW": "2026-01-15T09:20:00Z", "CODEX_STATE_ACTOR": "other"]
        #expect(try next(s, in: repo, env: early).isEmpty)
        #expect(try s.cs("tasks", "--stale", in: repo, env: early).stdout.contains("No tasks match"))
        // After it: stale, listed by --stale, offered with the marker, and claimable.
        let late = ["CODEX_STATE_NOW": "2026-01-15T10:00:00Z", "CODEX_STATE_ACTOR": "other"]
        #expect(try s.cs("tasks", "--stale", in: repo, env: late).stdout.contains("\(a)  stale"))
        let text = try s.cs("next", in: repo, env: late).stdout
        #expect(text.contains("[stale] \(a)"), "\(text)")
        let json = s.json(try s.cs("next", "--json", in: repo, env: late).stdout)
        let first = (json["candidates"] as? [[String: Any]])?.first
        #expect((first?["terms"] as? [String: Any])?["stale"] as? Bool == true)
        #expect((first?["task"] as? [String: Any])?["effective_status"] as? String == "stale")
        let retake = s.json(try s.cs("next", "--claim", "--json", in: repo, env: late).stdout)
        #expect(retake["claimed"] as? String == a)
        #expect(try s.cs("tasks", "--json", in: repo, env: late).stdout.contains("\"started_by\": \"other\""))
    }

    @Test func teammatesCompletionOnAFetchedBranchIsDoneAtTheRemoteTrackingBranch() throws {
        let s = try Sandbox()
        let (upstream, a, _) = try world(s)
        let mine = s.path("mine")
        try s.git("clone", "-q", upstream, mine, in: s.root)
        try s.ok("init", in: mine)
        try s.git("checkout", "-q", "-b", "x", in: upstream)
        try s.commit("parser.c", "int parse;\n", "parser", in: upstream)
        try s.ok("complete", a, in: upstream)
        try s.git("commit", "-q", "-am", "done", in: upstream)
        #expect(try s.effective(a, in: mine) == "open", "not fetched yet: a second clone does not see it")
        try s.git("fetch", "-q", "origin", in: mine)
        let t = try s.tasks(in: mine)[a]
        #expect(t?["effective_status"] as? String == "done_elsewhere")
        #expect(place(t) == "origin/x")
        #expect(try s.ok("tasks", in: mine).contains("done@origin/x"))
    }

    @Test func cherryPickedWorkIsNotReadyAnywhere() throws {
        let s = try Sandbox()
        let (repo, a, _) = try world(s)
        try s.git("branch", "before-pick", in: repo)
        try s.git("checkout", "-q", "-b", "feature", in: repo)
        try s.commit("parser.c", "int parse;\n", "parser", in: repo)
        let work = try s.git("rev-parse", "HEAD", in: repo)
        try s.ok("complete", a, in: repo)
        try s.git("commit", "-q", "-am", "done", in: repo)
        try s.git("checkout", "-q", "main", in: repo)
        try s.commit("other.c", "int other;\n", "other work on main", in: repo)
        try s.git("cherry-pick", work, in: repo)
        let here = try s.tasks(in: repo)[a]
        #expect(here?["effective_status"] as? String == "done", "the code is on main: done here")
        #expect((here?["recovered"] as? [String: Any])?["method"] as? String == "patch-id")
        #expect(try !next(s, in: repo).contains(a))
        try s.git("checkout", "-q", "before-pick", in: repo)
        #expect(try s.effective(a, in: repo) == "done_elsewhere")
        #expect(try !next(s, in: repo).contains(a))
        for dir in ["main", "before-pick"] {
            try s.git("checkout", "-q", dir, in: repo)
            let md = try s.ok("preamble", in: repo)
            let nextReady =
                md.components(separatedBy: "## Next ready").dropFirst().first?.components(separatedBy: "\n## ").first
            #expect(nextReady != nil && !(nextReady ?? "").contains(a), "\(md)")
        }
    }

    @Test func codeOnlyCherryPickNamingAnOpenTaskIsNotOfferedAgain() throws {
        let s = try Sandbox()
        let (repo, a, b) = try world(s)
        try s.git("checkout", "-q", "-b", "feature", in: repo)
        try s.write(repo + "/parser.c", "int parse;\n")
        try s.git("add", "parser.c", in: repo)
        try s.git("commit", "-q", "-m", "Parser\n\nCodex-Task: \(a)", in: repo)
        let work = try s.git("rev-parse", "HEAD", in: repo)
        try s.git("checkout", "-q", "main", in: repo)
        try s.commit("other.c", "int other;\n", "other work on main", in: repo)
        try s.git("cherry-pick", work, in: repo)
        let picked = try s.git("rev-parse", "HEAD", in: repo)
        // check knows (CS040) and so do the views: not ready, not offered, dependents wait.
        #expect(try s.cs("check", in: repo).stdout.contains("CS040"))
        let t = try s.tasks(in: repo)
        #expect(t[a]?["effective_status"] as? String == "in_progress")
        #expect(place(t[a]) == "commit " + picked.prefix(7))
        #expect(t[b]?["ready"] as? Bool == false)
        #expect(try next(s, in: repo).isEmpty)
    }

    @Test func deletingABranchOrAWorktreeRemovesItsFactsOnTheNextRead() throws {
        let s = try Sandbox()
        let (repo, a, _) = try world(s)
        try s.git("checkout", "-q", "-b", "feature", in: repo)
        try s.ok("task", "start", a, in: repo)
        try s.git("commit", "-q", "-am", "start", in: repo)
        try s.git("checkout", "-q", "main", in: repo)
        #expect(try s.effective(a, in: repo) == "in_progress")
        try s.git("branch", "-D", "-q", "feature", in: repo)
        #expect(try next(s, in: repo) == [a])
        let wt = s.path("wt")
        try s.git("worktree", "add", "-q", "-b", "side", wt, in: repo)
        try s.ok("task", "start", a, in: wt)
        #expect(try s.effective(a, in: repo) == "in_progress")
        try s.git("worktree", "remove", "--force", wt, in: repo)
        try s.git("branch", "-D", "-q", "side", in: repo)
        #expect(try next(s, in: repo) == [a])
    }

    @Test func unreadableCopiesOnOtherBranchesAreSkippedWithOneWarningEachAndReportedByCheck() throws {
        let s = try Sandbox()
        let (repo, a, _) = try world(s)
        let file = repo + "/.codex-state/project_state.json"
        let good = try s.read(file)
        let bad = [
            "conflicted": "<<<<<<< ours\n" + good + "=======\n" + good + ">>>>>>> theirs\n",
            "future": good.replacingOccurrences(of: "\"schema\": 1", with: "\"schema\": 99"),
            "garbage": "{ not json",
        ]
        for (branch, content) in bad.sorted(by: { $0.key < $1.key }) {
            try s.git("checkout", "-q", "-b", branch, "main", in: repo)
            try s.write(file, content)
            try s.git("commit", "-q", "-am", "break", in: repo)
        }
        try s.git("checkout", "-q", "main", in: repo)
        for _ in 0..<2 {  // cold, then from the caches
            let r = try s.cs("tasks", in: repo)
            #expect(r.ok, "\(r.stderr)")
            #expect(r.stdout.contains(a))
            for branch in bad.keys {
                let lines = r.stderr.split(separator: "\n").filter { $0.contains("refs/heads/\(branch)") }
                #expect(lines.count == 1, "\(branch): \(r.stderr)")
            }
        }
        #expect(try next(s, in: repo) == [a])
        let check = try s.cs("check", "--format", "json", in: repo)
        for branch in bad.keys { #expect(check.stdout.contains("refs/heads/\(branch)"), "\(check.stdout)") }
        #expect(check.stdout.contains("CS070"))
    }

    /// A cold read does not parse the committed copy of the branch checked out (this worktree's
    /// file supersedes it); the facts it keeps without that copy still let a read on another
    /// branch see it.
    @Test func theCheckedOutBranchsCommittedCopyIsSkippedYetCountsFromOtherBranches() throws {
        let s = try Sandbox()
        let (repo, a, _) = try world(s)
        let file = repo + "/.codex-state/project_state.json"
        let good = try s.read(file)
        try s.git("checkout", "-q", "-b", "feature", in: repo)
        try s.commit("parser.c", "int parse;\n", "parser", in: repo)
        try s.ok("complete", a, in: repo)
        try s.git("commit", "-q", "-am", "done: parser", in: repo)
        // A branch whose committed file is conflicted, fixed in the worktree but not committed.
        try s.git("checkout", "-q", "-b", "broken", "main", in: repo)
        try s.write(file, "<<<<<<< ours\n" + good + "=======\n" + good + ">>>>>>> theirs\n")
        try s.git("commit", "-q", "-am", "break", in: repo)
        try s.write(file, good)
        for branch in ["feature", "broken"] {
            try s.git("checkout", "-q", "-f", branch, in: repo)
            if branch == "broken" { try s.write(file, good) }
            for cold in [true, false] {
                if cold {
                    for suffix in ["", "-wal", "-shm"] {
                        try? FileManager.default.removeItem(atPath: repo + "/.git/codex-state/index.sqlite" + suffix)
                    }
                }
                let check = try s.cs("check", "--format", "json", in: repo)
                #expect(!check.stdout.contains("(refs/heads/\(branch))"), "on \(branch): \(check.stdout)")
                let r = try s.cs("tasks", in: repo)
                #expect(r.ok, "\(r.stderr)")
                #expect(!r.stderr.contains("refs/heads/\(branch)"), "on \(branch): \(r.stderr)")
                #expect(r.stderr.contains("refs/heads/broken") == (branch != "broken"), "on \(branch): \(r.stderr)")
                #expect(try s.effective(a, in: repo) == (branch == "feature" ? "done" : "done_elsewhere"))
            }
        }
        try s.git("checkout", "-q", "-f", "main", in: repo)
        let tasks = try s.tasks(in: repo)
        #expect(tasks[a]?["effective_status"] as? String == "done_elsewhere")
        #expect(place(tasks[a]) == "feature")
        let check = try s.cs("check", "--format", "json", in: repo)
        #expect(check.stdout.contains("(refs/heads/broken)"), "\(check.stdout)")
    }

    @Test func copiesThatDisagreeAreReportedWithTheMergeDriversRule() throws {
        let s = try Sandbox()
        let (repo, a, _) = try world(s)
        try s.git("checkout", "-q", "-b", "dropped", in: repo)
        try s.ok("task", "cancel", a, in: repo)
        try s.git("commit", "-q", "-am", "cancel", in: repo)
        try s.git("checkout", "-q", "-b", "finished", "main", in: repo)
        try s.commit("parser.c", "int parse;\n", "parser", in: repo)
        try s.ok("complete", a, in: repo)
        try s.git("commit", "-q", "-am", "done", in: repo)
        try s.git("checkout", "-q", "main", in: repo)
        let t = try s.tasks(in: repo)[a]
        #expect(t?["effective_status"] as? String == "done_elsewhere")
        let said = t?["disagreement"] as? String ?? ""
        #expect(said.contains("finished") && said.contains("dropped") && said.contains("done wins"), "\(said)")
        let text = try s.ok("tasks", in: repo)
        #expect(text.contains("!copies-disagree"))
        let check = try s.cs("check", in: repo)
        #expect(check.stdout.contains("CS071"), "\(check.stdout)")
    }

    @Test func doneAtBranchNamesABranchThatContainsTheCommit() throws {
        let s = try Sandbox()
        let (repo, a, _) = try world(s)
        try s.git("checkout", "-q", "-b", "feature", in: repo)
        try s.commit("parser.c", "int parse;\n", "parser", in: repo)
        try s.git("checkout", "-q", "main", in: repo)
        try s.ok("complete", a, "--commit", "feature", in: repo)
        let t = try s.tasks(in: repo)[a]
        #expect(place(t) == "feature")
        #expect(try s.ok("tasks", in: repo).contains("done@feature"))
    }

    @Test func tasksOnlyInAnotherCopyAreListedWithEverywhereOnly() throws {
        let s = try Sandbox()
        let (repo, _, _) = try world(s)
        try s.git("checkout", "-q", "-b", "feature", in: repo)
        let only = try s.ok("task", "add", "Only on feature", in: repo)
        try s.git("commit", "-q", "-am", "add", in: repo)
        try s.git("checkout", "-q", "main", in: repo)
        #expect(try !s.ok("tasks", "--all", in: repo).contains(only))
        #expect(try !next(s, in: repo).contains(only))
        let everywhere = try s.ok("tasks", "--everywhere", in: repo)
        #expect(everywhere.contains(only) && everywhere.contains("(only in feature)"), "\(everywhere)")
    }
}
