import Foundation
import Testing

@Suite struct InitTests {
    @Test func initInRepositoryWithNoCommitsIsIdempotent() throws {
        let s = try Sandbox()
        let repo = try s.repo(commit: false)
        let first = try s.cs("init", in: repo)
        #expect(first.ok, "\(first.stderr)")
        #expect(first.stdout.contains("Initialized"))
        let file = repo + "/.codex-state/project_state.json"
        let before = s.bytes(file)
        #expect(FileManager.default.fileExists(atPath: repo + "/.codex-state/sessions"))
        let again = try s.cs("init", in: repo)
        #expect(again.ok)
        #expect(again.stdout.contains("Already initialized"))
        #expect(s.bytes(file) == before)
        // Tasks can be added and listed before the first commit.
        let id = try s.ok("task", "add", "First", in: repo)
        let listed = s.json(try s.ok("tasks", "--json", in: repo))
        #expect((listed["head"] as? [String: Any])?["unborn"] as? Bool == true)
        #expect(try s.tasks(in: repo)[id]?["ready"] as? Bool == true)
        let text = try s.ok("tasks", in: repo)
        #expect(text.contains("no commits yet"))
        // The state file is canonical and parses as JSON.
        let state = s.json(try s.read(file))
        #expect(state["schema"] as? Int == 1)
    }

    @Test func initRefusesOutsideARepository() throws {
        let s = try Sandbox()
        let dir = s.path("plain")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let r = try s.cs("init", in: dir, env: ["GIT_CEILING_DIRECTORIES": s.root])
        #expect(r.status == 1)
        #expect(r.stderr.contains("not a git repository"))
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: dir + "/.codex-state"))
    }

    @Test func linkedWorktreeKeepsItsOwnStateAndIndexUnderGitDir() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        try s.git("add", ".codex-state", ".gitattributes", in: repo)
        try s.git("commit", "-q", "-m", "state", in: repo)
        let wt = s.path("wt")
        try s.git("worktree", "add", "-q", "-b", "side", wt, in: repo)
        #expect(try s.cs("init", in: wt).ok)
        let id = try s.ok("task", "add", "In the worktree", in: wt)
        #expect(try s.tasks(in: wt)[id] != nil)
        #expect(try s.tasks(in: repo)[id] == nil)
        // Caches live under the worktree's git dir (where `.git` is a file), the journal under the common dir.
        #expect(FileManager.default.fileExists(atPath: repo + "/.git/worktrees/wt/codex-state/index.sqlite"))
        #expect(FileManager.default.fileExists(atPath: repo + "/.git/codex-state/journal.jsonl"))
        let status = try s.git("status", "--porcelain", "--untracked-files=all", in: wt)
        #expect(status == "M .codex-state/project_state.json")
    }

    @Test func indexFollowsHandEditsAndNeverTouchesTheWorkingTree() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        let id = try s.ok("task", "add", "Old title", in: repo)
        #expect(try s.ok("tasks", in: repo).contains("Old title"))
        let file = repo + "/.codex-state/project_state.json"
        try s.write(file, try s.read(file).replacingOccurrences(of: "Old title", with: "New title"))
        let listed = try s.ok("tasks", in: repo)
        #expect(listed.contains("New title"))
        #expect(!listed.contains("Old title"))
        #expect(try s.ok("task", "show", id, in: repo).contains("New title"))
        try s.git("add", "-A", in: repo)
        let tracked = try s.git("ls-files", in: repo).split(separator: "\n")
        #expect(
            tracked.sorted()
                == [".codex-state/project_state.json", ".codex-state/sessions/.gitkeep", ".gitattributes", "README"])
    }

    @Test func deletedOrCorruptIndexIsRebuilt() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        let id = try s.ok("task", "add", "Survives", in: repo)
        try s.write(repo + "/.git/codex-state/index.sqlite", "garbage, not sqlite")
        try? FileManager.default.removeItem(atPath: repo + "/.git/codex-state/index.sqlite-wal")
        #expect(try s.tasks(in: repo)[id] != nil)
        try FileManager.default.removeItem(atPath: repo + "/.git/codex-state/index.sqlite")
        #expect(try s.tasks(in: repo)[id] != nil)
    }
}

@Suite struct AnchoringTests {
    @Test func completionOnABranchIsDoneThereAndOnlyElsewhereUntilMerged() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        let a = try s.ok("task", "add", "Build parser", in: repo)
        let b = try s.ok("task", "add", "Use parser", "--dep", a, in: repo)
        try s.git("add", ".codex-state", in: repo)
        try s.git("commit", "-q", "-m", "plan", in: repo)
        try s.git("checkout", "-q", "-b", "feature", in: repo)
        try s.ok("task", "start", a, in: repo)
        try s.commit("parser.swift", "// parser\n", "Implement parser", in: repo)
        let done = s.json(try s.ok("complete", a, "--json", in: repo))
        #expect(done["branch"] as? String == "feature")
        let featureCommit = try s.git("rev-parse", "HEAD", in: repo)
        // Recorded with no commit named: the commit that adds it to the file will anchor it.
        #expect(done["commit"] is NSNull)
        _ = featureCommit
        #expect(try s.effective(a, in: repo) == "done")
        #expect(try s.tasks(in: repo)[b]?["ready"] as? Bool == true)

        // The uncommitted state rides along to main, where the commit is not reachable.
        try s.git("checkout", "-q", "main", in: repo)
        #expect(try s.effective(a, in: repo) == "done_elsewhere")
        #expect(try s.tasks(in: repo)[b]?["ready"] as? Bool == false)
        #expect(try s.ok("tasks", in: repo).contains("done@feature"))
        #expect(try s.ok("next", in: repo).contains("Nothing is ready"))

        // Committed on feature and merged: done on main too.
        try s.git("checkout", "-q", "feature", in: repo)
        try s.git("commit", "-q", "-am", "state: parser done", in: repo)
        try s.git("checkout", "-q", "main", in: repo)
        // main's own file says open, but feature's committed copy records the completion.
        #expect(try s.effective(a, in: repo) == "done_elsewhere")
        try s.git("merge", "-q", "--no-ff", "-m", "merge feature", "feature", in: repo)
        #expect(try s.effective(a, in: repo) == "done")
        #expect(try s.ok("next", in: repo).contains(b))
    }

    @Test func detachedHeadEvaluatesAtThatCommit() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        let a = try s.ok("task", "add", "A", in: repo)
        try s.commit("x", "1\n", "second", in: repo)
        try s.ok("complete", a, in: repo)
        try s.git("checkout", "-q", "--detach", "HEAD~1", in: repo)
        let listed = s.json(try s.ok("tasks", "--json", "--all", in: repo))
        let head = listed["head"] as? [String: Any]
        #expect(head?["detached"] as? Bool == true)
        #expect(head?["branch"] is NSNull)
        #expect(try s.effective(a, in: repo) == "done_elsewhere")
        #expect(try s.ok("tasks", in: repo).contains("HEAD detached at"))
        // Completing on a detached HEAD records no branch.
        let b = try s.ok("task", "add", "B", in: repo)
        let r = s.json(try s.ok("complete", b, "--json", in: repo))
        #expect(r["branch"] is NSNull)
        #expect(try s.effective(b, in: repo) == "done")
    }

    @Test func completeWithExplicitRevisionAndUnknownCommit() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        let a = try s.ok("task", "add", "A", in: repo)
        try s.commit("x", "1\n", "second", in: repo)
        let first = try s.git("rev-parse", "HEAD~1", in: repo)
        let r = s.json(try s.ok("complete", a, "--commit", "HEAD~1", "--note", "earlier", "--json", in: repo))
        #expect(r["commit"] as? String == first)
        let shown = s.json(try s.ok("task", "show", a, "--json", in: repo))
        let completion = (shown["task"] as? [String: Any])?["completion"] as? [String: Any]
        #expect(completion?["note"] as? String == "earlier")
        #expect(completion?["actor"] as? String == "tester")
        // A completion naming a commit this clone has never seen.
        let file = repo + "/.codex-state/project_state.json"
        try s.write(file, try s.read(file).replacingOccurrences(of: first, with: String(repeating: "ab", count: 20)))
        #expect(try s.effective(a, in: repo) == "done_unknown")
    }

    @Test func nonUTF8CommitMessageOnHeadDoesNotBreakAnything() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        let a = try s.ok("task", "add", "A", in: repo)
        // git itself repairs invalid UTF-8 in `commit`, so write the commit object by hand.
        try s.commit("y", "y\n", "placeholder", in: repo)
        let raw = try s.git("cat-file", "commit", "HEAD", in: repo)
        var object = Data(raw.replacingOccurrences(of: "placeholder", with: "fix ").utf8)
        object.append(contentsOf: [0xFF, 0xFE, 0xC3, 0x0A])
        FileManager.default.createFile(atPath: s.path("commit-object"), contents: object)
        let forged = try s.git("hash-object", "-t", "commit", "-w", "--literally", s.path("commit-object"), in: repo)
        try s.git("update-ref", "HEAD", forged, in: repo)
        let listed = try s.cs("tasks", in: repo)
        #expect(listed.ok)
        #expect(listed.stdout.contains("fix \u{FFFD}"))
        #expect(try s.cs("tasks", "--json", in: repo).ok)
        #expect(try s.cs("complete", a, in: repo).ok)
        #expect(try s.effective(a, in: repo) == "done")
    }

    @Test func defaultActorIsGitUserName() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.git("config", "user.name", "Repo Person", in: repo)
        try s.ok("init", in: repo)
        let id = try s.run(Sandbox.binary, ["task", "add", "x"], in: repo, env: ["CODEX_STATE_ACTOR": ""]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let shown = s.json(try s.ok("task", "show", id, "--json", in: repo))
        #expect(((shown["task"] as? [String: Any])?["created"] as? [String: Any])?["actor"] as? String == "Repo Person")
        let flagged = try s.ok("task", "add", "y", "--actor", "Flag Person", in: repo)
        let shown2 = s.json(try s.ok("task", "show", flagged, "--json", in: repo))
        #expect(
            ((shown2["task"] as? [String: Any])?["created"] as? [String: Any])?["actor"] as? String == "Flag Person")
    }
}
