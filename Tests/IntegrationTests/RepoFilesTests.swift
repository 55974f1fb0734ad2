import Foundation
import GitKit
import Testing
import Workspace

/// HEAD, references, worktrees and configuration read from git's own files (issue 11: a read
/// answered from the index must not pay for initialising libgit2) answer exactly as libgit2 does.
@Suite struct RepoFilesTests {
    /// An environment variable libgit2 honours on its own: with it set, discovery goes through
    /// libgit2, which gives the answers to compare with.
    static let throughLibgit2 = ["GIT_CEILING_DIRECTORIES": "/nonexistent"]

    func same(_ a: Repository, _ b: Repository, _ context: String) throws {
        #expect(a.workdir == b.workdir, "\(context)")
        #expect(a.gitDir == b.gitDir, "\(context)")
        #expect(a.commonDir == b.commonDir, "\(context)")
        #expect(a.isLinkedWorktree == b.isLinkedWorktree, "\(context)")
        #expect(a.isShallow == b.isShallow, "\(context)")
        #expect(try a.head() == b.head(), "\(context)")
        #expect(try a.branchTips() == b.branchTips(), "\(context)")
        let (wa, wb) = (try a.otherWorktrees(), try b.otherWorktrees())
        #expect(wa == wb, "\(context)")
        #expect(a.operationInProgress == b.operationInProgress, "\(context)")
        for key in [
            "user.name", "codex-state.staleAfter", "core.commitGraph", "alias.quoted", "alias.spaced", "Sec.Sub.Key",
            "sec.Sub.key", "sec.sub.key", "alias.continued", "nothing.here",
        ] {
            let (ca, cb) = (try a.configString(key), try b.configString(key))
            #expect(ca == cb, "\(context): \(key)")
        }
    }

    @Test func filesAnswerAsLibgit2WithoutInitialisingIt() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.commit("a", "a\n", "two", in: repo)
        try s.git("branch", "feature/x", in: repo)
        try s.git("branch", "packed-then-moved", "HEAD~1", in: repo)
        try s.git("update-ref", "refs/remotes/origin/main", "HEAD~1", in: repo)
        try s.git("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main", in: repo)
        try s.git("pack-refs", "--all", in: repo)
        try s.git("branch", "-f", "packed-then-moved", "HEAD", in: repo)  // loose overrides packed
        try s.git("branch", "loose-only", in: repo)
        try s.git("config", "codex-state.staleAfter", "48h", in: repo)
        try s.git("config", "alias.quoted", "\"a # not a comment\" ; a comment", in: repo)
        let config = repo + "/.git/config"
        try s.write(
            config,
            try s.read(config)
                + "[alias]\n\tspaced =   x  \t y   # trailing\n\tcontinued = one\\\n two\n[sec \"Sub\"]\n\tkey = sub\n[sec.SUB]\n\tkey = old\n"
        )
        try s.git("worktree", "add", "-q", s.path("wt"), "-b", "side", in: repo)
        try s.git("worktree", "add", "-q", "--detach", s.path("detached"), in: repo)
        try FileManager.default.createDirectory(atPath: repo + "/sub/dir", withIntermediateDirectories: true)

        for dir in [repo, repo + "/sub/dir", s.path("wt"), s.path("detached")] {
            let files = try Repository.discover(from: dir)
            let libgit2 = try Repository.discover(from: dir, environment: Self.throughLibgit2)
            try same(files, libgit2, dir)
            #expect(!files.usedLibgit2, "\(dir)")
            #expect(libgit2.usedLibgit2)
        }
        // Detached HEAD and an unborn branch.
        try s.git("checkout", "-q", "--detach", "HEAD~1", in: repo)
        try same(
            Repository.discover(from: repo), Repository.discover(from: repo, environment: Self.throughLibgit2),
            "detached")
        let empty = try s.repo("empty", commit: false)
        let unborn = try Repository.discover(from: empty)
        #expect(try unborn.head() == Repository.discover(from: empty, environment: Self.throughLibgit2).head())
        #expect(!unborn.usedLibgit2)
        // A merge under way.
        try s.write(repo + "/.git/MERGE_HEAD", try s.git("rev-parse", "HEAD", in: repo) + "\n")
        #expect(try Repository.discover(from: repo).operationInProgress)
    }

    @Test func anythingUnusualIsLeftToLibgit2() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        // An include: libgit2 follows it, so the files reader hands the question over.
        try s.write(s.path("extra.conf"), "[codex-state]\n\tstaleAfter = 3d\n")
        try s.git("config", "include.path", s.path("extra.conf"), in: repo)
        let included = try Repository.discover(from: repo)
        #expect(try included.configString("codex-state.staleAfter") == "3d")
        // A symbolic branch: libgit2 resolves it.
        try s.git("symbolic-ref", "refs/heads/alias", "refs/heads/main", in: repo)
        try s.git("symbolic-ref", "HEAD", "refs/heads/alias", in: repo)
        let symbolic = try Repository.discover(from: repo)
        #expect(try symbolic.head() == Repository.discover(from: repo, environment: Self.throughLibgit2).head())
    }

    /// The whole warm path: a read whose output the index already holds opens no libgit2.
    @Test func aCachedReadNeedsNoLibgit2() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        try s.ok("task", "add", "One", in: repo)
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "state", in: repo)
        try s.git("branch", "other", in: repo)
        let env = ["CODEX_STATE_ACTOR": "tester", "CODEX_STATE_NOW": "2026-01-01T00:00:00Z"]
        let render: (ReadModel) throws -> [UInt8] = { model in Array("\(model.taskCount)".utf8) }
        let first = try Workspace(directory: repo, environment: env)
        #expect(try first.cachedOutput(arguments: ["probe"], render: render) == Array("1".utf8))
        let second = try Workspace(directory: repo, environment: env)
        #expect(try second.cachedOutput(arguments: ["probe"], render: render) == Array("1".utf8))
        #expect(!second.repository.usedLibgit2)
    }
}
