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
