import Foundation
import Testing

@testable import GitKit

/// Each layout the git-file reader does not read itself: it must say so (nil), never answer, and
/// the answer GitKit then gets from libgit2 is git's, or an error where git refuses too.
@Suite struct HandOffTests {
    typealias Corpus = LayoutCorpusTests

    @Test func variablesLibgit2HonoursAreLeftToIt() throws {
        let w = try GitWorld()
        let repo = try w.repo("repo")
        try w.git("worktree", "add", "-q", w.path("wt"), "-b", "wt", in: repo)
        try FileManager.default.createDirectory(atPath: repo + "/sub", withIntermediateDirectories: true)
        try Corpus.expectHandedOver(w, repo + "/sub", ["GIT_CEILING_DIRECTORIES": w.root])
        try Corpus.expectHandedOver(
            w, w.path("wt"), ["GIT_DIR": repo + "/.git/worktrees/wt", "GIT_COMMON_DIR": repo + "/.git"])
        // A ceiling that stops the search below the repository: neither finds one.
        let env = w.env.merging(["GIT_CEILING_DIRECTORIES": repo]) { $1 }
        #expect(RepoFiles.discover(from: repo + "/sub", environment: env) == nil)
        #expect(throws: NotARepository.self) { try Repository.discover(from: repo + "/sub", environment: env) }
        #expect(try w.run(["rev-parse", "--git-dir"], in: repo + "/sub", env: env).status != 0)
    }

    /// A repository format git 2.39 refuses: the reader does not read it, and libgit2 refuses too.
    @Test func formatsGitRefusesAreErrors() throws {
        let w = try GitWorld()
        for (name, settings) in [
            ("future", [("core.repositoryformatversion", "2")]),
            ("reftable", [("core.repositoryformatversion", "1"), ("extensions.refStorage", "reftable")]),
            ("sha256", [("core.repositoryformatversion", "1"), ("extensions.objectFormat", "sha256")]),
        ] {
            let repo = try w.repo(name)
            for (key, value) in settings { try w.git("config", key, value, in: repo) }
            #expect(RepoFiles.discover(from: repo, environment: w.env) == nil, "\(name)")
            #expect(try w.run(["rev-parse", "HEAD"], in: repo).status != 0, "\(name): git refuses")
            #expect(throws: (any Error).self, "\(name)") { try Repository.discover(from: repo, environment: w.env) }
        }
    }

    /// Extensions git 2.39 reads and the reader follows: answered from the files, and libgit2
    /// (told they are safe for what GitKit asks of it) opens the repository too.
    @Test func extensionsGitReadsAreRead() throws {
        let w = try GitWorld()
        let repo = try w.repo("repo")
        try w.git("config", "core.repositoryformatversion", "1", in: repo)
        try w.git("config", "extensions.preciousObjects", "true", in: repo)
        try w.git("config", "extensions.partialClone", "origin", in: repo)
        try w.git("config", "extensions.objectFormat", "sha1", in: repo)
        try Corpus.expectFilesAnswer(w, repo)
    }

    @Test func headNamingSomethingElseThanABranch() throws {
        let w = try GitWorld()
        let repo = try w.repo("repo")
        try w.git("update-ref", "refs/remotes/origin/main", "HEAD~1", in: repo)
        try w.git("symbolic-ref", "HEAD", "refs/remotes/origin/main", in: repo)
        let layout = try #require(RepoFiles.discover(from: repo, environment: w.env))
        #expect(try RepoFiles.head(layout.dirs) == nil)
        let repository = try Repository.discover(from: repo, environment: w.env)
        #expect(try repository.head().commit == GitSays(world: w, dir: repo).head.commit)
        #expect(repository.usedLibgit2)
    }

    /// A `.git` file that does not say `gitdir:`: git refuses it; the reader does not read it and
    /// libgit2 refuses it too.
    @Test func aBrokenGitFileIsAnError() throws {
        let w = try GitWorld()
        let repo = try w.repo("repo")
        try w.git("worktree", "add", "-q", w.path("wt"), in: repo)
        try w.write(w.path("wt/.git"), "not a gitdir line\n")
        #expect(RepoFiles.discover(from: w.path("wt"), environment: w.env) == nil)
        #expect(try w.run(["rev-parse", "--git-dir"], in: w.path("wt")).status != 0)
        #expect(throws: (any Error).self) { try Repository.discover(from: w.path("wt"), environment: w.env) }
    }

    /// A file whose name git does not take for a reference's is skipped, as git skips it (with a
    /// warning); the rule is git's `check-ref-format`.
    @Test func referenceNamesAsGitChecksThem() throws {
        let w = try GitWorld()
        for name in [
            "refs/heads/main", "refs/heads/a/b", "refs/heads/a./b", "refs/heads/a.", "refs/heads/.a", "refs/heads/a..b",
            "refs/heads/a.lock", "refs/heads/a.lock/b", "refs/heads/x.lockx", "refs/heads/a//b", "refs/heads/a/",
            "refs/heads/a b", "refs/heads/a~1", "refs/heads/a^", "refs/heads/a:b", "refs/heads/a?", "refs/heads/a*",
            "refs/heads/a[b", "refs/heads/a\\b", "refs/heads/a@{1}", "refs/heads/@", "@", "refs/heads/a@b",
            "refs/heads/\u{7F}", "refs/heads/caf\u{E9}", "refs/heads/-dash", "refs/heads/.lock",
        ] {
            let git = try w.run(["check-ref-format", name], in: w.root).status == 0
            #expect(RepoFiles.isValidRefName(name) == git, "\(name.debugDescription)")
        }
    }
}
