import Foundation
import Testing

/// A completion naming a commit this clone lacks changes meaning when a fetch brings the commit,
/// without HEAD, a branch or the state file moving: cached answers depend on the FETCH_HEAD that
/// fetch writes. git 2.39 writes it in the git directory of the worktree the fetch runs in, so
/// every worktree's FETCH_HEAD counts, wherever the read runs (issue 17).
@Suite struct WorktreeFetchTests {
    @Test func aFetchInAnyWorktreeReachesCachedAnswersInEvery() throws {
        let s = try Sandbox()
        let upstream = try s.repo("upstream")
        var missing: [String] = []
        for branch in ["side", "other"] {
            try s.git("checkout", "-q", "-b", branch, "main", in: upstream)
            try s.commit(branch, "\(branch)\n", "\(branch) work", in: upstream)
            missing.append(try s.git("rev-parse", "HEAD", in: upstream))
        }
        try s.git("checkout", "-q", "main", in: upstream)
        let clone = s.path("clone")
        try s.git("clone", "-q", "--no-local", "--single-branch", "--branch", "main", upstream, clone, in: s.root)
        try s.ok("init", "--no-hooks", in: clone)
        try s.git("add", "-A", in: clone)
        try s.git("commit", "-q", "-m", "state", in: clone)
        let wt = s.path("wt")
        try s.git("worktree", "add", "-q", "-b", "wt", wt, in: clone)
        // Two tasks done by commits only upstream has: the linked worktree's file names them.
        let file = wt + "/.codex-state/project_state.json"
        var ids: [String] = []
        for title in ["Done on side", "Done on other"] {
            let id = try s.ok("task", "add", title, in: wt)
            try s.ok("complete", id, "--commit", "HEAD", in: wt)
            ids.append(id)
        }
        let head = try s.git("rev-parse", "HEAD", in: wt)
        var text = try s.read(file)
        for (id, commit) in zip(ids, missing) {
            let record = try #require(text.range(of: "\"\(id)\""))
            let at = try #require(text.range(of: head, range: record.upperBound..<text.endIndex))
            text.replaceSubrange(at, with: commit)
        }
        try s.write(file, text)
        func listing() throws -> String { try s.ok("tasks", "--all", in: wt) }
        // Twice: the second answer comes from the cache.
        #expect(try listing().components(separatedBy: "done?").count == 3)
        #expect(try listing().components(separatedBy: "done?").count == 3)
        // A fetch in the linked worktree writes its own FETCH_HEAD.
        try s.git("fetch", "-q", "origin", "side", in: wt)
        #expect(FileManager.default.fileExists(atPath: clone + "/.git/worktrees/wt/FETCH_HEAD"))
        #expect(try listing().components(separatedBy: "done?").count == 2)
        #expect(try s.effective(ids[0], in: wt) == "done_elsewhere")
        // A fetch in the main worktree writes the main one's, and brings the commit here too.
        try s.git("fetch", "-q", "origin", "other", in: clone)
        #expect(try listing().components(separatedBy: "done?").count == 1)
        #expect(try s.effective(ids[1], in: wt) == "done_elsewhere")
    }
}
