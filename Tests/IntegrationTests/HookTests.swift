import Foundation
import Testing

@testable import Workspace

/// The git lifecycle with the hooks installed: real `git` runs the shims, the shims run the
/// binary (found through the path written at install time, since PATH does not have it).
@Suite struct HookTests {
    /// A repository with codex-state initialised (hooks installed) and its state committed.
    func world() throws -> (Sandbox, String) {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        try s.git("add", ".codex-state", in: repo)
        try s.git("commit", "-q", "-m", "track state", in: repo)
        return (s, repo)
    }

    func completion(_ s: Sandbox, _ id: String, in repo: String) throws -> String? {
        let shown = s.json(try s.ok("task", "show", id, "--json", in: repo))
        return ((shown["task"] as? [String: Any])?["completion"] as? [String: Any])?["commit"] as? String
    }

    @Test func shimInRepositoryMatchesTheOneInstalled() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("hooks/shim.sh")
        #expect(try String(contentsOf: file, encoding: .utf8) == HookShim.template)
    }

    @Test func rebaseKeepsTheTaskDoneAnchoredToTheRewrittenCommit() throws {
        let (s, repo) = try world()
        let a = try s.ok("task", "add", "Feature", in: repo)
        try s.git("commit", "-q", "-am", "plan", in: repo)
        try s.git("checkout", "-q", "-b", "feature", in: repo)
        try s.commit("f.txt", "feature\n", "implement feature", in: repo)
        try s.ok("complete", a, "--commit", "HEAD", in: repo)
        let old = try s.git("rev-parse", "HEAD", in: repo)
        try s.git("commit", "-q", "-am", "state: feature done", in: repo)
        try s.git("checkout", "-q", "main", in: repo)
        try s.commit("m.txt", "main moves\n", "main moves on", in: repo)
        try s.git("checkout", "-q", "feature", in: repo)
        try s.git("rebase", "-q", "main", in: repo)
        let new = try s.git("rev-parse", "HEAD~1", in: repo)
        #expect(new != old)
        #expect(try completion(s, a, in: repo) == new)
        #expect(try s.effective(a, in: repo) == "done")
        // The map is kept for anchors elsewhere (session files, other branches).
        let map = try s.read(repo + "/.git/codex-state/rewrites.jsonl")
        #expect(map.contains(old) && map.contains(new))
    }

    @Test func amendKeepsTheTaskDone() throws {
        let (s, repo) = try world()
        let a = try s.ok("task", "add", "Fix", in: repo)
        try s.commit("x", "1\n", "fix it", in: repo)
        try s.ok("complete", a, "--commit", "HEAD", in: repo)
        try s.write(repo + "/x", "2\n")
        try s.git("commit", "-q", "--amend", "-a", "--no-edit", in: repo)
        #expect(try completion(s, a, in: repo) == (try s.git("rev-parse", "HEAD", in: repo)))
        #expect(try s.effective(a, in: repo) == "done")
    }

    @Test func interactiveRebaseReportsDroppedCompletions() throws {
        let (s, repo) = try world()
        let keep = try s.ok("task", "add", "Reworded", in: repo)
        let squashed = try s.ok("task", "add", "Squashed", in: repo)
        let dropped = try s.ok("task", "add", "Dropped", in: repo)
        try s.git("commit", "-q", "-am", "plan", in: repo)
        try s.commit("a", "a\n", "commit a", in: repo)
        try s.ok("complete", keep, "--commit", "HEAD", in: repo)
        try s.commit("b", "b\n", "commit b", in: repo)
        try s.ok("complete", squashed, "--commit", "HEAD", in: repo)
        try s.commit("c", "c\n", "commit c", in: repo)
        try s.ok("complete", dropped, "--commit", "HEAD", in: repo)
        try s.git("commit", "-q", "-am", "state", in: repo)
        let editor = s.path("sequence-editor.sh")
        try s.write(
            editor,
            "#!/bin/sh\nsed -i -e 's/^pick \\(.*\\) commit a$/reword \\1 commit a/' -e 's/^pick \\(.*\\) commit b$/squash \\1 commit b/' -e '/commit c$/d' \"$1\"\n"
        )
        chmod(editor, 0o755)
        let r = try s.run(
            "git", ["rebase", "-i", "HEAD~4"], in: repo, env: ["GIT_SEQUENCE_EDITOR": editor, "GIT_EDITOR": "true"])
        #expect(r.ok, "\(r.stderr)")
        #expect(try s.git("log", "--format=%s", "-3", in: repo) == "state\ncommit a\nplan")
        #expect(r.stderr.contains("the rebase dropped"))
        #expect(r.stderr.contains(dropped))
        #expect(!r.stderr.contains(keep) && !r.stderr.contains(squashed))
        #expect(try s.effective(keep, in: repo) == "done")
        #expect(try s.effective(squashed, in: repo) == "done")
        #expect(try s.effective(dropped, in: repo) == "done_elsewhere")
    }

    @Test func existingHookStillRunsAndUninstallRestoresIt() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        let hook = repo + "/.git/hooks/post-checkout"
        let original = "#!/bin/sh\necho \"user hook $3\" >> \"$(git rev-parse --git-dir)/user-hook.log\"\nexit 0\n"
        try s.write(hook, original)
        chmod(hook, 0o750)
        try s.ok("init", in: repo)
        #expect(try s.ok("hooks", "install", in: repo).contains("already installed"))
        let status = s.json(try s.ok("hooks", "status", "--json", in: repo))
        let pc = (status["hooks"] as? [[String: Any]])?.first { $0["name"] as? String == "post-checkout" }
        #expect(pc?["installed"] as? Bool == true)
        #expect(pc?["chained"] as? String == hook + ".codex-state-chained")
        try s.git("checkout", "-q", "-b", "other", in: repo)
        #expect(try s.read(repo + "/.git/user-hook.log") == "user hook 1\n")
        try s.ok("hooks", "uninstall", in: repo)
        #expect(try s.read(hook) == original)
        let attrs = try FileManager.default.attributesOfItem(atPath: hook)
        #expect((attrs[.posixPermissions] as? Int) == 0o750)
        #expect(!FileManager.default.fileExists(atPath: repo + "/.git/hooks/post-merge"))
        #expect(!FileManager.default.fileExists(atPath: hook + ".codex-state-chained"))
    }

    @Test func foreignSymlinkHookIsChainedAndRestoredAsALink() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        let target = s.path("shared-hooks/post-merge")
        try s.write(target, "#!/bin/sh\nexit 0\n")
        chmod(target, 0o755)
        try FileManager.default.createSymbolicLink(atPath: repo + "/.git/hooks/post-merge", withDestinationPath: target)
        try s.ok("init", in: repo)
        #expect(
            try FileManager.default.destinationOfSymbolicLink(
                atPath: repo + "/.git/hooks/post-merge.codex-state-chained")
                == target)
        try s.ok("hooks", "uninstall", in: repo)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: repo + "/.git/hooks/post-merge") == target)
        #expect(try s.read(target) == "#!/bin/sh\nexit 0\n")
    }

    @Test func corruptStateFileNeverBlocksCheckout() throws {
        let (s, repo) = try world()
        try s.git("branch", "other", in: repo)
        try s.write(repo + "/.codex-state/project_state.json", "{ not json")
        let r = try s.run("git", ["checkout", "other"], in: repo)
        #expect(r.ok)
        #expect(try s.git("rev-parse", "--abbrev-ref", "HEAD", in: repo) == "other")
        let warnings = r.stderr.split(separator: "\n").filter { $0.contains("codex-state") }
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("warning: post-checkout") == true)
        #expect(warnings.first?.contains("project_state.json") == true)
        #expect(try s.read(repo + "/.codex-state/project_state.json") == "{ not json")
    }

    @Test func missingBinaryLeavesGitAlone() throws {
        let (s, repo) = try world()
        let hook = repo + "/.git/hooks/post-checkout"
        try s.write(hook, try s.read(hook).replacingOccurrences(of: Sandbox.binary, with: "/nonexistent/codex-state"))
        chmod(hook, 0o755)
        let r = try s.run("git", ["checkout", "-q", "-b", "x"], in: repo)
        #expect(r.ok)
        #expect(r.stderr.isEmpty)
    }

    @Test func postRewriteWithMalformedInputWarnsAndExitsZero() throws {
        let (s, repo) = try world()
        let a = try s.ok("task", "add", "A", in: repo)
        try s.commit("x", "1\n", "one", in: repo)
        try s.ok("complete", a, "--commit", "HEAD", in: repo)
        let head = try s.git("rev-parse", "HEAD", in: repo)
        let other = try s.git("rev-parse", "HEAD~1", in: repo)
        let r = try s.run(
            Sandbox.binary, ["hook", "post-rewrite", "amend"], in: repo,
            stdin: "garbage line\n\(head) \(other)\nnot-a-sha also-not\n")
        #expect(r.ok)
        #expect(r.stderr.contains("ignored 2 malformed input line(s)"))
        #expect(try completion(s, a, in: repo) == other)
        // Outside any repository, or with an unknown hook name: a warning and exit 0.
        let outside = try s.run(Sandbox.binary, ["hook", "post-checkout", "a", "b", "1"], in: s.root)
        #expect(outside.ok)
        #expect(outside.stderr.hasPrefix("codex-state: warning:"))
        #expect(try s.run(Sandbox.binary, ["hook", "no-such-hook"], in: repo).ok)
    }

    @Test func unwritableHooksDirectoryIsAClearError() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        let dir = repo + "/.git/hooks"
        var runner: [String] = []
        if getuid() == 0 {
            _ = try s.run("chown", ["-R", "65534:65534", s.root], in: s.root)
            runner = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", Sandbox.binary]
        }
        chmod(dir, 0o555)
        defer { chmod(dir, 0o755) }
        let args = ["hooks", "install"]
        let r =
            runner.isEmpty
            ? try s.run(Sandbox.binary, args, in: repo)
            : try s.run(runner[0], Array(runner.dropFirst()) + args, in: repo)
        #expect(r.status == 1)
        #expect(r.stderr.contains("hooks directory is not writable"))
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    @Test func coreHooksPathAndLinkedWorktreesAreRespected() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.git("config", "core.hooksPath", ".githooks", in: repo)
        try s.ok("init", in: repo)
        #expect(FileManager.default.isExecutableFile(atPath: repo + "/.githooks/post-checkout"))
        #expect(!FileManager.default.fileExists(atPath: repo + "/.git/hooks/post-checkout"))
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "hooks", in: repo)
        let wt = s.path("wt")
        let r = try s.run("git", ["worktree", "add", "-b", "side", wt], in: repo)
        #expect(r.ok)
        #expect(r.stderr.contains("codex-state: 0 in progress, 0 ready on side"))
        let again = s.json(
            try s.ok("hooks", "install", "--json", in: wt).replacingOccurrences(of: "[", with: "{\"a\":[")
                .replacingOccurrences(of: "]", with: "]}"))
        #expect((again["a"] as? [[String: Any]])?.allSatisfy { $0["action"] as? String == "unchanged" } == true)
    }

    @Test func prepareCommitMsgAddsTheTrailerForWorkInProgress() throws {
        let (s, repo) = try world()
        try s.ok("hooks", "install", "--trailers", in: repo)
        let a = try s.ok("task", "add", "Trailer me", in: repo)
        try s.ok("task", "start", a, in: repo)
        try s.commit("t", "t\n", "work on it", in: repo)
        let message = try s.git("log", "-1", "--format=%B", in: repo)
        #expect(message == "work on it\n\nCodex-Task: \(a)")
        // Not for someone else's task.
        try s.write(repo + "/u", "u\n")
        try s.git("add", "u", in: repo)
        let other = try s.run(
            "git", ["commit", "-q", "-m", "other work"], in: repo, env: ["CODEX_STATE_ACTOR": "someone"])
        #expect(other.ok)
        #expect(try s.git("log", "-1", "--format=%B", in: repo) == "other work")
    }
}

@Suite struct HookStatusTests {
    @Test func statusReportsACloneWithoutTheMergeDriver() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        #expect(s.json(try s.ok("hooks", "status", "--json", in: repo))["merge_driver"] as? Bool == true)
        try s.git("config", "--unset", "merge.codex-state.driver", in: repo)
        let text = try s.ok("hooks", "status", in: repo)
        #expect(text.contains("merge driver: NOT configured"))
        #expect(s.json(try s.ok("hooks", "status", "--json", in: repo))["merge_driver"] as? Bool == false)
    }
}

@Suite struct CheckoutSessionTests {
    @Test func checkoutsOpenAndCloseSessionsAndIdleOnesLeaveNothing() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "track state", in: repo)
        let sessions = repo + "/.codex-state/sessions"
        func files() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: sessions).filter { $0.hasSuffix(".json") }.sorted()
        }
        // An idle round trip writes nothing.
        try s.git("checkout", "-q", "-b", "feature/login", in: repo)
        try s.git("checkout", "-q", "main", in: repo)
        #expect(try files().isEmpty)
        // Work on the branch, then leave it: its session is written, named after the branch.
        try s.git("checkout", "-q", "feature/login", in: repo)
        let a = try s.ok("task", "add", "Login form", in: repo)
        try s.ok("task", "start", a, in: repo)
        try s.commit("login.swift", "// login\n", "Login form", in: repo)
        try s.git("checkout", "-q", "main", in: repo)
        // Not in main's working tree: it waits in the clone until feature/login is checked out.
        #expect(try files().isEmpty)
        try s.git("checkout", "-q", "feature/login", in: repo)
        let written = try files()
        #expect(written.count == 1)
        #expect(written.first?.contains("_feature-login-") == true)
        let record = s.json(try s.read(sessions + "/" + (written.first ?? "")))
        #expect(record["branch"] as? String == "feature/login")
        #expect((record["tasks_created"] as? [Any])?.count == 1)
        #expect((record["tasks_started"] as? [Any])?.count == 1)
        let commits = record["commits"] as? [[String: Any]] ?? []
        #expect(commits.contains { ($0["subject"] as? String) == "Login form" })
    }
}
