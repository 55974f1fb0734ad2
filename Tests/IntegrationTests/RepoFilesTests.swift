import Foundation
import GitKit
import Testing
import Workspace

/// A read answered from the index must not pay for initialising libgit2 (issue 11). The git-file
/// reader itself is held to git over a corpus of layouts in GitKitTests.
@Suite struct RepoFilesTests {
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

    /// The same through the binary, in the main worktree and in a linked one: the dynamic loader
    /// (glibc's `LD_DEBUG=libs`) reports every library it opens, and a warm `next` or `tasks`
    /// opens no libgit2 at all (GitKit opens it with dlopen on first use).
    @Test func aWarmReadLoadsNoLibgit2() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        try s.ok("task", "add", "One", in: repo)
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "state", in: repo)
        let wt = s.path("wt")
        try s.git("worktree", "add", "-q", "-b", "side", wt, in: repo)
        try s.ok("task", "add", "Two", in: wt)
        for dir in [repo, wt] {
            for command in [["next"], ["tasks", "--all"]] {
                _ = try s.run(Sandbox.binary, command, in: dir)
                let warm = try s.run(Sandbox.binary, command, in: dir, env: ["LD_DEBUG": "libs"])
                #expect(warm.ok, "\(command) in \(dir): \(warm.stderr)")
                #expect(warm.stderr.contains("calling init"), "LD_DEBUG is not reporting libraries")
                #expect(!warm.stderr.contains("libgit2"), "\(command) in \(dir) loaded libgit2")
            }
        }
    }
}
