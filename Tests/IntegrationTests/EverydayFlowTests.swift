import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The flow agents actually use, with the hooks installed: edit, complete, commit; amend;
/// `git rebase -i` with every todo verb. git must never stop because of codex-state.
@Suite struct InteractiveRebaseTests {
    /// plan (task a, b) → implement (work) → state (a done) → more (work + a new task).
    struct World {
        let s: Sandbox
        let repo: String
        let task: String
        let base: String
        let work: String
        let stateCommit: String
    }

    func world(fixupState: Bool = false) throws -> World {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        let a = try s.ok("task", "add", "Implement", in: repo)
        try s.git("add", ".", in: repo)
        try s.git("commit", "-q", "-m", "plan", in: repo)
        let base = try s.git("rev-parse", "HEAD", in: repo)
        try s.commit("f.txt", "work\n", "implement", in: repo)
        let work = try s.git("rev-parse", "HEAD", in: repo)
        try s.ok("complete", a, "--commit", "HEAD", in: repo)
        if fixupState {
            try s.git("commit", "-q", "-a", "--fixup", work, in: repo)
        } else {
            try s.git("commit", "-q", "-am", "state", in: repo)
        }
        let stateCommit = try s.git("rev-parse", "HEAD", in: repo)
        try s.commit("x.txt", "extra\n", "extra", in: repo)
        try s.ok("task", "add", "Later", in: repo)
        try s.write(repo + "/g.txt", "more\n")
        try s.git("add", ".", in: repo)
        try s.git("commit", "-q", "-m", "more", in: repo)
        return World(s: s, repo: repo, task: a, base: base, work: work, stateCommit: stateCommit)
    }

    /// Runs `git rebase -i BASE` with the todo list edited by `sed` expressions.
    func rebase(_ w: World, sed: [String], extra: [String] = [], editor: String = "true") throws -> Run {
        let script = w.s.path("seq-editor.sh")
        let expressions = sed.map { "-e '\($0)'" }.joined(separator: " ")
        try w.s.write(script, "#!/bin/sh\nsed -i \(expressions) \"$1\"\n")
        chmod(script, 0o755)
        return try w.s.run(
            "git", ["rebase", "-i"] + extra + [w.base], in: w.repo,
            env: ["GIT_SEQUENCE_EDITOR": sed.isEmpty ? "true" : script, "GIT_EDITOR": editor])
    }

    /// The rebase finished, left nothing but (possibly) the re-anchored state file, and the task
    /// is done, anchored to the commit that now holds the work.
    func expectFinished(_ w: World, _ r: Run, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(r.ok, "rebase stopped: \(r.stderr)", sourceLocation: sourceLocation)
        #expect(!FileManager.default.fileExists(atPath: w.repo + "/.git/rebase-merge"), sourceLocation: sourceLocation)
        let status = try w.s.git("status", "--porcelain", in: w.repo)
        #expect(
            status.isEmpty || status == "M .codex-state/project_state.json", "\(status)", sourceLocation: sourceLocation
        )
        let holder = try w.s.git("log", "-1", "--format=%H", "--", "f.txt", in: w.repo)
        let shown = w.s.json(try w.s.ok("task", "show", w.task, "--json", in: w.repo))
        let completion = (shown["task"] as? [String: Any])?["completion"] as? [String: Any]
        #expect(completion?["commit"] as? String == holder, sourceLocation: sourceLocation)
        #expect(try w.s.effective(w.task, in: w.repo) == "done", sourceLocation: sourceLocation)
        #expect(try w.s.tasks(in: w.repo).count == 2, sourceLocation: sourceLocation)
    }

    @Test func fixupOfTheStateCommitIntoTheWorkNeverStops() throws {
        let w = try world()
        try expectFinished(w, try rebase(w, sed: ["s/^pick \\(.*\\) state$/fixup \\1 state/"]))
    }

    @Test func squashNeverStops() throws {
        let w = try world()
        try expectFinished(w, try rebase(w, sed: ["s/^pick \\(.*\\) state$/squash \\1 state/"]))
    }

    @Test func rewordNeverStops() throws {
        let w = try world()
        let r = try rebase(
            w, sed: ["s/^pick \\(.*\\) implement$/reword \\1 implement/", "s/^pick \\(.*\\) state$/reword \\1 state/"],
            editor: "sed -i 1s/$/!/")
        try expectFinished(w, r)
        #expect(try w.s.git("log", "--format=%s", "-5", in: w.repo) == "more\nextra\nstate!\nimplement!\nplan")
    }

    @Test func editWithAnAmendAtTheStopNeverStopsAgain() throws {
        let w = try world()
        let r = try rebase(
            w, sed: ["s/^pick \\(.*\\) implement$/edit \\1 implement/", "s/^pick \\(.*\\) state$/fixup \\1 state/"])
        #expect(r.ok, "\(r.stderr)")
        try w.s.write(w.repo + "/f.txt", "work, amended\n")
        try w.s.git("commit", "-q", "-a", "--amend", "--no-edit", in: w.repo)
        #expect(try w.s.git("status", "--porcelain", in: w.repo).isEmpty)
        let c = try w.s.run("git", ["rebase", "--continue"], in: w.repo, env: ["GIT_EDITOR": "true"])
        try expectFinished(w, c)
    }

    @Test func dropNeverStops() throws {
        let w = try world()
        try expectFinished(
            w, try rebase(w, sed: ["/^pick .* extra$/d", "s/^pick \\(.*\\) state$/fixup \\1 state/"]))
        #expect(!FileManager.default.fileExists(atPath: w.repo + "/x.txt"))
    }

    @Test func execNeverStops() throws {
        let w = try world()
        let r = try rebase(w, sed: ["s/^pick \\(.*\\) state$/fixup \\1 state/"], extra: ["--exec", "git status -s"])
        try expectFinished(w, r)
    }

    @Test func autosquashNeverStops() throws {
        let w = try world(fixupState: true)
        try expectFinished(w, try rebase(w, sed: [], extra: ["--autosquash"]))
        #expect(try w.s.git("log", "--format=%s", "-4", in: w.repo) == "more\nextra\nimplement\nplan")
    }

    @Test func abortLeavesNothingBehind() throws {
        let w = try world()
        let before = try w.s.git("rev-parse", "HEAD", in: w.repo)
        let state = try w.s.read(w.repo + "/.codex-state/project_state.json")
        let mapFile = w.repo + "/.git/codex-state/rewrites.jsonl"
        let map = (try? w.s.read(mapFile)) ?? ""
        let r = try rebase(
            w,
            sed: [
                "s/^pick \\(.*\\) state$/fixup \\1 state/", "s/^pick \\(.*\\) extra$/edit \\1 extra/",
            ])
        #expect(r.ok, "\(r.stderr)")
        try w.s.git("commit", "-q", "--amend", "-m", "extra, amended", in: w.repo)
        try w.s.git("rebase", "--abort", in: w.repo)
        #expect(try w.s.git("rev-parse", "HEAD", in: w.repo) == before)
        #expect(try w.s.git("status", "--porcelain", in: w.repo).isEmpty)
        #expect(try w.s.read(w.repo + "/.codex-state/project_state.json") == state)
        #expect(((try? w.s.read(mapFile)) ?? "") == map)
        #expect(try w.s.effective(w.task, in: w.repo) == "done")
    }
}

/// Item 1: finish the edits, `complete`, commit — the task ends anchored to the commit that holds
/// the work, and nothing is left to commit, with or without an amend.
@Suite struct CompleteThenCommitTests {
    func world() throws -> (Sandbox, String, String) {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        let a = try s.ok("task", "add", "Implement", in: repo)
        try s.git("add", ".", in: repo)
        try s.git("commit", "-q", "-m", "plan", in: repo)
        return (s, repo, a)
    }

    func anchor(_ s: Sandbox, _ id: String, in repo: String) throws -> (commit: String?, how: String?) {
        let shown = s.json(try s.ok("task", "show", id, "--json", in: repo))
        let a = shown["anchor"] as? [String: Any]
        return (a?["commit"] as? String, a?["how"] as? String)
    }

    @Test func editCompleteCommitAnchorsTheCommitHoldingTheWork() throws {
        let (s, repo, a) = try world()
        try s.write(repo + "/f.txt", "work\n")
        try s.git("add", "f.txt", in: repo)
        let done = try s.ok("complete", a, in: repo)
        #expect(done.contains("commit .codex-state/ with the work"))
        #expect(try s.effective(a, in: repo) == "done")
        #expect(try anchor(s, a, in: repo) == (nil, "uncommitted"))
        try s.git("commit", "-q", "-am", "implement", in: repo)
        let work = try s.git("rev-parse", "HEAD", in: repo)
        #expect(try s.git("status", "--porcelain", in: repo).isEmpty)
        #expect(try anchor(s, a, in: repo) == (work, "introduced"))
        #expect(try s.effective(a, in: repo) == "done")
        #expect(try s.ok("task", "show", a, in: repo).contains("at \(work.prefix(7)) (the commit with the work"))
        // Later commits do not move it.
        try s.commit("g.txt", "more\n", "more", in: repo)
        #expect(try anchor(s, a, in: repo) == (work, "introduced"))
        let check = try s.cs("check", in: repo)
        #expect(check.ok, "\(check.stdout)\(check.stderr)")
    }

    @Test func completeThenAmendLeavesACleanTree() throws {
        let (s, repo, a) = try world()
        try s.commit("f.txt", "work\n", "implement", in: repo)
        try s.ok("complete", a, in: repo)
        try s.git("add", ".codex-state", in: repo)
        try s.git("commit", "-q", "--amend", "--no-edit", in: repo)
        #expect(try s.git("status", "--porcelain", in: repo).isEmpty)
        var head = try s.git("rev-parse", "HEAD", in: repo)
        #expect(try anchor(s, a, in: repo) == (head, "introduced"))
        // Amending again (a message fix) keeps it clean and anchored.
        try s.git("commit", "-q", "--amend", "-m", "implement it", in: repo)
        #expect(try s.git("status", "--porcelain", in: repo).isEmpty)
        head = try s.git("rev-parse", "HEAD", in: repo)
        #expect(try anchor(s, a, in: repo) == (head, "introduced"))
        #expect(try s.effective(a, in: repo) == "done")
    }

    @Test func aRebaseMovesTheAnchorWithoutTouchingTheFile() throws {
        let (s, repo, a) = try world()
        try s.git("checkout", "-q", "-b", "feature", in: repo)
        try s.write(repo + "/f.txt", "work\n")
        try s.git("add", "f.txt", in: repo)
        try s.ok("complete", a, in: repo)
        try s.git("commit", "-q", "-am", "implement", in: repo)
        try s.git("checkout", "-q", "main", in: repo)
        #expect(try s.effective(a, in: repo) == "done_elsewhere", "done@feature (issue 7), not here")
        try s.commit("m.txt", "main\n", "main moves", in: repo)
        try s.git("checkout", "-q", "feature", in: repo)
        try s.git("rebase", "-q", "main", in: repo)
        let status = try s.git("status", "--porcelain", "--untracked-files=no", in: repo)
        #expect(status.isEmpty, "\(status)")
        #expect(try anchor(s, a, in: repo) == (try s.git("rev-parse", "HEAD", in: repo), "introduced"))
        #expect(try s.effective(a, in: repo) == "done")
    }

    @Test func theFirstCommitOfARepositoryAnchorsACompletionMadeBeforeIt() throws {
        let s = try Sandbox()
        let repo = try s.repo(commit: false)
        try s.ok("init", in: repo)
        let a = try s.ok("task", "add", "Start the project", in: repo)
        try s.write(repo + "/README", "hello\n")
        try s.ok("complete", a, in: repo)
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "initial", in: repo)
        #expect(try anchor(s, a, in: repo) == (try s.git("rev-parse", "HEAD", in: repo), "introduced"))
    }

    @Test func thePreambleTellsAgentsTheOneFlow() throws {
        let (s, repo, _) = try world()
        let text = try s.ok("preamble", in: repo)
        #expect(text.contains("then commit the edits with `.codex-state/`"))
    }
}

/// Item 5: a session belongs to its branch — never written into another branch's working tree,
/// never lost to `git clean`.
@Suite struct SessionPlacementTests {
    @Test func sessionsNeverLitterAnotherBranchAndSurviveGitClean() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "track state", in: repo)
        try s.git("branch", "feature", in: repo)
        // An afternoon of switching, with work on both branches.
        for round in 0..<3 {
            try s.git("checkout", "-q", "feature", in: repo)
            try s.commit("f\(round).txt", "f\n", "feature work \(round)", in: repo)
            try s.git("checkout", "-q", "main", in: repo)
            let status = try s.git("status", "--porcelain", "--untracked-files=all", in: repo)
            #expect(!status.contains("_feature_"), "\(status)")
            try s.commit("m\(round).txt", "m\n", "main work \(round)", in: repo)
        }
        try s.git("checkout", "-q", "feature", in: repo)
        // feature's sessions arrive on feature; main's do not.
        let here = try s.git("status", "--porcelain", "--untracked-files=all", in: repo)
        #expect(!here.isEmpty && !here.contains("_main_"), "\(here)")
        #expect(
            here.split(separator: "\n").allSatisfy {
                $0.hasPrefix("?? .codex-state/sessions/") && $0.contains("_feature_")
            })
        // git clean deletes the working-tree copies; the clone still has every session.
        try s.git("clean", "-q", "-f", "-d", "-x", in: repo)
        let listed = s.json(try s.ok("session", "list", "--all", "--json", in: repo))
        let branches = (listed["sessions"] as? [[String: Any]] ?? []).compactMap { $0["branch"] as? String }
        #expect(branches.filter { $0 == "feature" }.count == 3 && branches.filter { $0 == "main" }.count == 3)
        // The next visit brings them back, to be committed on their own branch.
        try s.git("checkout", "-q", "main", in: repo)
        let onMain = try s.git("status", "--porcelain", "--untracked-files=all", in: repo)
        #expect(onMain.split(separator: "\n").count == 3 && !onMain.contains("_feature_"), "\(onMain)")
        try s.git("add", ".codex-state", in: repo)
        try s.git("commit", "-q", "-m", "main's sessions", in: repo)
        try s.git("checkout", "-q", "feature", in: repo)
        try s.git("checkout", "-q", "main", in: repo)
        // Committed sessions are not delivered again (only the session that just ended arrives).
        let again = try s.git("status", "--porcelain", "--untracked-files=all", in: repo)
        #expect(again.split(separator: "\n").count <= 1, "\(again)")
        for line in onMain.split(separator: "\n") { #expect(!again.contains(line.dropFirst(3))) }
    }
}

/// Item 3: recovery finds the commit that finished a task, never any commit that mentions it.
@Suite struct DroppedCompletionTests {
    @Test func aDroppedFinishingCommitIsNotRescuedByAWorkInProgressTrailer() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        try s.ok("hooks", "install", "--trailers", in: repo)
        let a = try s.ok("task", "add", "Two steps", in: repo)
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "plan", in: repo)
        let base = try s.git("rev-parse", "HEAD", in: repo)
        try s.ok("task", "start", a, in: repo)
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "start", in: repo)
        try s.commit("one", "1\n", "first step", in: repo)
        try s.commit("two", "2\n", "finishing step", in: repo)
        #expect(try s.git("log", "-1", "--format=%B", in: repo).contains("Codex-Task: \(a)"))
        try s.ok("complete", a, "--commit", "HEAD", in: repo)
        try s.git("commit", "-q", "-am", "state: done", in: repo)
        let editor = s.path("drop.sh")
        try s.write(editor, "#!/bin/sh\nsed -i '/ finishing step$/d' \"$1\"\n")
        chmod(editor, 0o755)
        let r = try s.run(
            "git", ["rebase", "-i", base], in: repo, env: ["GIT_SEQUENCE_EDITOR": editor, "GIT_EDITOR": "true"])
        #expect(r.ok, "\(r.stderr)")
        #expect(r.stderr.contains("no longer done here"))
        // "first step" names the task too, as work in progress: it did not finish it.
        #expect(try s.effective(a, in: repo) == "done_elsewhere")
        #expect(!(try s.tasks(in: repo)[a]?["recovered"] is [String: Any]))
        let check = try s.cs("check", "--format", "json", in: repo)
        #expect(check.status == 1, "\(check.stdout)")
    }
}

/// Item 4: trailers are written where git keeps them.
@Suite struct TrailerPlacementTests {
    func world() throws -> (Sandbox, String, String) {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        try s.ok("hooks", "install", "--trailers", in: repo)
        let a = try s.ok("task", "add", "Trailer me", in: repo)
        try s.ok("task", "start", a, in: repo)
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "plan", in: repo)
        return (s, repo, a)
    }

    func trailers(_ s: Sandbox, in repo: String) throws -> String {
        try s.git("log", "-1", "--format=%(trailers:key=Codex-Task,valueonly)", in: repo)
    }

    /// Commits through an editor that writes the subject, as a person would.
    func commitWithEditor(_ s: Sandbox, _ repo: String, _ config: [String], content: String = "w\n") throws -> Run {
        let editor = s.path("editor.sh")
        try s.write(editor, "#!/bin/sh\nsed -i '1s/^$/work on it/' \"$1\"\n")
        chmod(editor, 0o755)
        try s.write(repo + "/w.txt", content)
        try s.git("add", "w.txt", in: repo)
        return try s.run("git", config + ["commit", "-q"], in: repo, env: ["GIT_EDITOR": editor])
    }

    @Test func verboseCommitKeepsTheTrailerAboveTheScissors() throws {
        let (s, repo, a) = try world()
        let r = try commitWithEditor(s, repo, ["-c", "commit.verbose=true"])
        #expect(r.ok, "\(r.stderr)")
        #expect(try s.git("log", "-1", "--format=%s", in: repo) == "work on it")
        #expect(try trailers(s, in: repo) == a)
    }

    @Test func coreCommentCharIsRespected() throws {
        let (s, repo, a) = try world()
        try s.git("config", "core.commentChar", ";", in: repo)
        let r = try commitWithEditor(s, repo, ["-c", "commit.verbose=true"])
        #expect(r.ok, "\(r.stderr)")
        #expect(try trailers(s, in: repo) == a)
        #expect(!(try s.git("log", "-1", "--format=%B", in: repo)).contains(";"))
        // `auto`: git picks the character; the hook reads it from the message git wrote.
        try s.git("config", "core.commentChar", "auto", in: repo)
        let auto = try commitWithEditor(
            s, repo, ["-c", "commit.verbose=true"], content: "# a line starting with the default comment character\n")
        #expect(auto.ok, "\(auto.stderr)")
        #expect(try trailers(s, in: repo) == a)
    }

    @Test func squashMergeGetsARealTrailer() throws {
        let (s, repo, _) = try world()
        try s.git("checkout", "-q", "-b", "feature", in: repo)
        let b = try s.ok("task", "add", "On feature", in: repo)
        try s.ok("task", "start", b, in: repo)
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "plan b", in: repo)
        try s.commit("f.txt", "f\n", "feature work", in: repo)
        #expect(try trailers(s, in: repo) == b)
        try s.git("checkout", "-q", "main", in: repo)
        try s.git("merge", "-q", "--squash", "feature", in: repo)
        try s.git("commit", "-q", "--no-edit", in: repo)
        #expect(try trailers(s, in: repo) == b)
    }
}

/// Item 6: init says what to commit; a commit older than the state file is named as such.
@Suite struct OldCommitTests {
    @Test func initSaysToCommitGitattributesToo() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        let out = try s.ok("init", in: repo)
        #expect(out.contains("git add .codex-state .gitattributes"), "\(out)")
        try s.git("add", ".codex-state", ".gitattributes", in: repo)
        try s.git("commit", "-q", "-m", "track state", in: repo)
        #expect(try s.git("status", "--porcelain", in: repo).isEmpty)
    }

    @Test func aCommitOlderThanTheStateSaysSoAndNeverBlocksCheckout() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "track state", in: repo)
        let added = try s.git("rev-parse", "--short=7", "HEAD", in: repo)
        try s.commit("later", "l\n", "later work", in: repo)
        let old = try s.run("git", ["checkout", "-q", "HEAD~2"], in: repo)
        #expect(old.ok && !old.stderr.contains("warning"), "\(old.stderr)")
        let r = try s.cs("tasks", in: repo)
        #expect(r.status == 1)
        #expect(r.stderr.contains("predates the project state") && r.stderr.contains(added), "\(r.stderr)")
        #expect(!r.stderr.contains("run 'codex-state init' first"))
        let preamble = try s.cs("preamble", in: repo)
        #expect(preamble.ok && preamble.stdout.isEmpty, "\(preamble.stdout)\(preamble.stderr)")
        let initHere = try s.cs("init", in: repo)
        #expect(initHere.status == 1 && initHere.stderr.contains(added), "\(initHere.stderr)")
        #expect(try s.git("status", "--porcelain", "--untracked-files=all", in: repo).isEmpty)
        let back = try s.run("git", ["checkout", "-q", "main"], in: repo)
        #expect(back.ok, "\(back.stderr)")
    }
}

/// Item 7: `complete --commit REV` with a commit older than the task warns.
@Suite struct CompleteCommitAgeTests {
    @Test func aCommitOlderThanTheTaskWarns() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.write(repo + "/old.txt", "old\n")
        try s.git("add", "old.txt", in: repo)
        let old = try s.run(
            "git", ["commit", "-q", "-m", "long ago"], in: repo,
            env: ["GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z", "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z"])
        #expect(old.ok)
        try s.ok("init", in: repo)
        let a = try s.ok("task", "add", "New work", in: repo)
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "plan", in: repo)
        let typo = try s.cs("complete", a, "--commit", "HEAD~1", in: repo)
        #expect(typo.ok)
        #expect(typo.stderr.contains("warning:") && typo.stderr.contains("is older than task \(a)"), "\(typo.stderr)")
        let fine = try s.cs("complete", a, "--commit", "HEAD", in: repo)
        #expect(fine.ok && fine.stderr.isEmpty, "\(fine.stderr)")
    }
}

/// Item 7: cherry-picking a state commit is not a merge of two histories.
@Suite struct CherryPickTests {
    @Test func cherryPickingAStateCommitRecordsNoConflict() throws {
        let s = try Sandbox()
        // git runs the merge driver through the shell: codex-state must be on PATH.
        let bin = URL(fileURLWithPath: Sandbox.binary).deletingLastPathComponent().path
        s.env["PATH"] = bin + ":" + (s.env["PATH"] ?? "/usr/bin:/bin")
        let repo = try s.repo()
        try s.ok("init", in: repo)
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "track state", in: repo)
        try s.git("checkout", "-q", "-b", "feature", in: repo)
        let x = try s.ok("task", "add", "Made on feature", in: repo)
        try s.git("commit", "-q", "-am", "add x", in: repo)
        try s.ok("task", "edit", x, "--title", "Renamed on feature", in: repo)
        try s.git("commit", "-q", "-am", "rename x", in: repo)
        try s.git("checkout", "-q", "main", in: repo)
        let pick = try s.run("git", ["cherry-pick", "feature"], in: repo)
        #expect(pick.ok, "\(pick.stderr)")
        #expect(!pick.stderr.contains("conflicts kept"), "\(pick.stderr)")
        let conflicts = s.json(try s.ok("conflicts", "--json", in: repo))
        #expect(conflicts["count"] as? Int == 0)
        #expect(try s.tasks(in: repo)[x]?["title"] as? String == "Renamed on feature")
    }
}

/// CLI papercuts a beads or Taskwarrior user hits in the first hour.
@Suite struct FirstHourTests {
    func world() throws -> (Sandbox, String) {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        return (s, repo)
    }

    @Test func directoryBeforeTheSubcommandAsInGit() throws {
        let (s, repo) = try world()
        let a = try s.ok("-C", repo, "task", "add", "From elsewhere", in: s.root)
        #expect(try s.ok("-C", s.root, "-C", "repo", "tasks", in: "/").contains(a))
        // -q between them, as `git -C A -c x=y -C B` takes its options in any order.
        #expect(try s.ok("-q", "-C", repo, "tasks", in: s.root).contains(a))
        #expect(try s.ok("-C", s.root, "--quiet", "-C", "repo", "task", "start", a, in: "/").isEmpty)
        let bad = try s.cs("-C", s.path("nope"), "tasks", in: s.root)
        #expect(bad.status == 1 && bad.stderr.contains("cannot change to"), "\(bad.stderr)")
    }

    @Test func mistypedSubcommandsGetASuggestion() throws {
        let (s, repo) = try world()
        let r = try s.cs("taks", in: repo)
        #expect(r.status == 2)
        #expect(r.stderr.contains("did you mean 'tasks'?"), "\(r.stderr)")
        let nested = try s.cs("task", "ad", "x", in: repo)
        #expect(nested.status == 2 && nested.stderr.contains("did you mean 'add'?"), "\(nested.stderr)")
        #expect(try s.cs("help", "tasks", in: repo).ok)
        // The words beads and Taskwarrior use, and Taskwarrior's id-first order.
        for (words, ours) in [
            (["close", "t-1"], "did you mean 'codex-state complete'?"),
            (["ready"], "did you mean 'codex-state next'?"), (["list"], "did you mean 'codex-state tasks'?"),
            (["create", "x"], "did you mean 'codex-state task add'?"),
            (["task", "done", "t-1"], "did you mean 'codex-state complete'?"),
            (["task", "list"], "did you mean 'codex-state tasks'?"),
            (["task", "t-01234", "done"], "the command comes before the id"),
        ] {
            let r = try s.run(Sandbox.binary, words, in: repo)
            #expect(r.status == 2 && r.stderr.contains(ours), "\(words): \(r.stderr)")
        }
        let help = try s.cs("help", "taks", in: repo)
        #expect(help.status == 2 && help.stderr.contains("did you mean 'tasks'?"), "\(help.stderr)")
        #expect(try s.cs("help", "task", "add", in: repo).ok)
    }

    @Test func quietLeavesOutConfirmationsOnly() throws {
        let (s, repo) = try world()
        let a = try s.ok("task", "add", "Quiet", "-q", in: repo)
        #expect(a.hasPrefix("t-"))  // asked for: the id
        #expect(try s.ok("task", "start", a, "--quiet", in: repo).isEmpty)
        #expect(try s.ok("-q", "complete", a, in: repo).isEmpty)
        #expect(try s.ok("tasks", "--all", "-q", in: repo).contains(a))
    }
}

@Suite struct TaskFilterTests {
    @Test func repeatedFiltersCombineAsDocumented() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        let beta = try s.ok("milestone", "add", "Beta", in: repo)
        try s.ok("milestone", "add", "Later", in: repo)
        let both = try s.ok(
            "task", "add", "Parse TOML", "--label", "a", "--label", "b", "--milestone", "Beta", in: repo)
        let onlyA = try s.ok("task", "add", "Parse YAML", "--label", "a", "--milestone", "later", in: repo)
        let c = try s.ok("task", "add", "Write docs", "--body", "mention the TOML parser", in: repo)
        try s.ok("task", "start", c, in: repo)
        try s.ok("task", "edit", onlyA, "--note", "blocked by the spec", in: repo)
        func ids(_ args: String...) throws -> Set<String> {
            let r = try s.run(Sandbox.binary, ["tasks", "--json"] + args, in: repo)
            #expect(r.ok, "\(r.stderr)")
            let obj = s.json(r.stdout)
            return Set((obj["tasks"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String })
        }
        #expect(try ids("--label", "a", "--label", "b") == [both])  // AND
        #expect(try ids("--label", "a") == [both, onlyA])
        #expect(try ids("--status", "ready", "--status", "in_progress") == [both, onlyA, c])  // OR
        #expect(try ids("--status", "in_progress") == [c])
        #expect(try ids("--milestone", "Beta") == [both])  // by title
        #expect(try ids("--milestone", beta, "--milestone", "Later") == [both, onlyA])  // OR
        #expect(try ids("--search", "toml") == [both, c])  // title and body, any case
        #expect(try ids("--search", "SPEC") == [onlyA])  // notes
        #expect(try ids("--search", "toml", "--search", "docs") == [c])  // AND
        #expect(try ids("--by", "tester") == [c])
        #expect(try ids("--by", "nobody").isEmpty)
        let explain = try s.ok("next", "-n", "3", "--explain", in: repo)
        #expect(explain.contains("milestone:  \"Beta\" \(beta)"), "\(explain)")
        #expect(try s.ok("next", "-n", "3", in: repo).contains("milestone \"Beta\""))
        #expect(try s.ok("preamble", in: repo).contains("milestone \"Beta\""))
        #expect(try s.ok("task", "show", both, in: repo).contains("milestone:  \"Beta\" \(beta)"))
        let unknown = try s.cs("tasks", "--milestone", "Gamma", in: repo)
        #expect(unknown.status == 1 && unknown.stderr.contains("no milestone with id or title 'Gamma'"))
    }
}

@Suite struct WaitingAndUnblockingTests {
    @Test func completeSaysWhatItUnblockedAndStartWarnsAboutWaiting() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        let parser = try s.ok("task", "add", "Write the parser", in: repo)
        let wire = try s.ok("task", "add", "Wire the parser", "--dep", parser, in: repo)
        #expect(try s.ok("tasks", in: repo).contains("waits on \(parser)"))
        let start = try s.cs("task", "start", wire, in: repo)
        #expect(
            start.ok && start.stderr.contains("warning: \(wire) still waits on \(parser) (open)"), "\(start.stderr)")
        try s.ok("task", "reopen", wire, in: repo)
        let done = try s.ok("complete", parser, in: repo)
        #expect(done.contains("unblocked \(wire): Wire the parser"), "\(done)")
        let json = s.json(try s.ok("complete", parser, "--json", in: repo))
        #expect((json["unblocked"] as? [Any])?.isEmpty == true)  // already ready
        #expect(json["status"] as? String == "done")
    }

    @Test func nextJSONSaysWhyThereIsNoCandidate() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        func empty() throws -> [String: Any]? {
            s.json(try s.ok("next", "--json", in: repo))["empty"] as? [String: Any]
        }
        #expect(try empty()?["reason"] as? String == "nothing_open")
        let a = try s.ok("task", "add", "A", in: repo)
        try s.ok("task", "add", "B", "--dep", a, in: repo)
        #expect(try empty() == nil)
        try s.ok("task", "block", a, "--reason", "vendor", in: repo)
        let why = try empty()
        #expect(why?["reason"] as? String == "waiting_or_blocked")
        #expect(why?["waiting"] as? Int == 1 && why?["blocked"] as? Int == 1)
        // A claim with nothing to claim says why too.
        let claim = try s.cs("next", "--claim", "--json", in: repo)
        #expect(claim.status == 1, "\(claim.stdout)")
        #expect(
            claim.stderr.contains(
                "no task is ready to claim (nothing is ready: 1 open task(s) wait on others, 1 blocked)"),
            "\(claim.stderr)")
    }

    @Test func theCheckoutLineCountsThisBranchsWorkOnly() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        let a = try s.ok("task", "add", "Main work", in: repo)
        try s.ok("task", "start", a, in: repo)
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "state", in: repo)
        let r = try s.run("git", ["checkout", "-q", "-b", "feature"], in: repo)
        #expect(r.stderr.contains("codex-state: 0 in progress"), "\(r.stderr)")
        let back = try s.run("git", ["checkout", "-q", "main"], in: repo)
        #expect(back.stderr.contains("codex-state: 1 in progress"), "\(back.stderr)")
    }
}

@Suite struct ConflictDisplayTests {
    @Test func conflictingCompletionsShowBothCommitsInFull() throws {
        let s = try Sandbox()
        let bin = URL(fileURLWithPath: Sandbox.binary).deletingLastPathComponent().path
        s.env["PATH"] = bin + ":" + (s.env["PATH"] ?? "/usr/bin:/bin")
        let repo = try s.repo()
        try s.ok("init", in: repo)
        let a = try s.ok("task", "add", "Done twice", in: repo)
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "plan", in: repo)
        try s.git("checkout", "-q", "-b", "feature", in: repo)
        try s.commit("f.txt", "f\n", "feature work", in: repo)
        let ours = try s.git("rev-parse", "HEAD", in: repo)
        try s.run(
            Sandbox.binary, ["complete", a, "--commit", "HEAD"], in: repo,
            env: ["CODEX_STATE_NOW": "2026-01-15T10:00:00Z"])
        try s.git("commit", "-q", "-am", "feature state", in: repo)
        try s.git("checkout", "-q", "main", in: repo)
        try s.commit("m.txt", "m\n", "main work", in: repo)
        let theirs = try s.git("rev-parse", "HEAD", in: repo)
        try s.run(
            Sandbox.binary, ["complete", a, "--commit", "HEAD"], in: repo,
            env: ["CODEX_STATE_NOW": "2026-01-15T09:30:00Z"])
        try s.git("commit", "-q", "-am", "main state", in: repo)
        try s.git("merge", "-q", "--no-edit", "feature", in: repo)
        let text = try s.ok("conflicts", in: repo)
        #expect(text.contains(ours) && text.contains(theirs), "\(text)")
    }
}

@Suite struct TrackedHooksPathTests {
    @Test func installingIntoATrackedHooksFolderWarns() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.commit(".githooks/pre-commit", "#!/bin/sh\nexit 0\n", "team hooks", in: repo)
        try s.git("config", "core.hooksPath", ".githooks", in: repo)
        let r = try s.cs("init", in: repo)
        #expect(r.ok, "\(r.stderr)")
        #expect(r.stderr.contains("a folder git tracks"), "\(r.stderr)")
        let again = try s.cs("hooks", "install", in: repo)
        #expect(again.stderr.contains("a folder git tracks"), "\(again.stderr)")
        // An untracked hooks folder in the working tree is fine.
        let other = try s.repo("other")
        try s.git("config", "core.hooksPath", ".local-hooks", in: other)
        let quiet = try s.cs("init", in: other)
        #expect(quiet.ok && !quiet.stderr.contains("tracks"), "\(quiet.stderr)")
    }
}

@Suite struct LogMergeTests {
    @Test func logNamesMergesThatChangedTheState() throws {
        let s = try Sandbox()
        let bin = URL(fileURLWithPath: Sandbox.binary).deletingLastPathComponent().path
        s.env["PATH"] = bin + ":" + (s.env["PATH"] ?? "/usr/bin:/bin")
        let repo = try s.repo()
        try s.ok("init", in: repo)
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "track state", in: repo)
        try s.git("checkout", "-q", "-b", "feature", in: repo)
        try s.ok("task", "add", "From feature", in: repo)
        try s.git("commit", "-q", "-am", "feature task", in: repo)
        try s.git("checkout", "-q", "main", in: repo)
        try s.commit("m.txt", "m\n", "main moves", in: repo)
        try s.git("merge", "-q", "--no-edit", "-m", "Merge feature", "feature", in: repo)
        let merge = try s.git("rev-parse", "--short=7", "HEAD", in: repo)
        let log = try s.ok("log", in: repo)
        #expect(log.contains("Merges that changed the state"), "\(log)")
        #expect(log.contains("\(merge)  Merge feature"), "\(log)")
        #expect(log.contains("git log -p --merges"))
    }
}

@Suite struct ShallowAnchorTests {
    /// The commit that added a commit-less completion may lie beyond a shallow clone's boundary:
    /// the walk stops there instead of failing.
    @Test func aCompletionWithoutACommitReadsInAShallowClone() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        let a = try s.ok("task", "add", "Old work", in: repo)
        try s.write(repo + "/f", "work\n")
        try s.ok("complete", a, in: repo)
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "work and state", in: repo)
        for i in 1...3 { try s.commit("g", "\(i)\n", "later \(i)", in: repo) }
        let clone = s.path("shallow")
        try s.git("clone", "-q", "--depth", "1", "file://" + repo, clone, in: s.root)
        #expect(try s.effective(a, in: clone) == "done")
        let shown = try s.cs("task", "show", a, in: clone)
        #expect(shown.ok, "\(shown.stderr)")
        #expect(try s.cs("log", in: clone).ok)
    }
}
