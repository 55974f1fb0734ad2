import Foundation
import Testing

/// Anchors found again where no hook ran: another clone, a squash merge.
@Suite struct RecoveryTests {
    @Test func rebaseInACloneWithoutHooksIsRecognisedByPatchID() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        let a = try s.ok("task", "add", "Feature", in: repo)
        try s.git("add", ".codex-state", in: repo)
        try s.git("commit", "-q", "-m", "plan", in: repo)
        try s.git("checkout", "-q", "-b", "feature", in: repo)
        try s.commit("f.txt", "feature\n", "implement feature", in: repo)
        try s.ok("complete", a, "--commit", "HEAD", in: repo)
        try s.git("commit", "-q", "-am", "state: done", in: repo)
        try s.git("checkout", "-q", "main", in: repo)
        try s.commit("m.txt", "main\n", "main moves", in: repo)
        try s.git("checkout", "-q", "feature", in: repo)
        try s.git("rebase", "-q", "main", in: repo)
        #expect(!FileManager.default.fileExists(atPath: repo + "/.git/hooks/post-rewrite"))
        let listed = try s.tasks(in: repo)[a]
        #expect(listed?["effective_status"] as? String == "done")
        let rewritten = try s.git("rev-parse", "HEAD~1", in: repo)
        let recovered = listed?["recovered"] as? [String: Any]
        #expect(recovered?["method"] as? String == "patch-id")
        #expect(recovered?["commit"] as? String == rewritten)
        #expect(try s.ok("task", "show", a, in: repo).contains("found by patch-id"))
        // reanchor writes it down; afterwards the anchor is plainly reachable.
        #expect(try s.ok("reanchor", in: repo).contains("(found by patch-id)"))
        #expect(try s.tasks(in: repo)[a]?["recovered"] is NSNull)
        #expect(try s.effective(a, in: repo) == "done")
        #expect(try s.ok("reanchor", in: repo) == "Nothing to re-anchor.")
    }

    @Test func squashMergeIsRecognisedByTrailer() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        try s.ok("hooks", "install", "--trailers", in: repo)
        let a = try s.ok("task", "add", "Squash me", in: repo)
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "plan", in: repo)
        try s.git("checkout", "-q", "-b", "feature", in: repo)
        try s.ok("task", "start", a, in: repo)
        try s.commit("one", "1\n", "first step", in: repo)
        try s.commit("two", "2\n", "second step", in: repo)
        #expect(try s.git("log", "-1", "--format=%B", in: repo).contains("Codex-Task: \(a)"))
        try s.ok("complete", a, "--commit", "HEAD", in: repo)
        let state = try s.read(repo + "/.codex-state/project_state.json")
        try s.git("checkout", "-q", "-f", "main", in: repo)
        try s.git("merge", "-q", "--squash", "feature", in: repo)
        try s.git("commit", "-q", "--no-edit", in: repo)
        let squash = try s.git("rev-parse", "HEAD", in: repo)
        #expect(try s.git("log", "-1", "--format=%B", in: repo).contains("Codex-Task: \(a)"))
        // The completion (recorded on feature) arrives on main with the state file.
        try s.write(repo + "/.codex-state/project_state.json", state)
        let listed = try s.tasks(in: repo)[a]
        #expect(listed?["effective_status"] as? String == "done")
        let recovered = listed?["recovered"] as? [String: Any]
        #expect(recovered?["commit"] as? String == squash)
        #expect(["trailer", "patch-id"].contains(recovered?["method"] as? String ?? ""))
    }

    @Test func aTrailerAloneRecognisesWorkFromAnotherClone() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        let a = try s.ok("task", "add", "Done elsewhere", in: repo)
        // Completed in a clone whose commit never arrived here; the work landed as a commit
        // carrying the trailer.
        let file = repo + "/.codex-state/project_state.json"
        try s.ok("complete", a, "--commit", "HEAD", in: repo)
        let head = try s.git("rev-parse", "HEAD", in: repo)
        try s.write(file, try s.read(file).replacingOccurrences(of: head, with: String(repeating: "e", count: 40)))
        #expect(try s.effective(a, in: repo) == "done_unknown")
        try s.commit("w", "w\n", "Land the work\n\nCodex-Task: \(a)", in: repo)
        #expect(try s.effective(a, in: repo) == "done")
        #expect((try s.tasks(in: repo)[a]?["recovered"] as? [String: Any])?["method"] as? String == "trailer")
    }
}

@Suite struct RenderCacheTests {
    @Test func aFetchedCompletionCommitChangesTheCachedListing() throws {
        let s = try Sandbox()
        let upstream = try s.repo("upstream")
        try s.git("checkout", "-q", "-b", "side", in: upstream)
        try s.commit("s", "s\n", "side work", in: upstream)
        let sideCommit = try s.git("rev-parse", "HEAD", in: upstream)
        try s.git("checkout", "-q", "main", in: upstream)
        let clone = s.path("clone")
        try s.git("clone", "-q", "--no-local", "--single-branch", "--branch", "main", upstream, clone, in: s.root)
        try s.ok("init", in: clone)
        let a = try s.ok("task", "add", "Done upstream", in: clone)
        try s.ok("complete", a, "--commit", "HEAD", in: clone)
        let file = clone + "/.codex-state/project_state.json"
        let head = try s.git("rev-parse", "HEAD", in: clone)
        try s.write(file, try s.read(file).replacingOccurrences(of: head, with: sideCommit))
        // Twice: the second answer comes from the render cache.
        #expect(try s.ok("tasks", "--all", in: clone).contains("done?"))
        #expect(try s.ok("tasks", "--all", in: clone).contains("done?"))
        try s.git("fetch", "-q", "origin", "side", in: clone)
        #expect(try s.effective(a, in: clone) == "done_elsewhere")
        #expect(try s.ok("tasks", "--all", in: clone).contains("done@"))
    }
}
