import Foundation
import Testing

@testable import GitKit

/// The git-file reader (``RepoFiles``) and libgit2 held to `git` itself over a corpus of
/// repository layouts, each made by the real `git` in a hermetic world: every answer GitKit
/// gives (where the repository is, HEAD, each branch, the other worktrees, configuration values,
/// shallowness, the paths of git's files) must be git's. Where the files reader hands a layout
/// over to libgit2, the answer must still be git's; where it reads the files itself, libgit2
/// must agree with it too.
@Suite struct LayoutCorpusTests {
    /// The configuration keys asked in every layout (set in some, unset in others).
    static let keys = [
        "user.name", "user.email", "core.bare", "core.commitGraph", "core.hooksPath", "codex-state.staleAfter",
        "corpus.local", "corpus.global", "corpus.included", "corpus.conditional", "corpus.branch", "corpus.remote",
        "corpus.worktree", "corpus.home", "Sec.Sub.Key", "nothing.here",
    ]

    /// A repository as GitKit finds it from `dir` (the files reader first), with the world's
    /// environment plus `extra`.
    static func discover(_ w: GitWorld, _ dir: String, _ extra: [String: String] = [:]) throws -> Repository {
        try Repository.discover(from: dir, environment: w.env.merging(extra) { $1 })
    }

    /// The same repository opened by libgit2 alone.
    static func libgit2(_ w: GitWorld, _ dir: String, _ extra: [String: String] = [:]) throws -> Repository {
        try Repository.discoverWithLibgit2(from: dir, environment: w.env.merging(extra) { $1 })
    }

    /// Every answer of `repo` is git's.
    static func expectGitsAnswers(
        _ repo: Repository, _ git: GitSays, _ context: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        func same<T: Equatable>(_ ours: T, _ theirs: T, _ what: String) {
            #expect(ours == theirs, "\(context): \(what)", sourceLocation: sourceLocation)
        }
        same(repo.workdir, try git.workdir, "work tree")
        same(repo.gitDir, try git.gitDir, "git dir")
        same(repo.commonDir, try git.commonDir, "common dir")
        same(repo.isLinkedWorktree, try git.gitDir != git.commonDir, "linked worktree")
        same(try repo.isShallow, try git.isShallow, "shallow")
        same(try repo.head(), try git.head, "HEAD")
        let tips = try git.branchTips
        same(try repo.branchTips(), tips, "branch tips")
        for tip in tips where !tip.remote {
            same(try repo.branchTip(tip.name), try git.branchTip(tip.name), "branch \(tip.name)")
        }
        same(try repo.branchTip("no/such/branch"), nil, "a missing branch")
        same(try repo.otherWorktrees().sorted { $0.path < $1.path }, try git.otherWorktrees, "worktrees")
        for key in keys { same(try repo.configString(key), try git.config(key), "config \(key)") }
        for file in GitFile.allCases { same(repo.path(of: file), try git.gitPath(file.rawValue), "path of \(file)") }
        same(try repo.fetchHeadFiles().first, try git.gitPath("FETCH_HEAD"), "this worktree's FETCH_HEAD")
    }

    /// git's answers from the files reader, which answered without libgit2, and from libgit2
    /// (unless `libgit2Agrees` is false: a form of git's files libgit2 1.5 reads otherwise).
    /// libgit2 opened where the files reader found the repository sees the same HEAD.
    static func expectFilesAnswer(
        _ w: GitWorld, _ dir: String, _ extra: [String: String] = [:], libgit2Agrees: Bool = true,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let git = GitSays(world: w, dir: dir, extra: extra)
        let files = try discover(w, dir, extra)
        try expectGitsAnswers(files, git, "files reader in \(dir)", sourceLocation: sourceLocation)
        #expect(!files.usedLibgit2, "the files reader handed \(dir) to libgit2", sourceLocation: sourceLocation)
        if let commit = try git.head.commit, libgit2Agrees {
            #expect(try files.resolveCommit("HEAD") == commit, sourceLocation: sourceLocation)
        }
        if libgit2Agrees {
            try expectGitsAnswers(try libgit2(w, dir, extra), git, "libgit2 in \(dir)", sourceLocation: sourceLocation)
        }
    }

    /// git's answers from a layout the files reader leaves to libgit2 (it must say so).
    static func expectHandedOver(
        _ w: GitWorld, _ dir: String, _ extra: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let env = w.env.merging(extra) { $1 }
        #expect(RepoFiles.discover(from: dir, environment: env) == nil, "\(dir)", sourceLocation: sourceLocation)
        let repo = try discover(w, dir, extra)
        #expect(repo.usedLibgit2, sourceLocation: sourceLocation)
        try expectGitsAnswers(
            repo, GitSays(world: w, dir: dir, extra: extra), "handed over in \(dir)", sourceLocation: sourceLocation)
    }

    @Test func packedAndLooseReferences() throws {
        let w = try GitWorld()
        let repo = try w.repo("repo", commits: 3)
        try w.git("branch", "feature/x", "HEAD~1", in: repo)
        try w.git("branch", "packed-then-moved", "HEAD~2", in: repo)
        try w.git("branch", "packed-then-deleted", in: repo)
        try w.git("branch", "nested/deep/name", "HEAD~2", in: repo)
        try w.git("tag", "v1", "HEAD~1", in: repo)
        try w.git("tag", "-a", "-m", "annotated", "v2", in: repo)
        try w.git("update-ref", "refs/remotes/origin/main", "HEAD~1", in: repo)
        try w.git("update-ref", "refs/remotes/origin/topic", "HEAD~2", in: repo)
        try w.git("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main", in: repo)
        try w.git("pack-refs", "--all", in: repo)
        try w.git("branch", "-f", "packed-then-moved", "HEAD", in: repo)  // a loose file overrides the packed line
        try w.git("branch", "-D", "packed-then-deleted", in: repo)
        try w.git("branch", "loose-only", "HEAD~1", in: repo)
        try w.git("update-ref", "refs/remotes/origin/main", "HEAD", in: repo)
        // Configuration at every level git reads here, and one it must not read: with
        // GIT_CONFIG_GLOBAL set, git ignores ~/.gitconfig and the XDG file.
        try w.git("config", "corpus.local", "local value", in: repo)
        try w.git("config", "codex-state.staleAfter", "48h", in: repo)
        try w.git("config", "--global", "corpus.global", "global value", in: repo)
        try w.write(w.path("home/.gitconfig"), "[corpus]\n\thome = from ~/.gitconfig\n\tglobal = shadowed\n")
        try w.write(w.path("home/.config/git/config"), "[corpus]\n\thome = from XDG\n")
        try w.append(repo + "/.git/config", "[sec \"Sub\"]\n\tkey = sub\n[sec.SUB]\n\tkey = old style\n")
        try FileManager.default.createDirectory(atPath: repo + "/sub/dir", withIntermediateDirectories: true)
        for dir in [repo, repo + "/sub/dir"] { try Self.expectFilesAnswer(w, dir) }
    }

    @Test func headDetachedUnbornAndOrphan() throws {
        let w = try GitWorld()
        let repo = try w.repo("repo")
        try w.git("checkout", "-q", "--detach", "HEAD~1", in: repo)
        try Self.expectFilesAnswer(w, repo)
        try w.git("checkout", "-q", "--orphan", "fresh", in: repo)
        try Self.expectFilesAnswer(w, repo)
        let empty = try w.repo("empty", commits: 0)
        try Self.expectFilesAnswer(w, empty)
    }

    /// HEAD and references written in every form git reads.
    @Test func unusualButValidReferenceFiles() throws {
        let w = try GitWorld()
        let repo = try w.repo("repo")
        let git = repo + "/.git/"
        let head = try w.git("rev-parse", "HEAD", in: repo)
        try w.git("branch", "other", "HEAD~1", in: repo)
        // HEAD through a symbolic branch, to the last name (as `git symbolic-ref HEAD` says).
        try w.git("symbolic-ref", "refs/heads/alias", "refs/heads/other", in: repo)
        try w.git("symbolic-ref", "HEAD", "refs/heads/alias", in: repo)
        try Self.expectFilesAnswer(w, repo)
        // A symbolic link as HEAD (what git wrote long ago) is a symbolic reference.
        // libgit2 1.5 reads the link through, as a detached HEAD.
        try FileManager.default.removeItem(atPath: git + "HEAD")
        try FileManager.default.createSymbolicLink(atPath: git + "HEAD", withDestinationPath: "refs/heads/main")
        try Self.expectFilesAnswer(w, repo, libgit2Agrees: false)
        try FileManager.default.removeItem(atPath: git + "HEAD")
        // `ref:` without a space, trailing whitespace; an id followed by anything after a space
        // (libgit2 1.5 calls both corrupt).
        try w.write(git + "HEAD", "ref:refs/heads/other \t\n")
        try Self.expectFilesAnswer(w, repo, libgit2Agrees: false)
        try w.write(git + "HEAD", head + " left by a tool\n")
        try Self.expectFilesAnswer(w, repo, libgit2Agrees: false)
        try w.write(git + "HEAD", "ref: refs/heads/main\n")
        // Files git does not take for branches: hidden, lock files, an empty directory.
        try w.write(git + "refs/heads/.hidden", head + "\n")
        try w.write(git + "refs/heads/wip.lock", head + "\n")
        try FileManager.default.createDirectory(atPath: git + "refs/heads/empty/dir", withIntermediateDirectories: true)
        // A packed branch where a directory stands: git reads packed-refs.
        try w.git("branch", "packed", "HEAD~1", in: repo)
        try w.git("pack-refs", "--all", in: repo)
        try FileManager.default.createDirectory(atPath: git + "refs/heads/packed", withIntermediateDirectories: true)
        try Self.expectFilesAnswer(w, repo)
    }

    @Test func linkedWorktrees() throws {
        let w = try GitWorld()
        let repo = try w.repo("repo")
        try w.git("worktree", "add", "-q", w.path("wt/side"), "-b", "side", in: repo)
        try w.git("worktree", "add", "-q", "--detach", w.path("detached"), "HEAD~1", in: repo)
        try w.git("worktree", "add", "-q", w.path("locked"), "-b", "locked", in: repo)
        try w.git("worktree", "lock", w.path("locked"), in: repo)
        try w.git("worktree", "add", "-q", w.path("gone"), "-b", "gone", in: repo)
        try FileManager.default.removeItem(atPath: w.path("gone"))  // prunable: git and GitKit leave it out
        try w.git("pack-refs", "--all", in: repo)
        try w.git("commit", "-q", "--allow-empty", "-m", "on side", in: w.path("wt/side"))
        try FileManager.default.createDirectory(atPath: w.path("wt/side/inner"), withIntermediateDirectories: true)
        // Only the `.git` file of a worktree gone: git calls it prunable.
        try w.git("worktree", "add", "-q", w.path("unlinked"), "-b", "unlinked", in: repo)
        try FileManager.default.removeItem(atPath: w.path("unlinked/.git"))
        // A locked worktree whose directory is gone is still listed (git never prunes it).
        try w.git("worktree", "add", "-q", w.path("away"), "-b", "away", in: repo)
        try w.git("worktree", "lock", "--reason", "on a removable disk", w.path("away"), in: repo)
        try FileManager.default.removeItem(atPath: w.path("away"))
        // A worktree checked out on a branch through a symbolic branch.
        try w.git("symbolic-ref", "refs/heads/alias", "refs/heads/locked", in: repo)
        for dir in [repo, w.path("wt/side"), w.path("wt/side/inner"), w.path("detached"), w.path("locked")] {
            try Self.expectFilesAnswer(w, dir)
        }
    }

    @Test func fetchInALinkedWorktree() throws {
        let w = try GitWorld()
        let upstream = try w.repo("upstream")
        try w.git("branch", "topic", in: upstream)
        let clone = w.path("clone")
        try w.git("clone", "-q", upstream, clone, in: w.root)
        try w.git("worktree", "add", "-q", w.path("wt"), "-b", "wt", in: clone)
        try w.commit("f3", in: upstream)
        try w.git("branch", "later", in: upstream)
        try w.git("fetch", "-q", "origin", in: w.path("wt"))
        for dir in [clone, w.path("wt")] { try Self.expectFilesAnswer(w, dir) }
        // git 2.39 wrote FETCH_HEAD in the linked worktree's own git directory, where GitKit
        // says; every worktree lists it among the clone's FETCH_HEADs.
        let wt = try Self.discover(w, w.path("wt"))
        let main = try Self.discover(w, clone)
        #expect(wt.path(of: .fetchHead) == clone + "/.git/worktrees/wt/FETCH_HEAD")
        #expect(FileManager.default.fileExists(atPath: wt.path(of: .fetchHead)))
        #expect(!FileManager.default.fileExists(atPath: main.path(of: .fetchHead)))
        #expect(try main.fetchHeadFiles() == [clone + "/.git/FETCH_HEAD", clone + "/.git/worktrees/wt/FETCH_HEAD"])
        #expect(try wt.fetchHeadFiles() == [clone + "/.git/worktrees/wt/FETCH_HEAD", clone + "/.git/FETCH_HEAD"])
        // A fetch in either worktree changes the stamp both key their cached answers on.
        let before = try wt.fetchStamp()
        try w.git("fetch", "-q", "origin", in: clone)
        let afterMain = try wt.fetchStamp()
        #expect(afterMain != before)
        try w.git("fetch", "-q", "origin", "topic", in: w.path("wt"))
        #expect(try wt.fetchStamp() != afterMain)
    }

    @Test func shallowClone() throws {
        let w = try GitWorld()
        let upstream = try w.repo("upstream", commits: 4)
        let clone = w.path("shallow")
        try w.git("clone", "-q", "--depth", "2", "file://" + upstream, clone, in: w.root)
        try Self.expectFilesAnswer(w, clone)
        try w.git("worktree", "add", "-q", w.path("wt"), in: clone)
        try Self.expectFilesAnswer(w, w.path("wt"))
    }

    @Test func partialClone() throws {
        let w = try GitWorld()
        let upstream = try w.repo("upstream", commits: 3)
        try w.git("config", "uploadpack.allowFilter", "true", in: upstream)
        let clone = w.path("partial")
        try w.git("clone", "-q", "--filter=blob:none", "--no-checkout", "file://" + upstream, clone, in: w.root)
        #expect(try w.git("config", "--get", "remote.origin.promisor", in: clone) == "true")
        try Self.expectFilesAnswer(w, clone)
        // Partial and sparse, as large repositories are cloned: format version 1 with
        // `extensions.worktreeConfig`, which libgit2 1.5 refuses unless told it may open it.
        let sparse = w.path("sparse")
        try w.git("clone", "-q", "--filter=blob:none", "--sparse", "file://" + upstream, sparse, in: w.root)
        #expect(try w.git("config", "extensions.worktreeConfig", in: sparse) == "true")
        try Self.expectFilesAnswer(w, sparse)
        let libgit2 = try Self.libgit2(w, sparse)
        #expect(try libgit2.commitExists(libgit2.resolveCommit("HEAD~2")))
    }

    @Test func configIncludes() throws {
        let w = try GitWorld()
        let repo = try w.repo("repo")
        try w.git("remote", "add", "origin", "https://example.com/corpus/repo.git", in: repo)
        try w.git("worktree", "add", "-q", w.path("wt"), "-b", "topic", in: repo)
        try w.write(w.path("conf/included"), "[corpus]\n\tincluded = by path\n[include]\n\tpath = nested\n")
        try w.write(w.path("conf/nested"), "[corpus]\n\tglobal = nested in an include\n")
        try w.write(w.path("conf/gitdir"), "[corpus]\n\tconditional = gitdir matched\n")
        try w.write(w.path("conf/gitdir-wt"), "[corpus]\n\tconditional = linked gitdir matched\n")
        try w.write(w.path("conf/never"), "[corpus]\n\tconditional = never\n")
        try w.write(w.path("conf/branch"), "[corpus]\n\tbranch = on topic\n")
        try w.write(w.path("conf/remote"), "[corpus]\n\tremote = hasconfig matched\n")
        try w.write(w.path("home/.gitconfig-home"), "[corpus]\n\thome = by tilde\n")
        try w.append(
            w.env["GIT_CONFIG_GLOBAL"] ?? "",
            """
            [include]
            \tpath = \(w.path("conf/included"))
            \tpath = ~/.gitconfig-home
            [includeIf "gitdir:\(repo)/"]
            \tpath = \(w.path("conf/gitdir"))
            [includeIf "gitdir:**/worktrees/wt/**"]
            \tpath = \(w.path("conf/gitdir-wt"))
            [includeIf "gitdir/i:\(repo.uppercased())/"]
            \tpath = \(w.path("conf/never"))
            [includeIf "onbranch:top*"]
            \tpath = \(w.path("conf/branch"))
            [includeIf "hasconfig:remote.*.url:https://example.com/corpus/**"]
            \tpath = \(w.path("conf/remote"))

            """)
        // A relative include in the repository's own file.
        try w.write(repo + "/.git/local-include", "[corpus]\n\tlocal = from a relative include\n")
        try w.append(repo + "/.git/config", "[include]\n\tpath = local-include\n")
        for dir in [repo, w.path("wt")] { try Self.expectFilesAnswer(w, dir) }
    }

    /// git's documented hermetic setting: the null device as the global (and system) file reads
    /// as an empty file, not as an error (`check` failed with "/dev/null: is not a regular file").
    @Test func nullDeviceAsConfigurationFile() throws {
        let w = try GitWorld()
        let repo = try w.repo("repo")
        try w.git("config", "corpus.local", "still read", in: repo)
        let extra = ["GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_SYSTEM": "/dev/null", "GIT_CONFIG_NOSYSTEM": "0"]
        try Self.expectFilesAnswer(w, repo, extra)
    }

    @Test func worktreeConfiguration() throws {
        let w = try GitWorld()
        let repo = try w.repo("repo")
        try w.git("worktree", "add", "-q", w.path("wt"), "-b", "wt", in: repo)
        try w.git("config", "extensions.worktreeConfig", "true", in: repo)
        try w.git("config", "--worktree", "corpus.worktree", "main's own", in: repo)
        try w.git("config", "--worktree", "corpus.worktree", "the linked one's own", in: w.path("wt"))
        try w.git("config", "--worktree", "corpus.local", "overridden per worktree", in: w.path("wt"))
        for dir in [repo, w.path("wt")] { try Self.expectFilesAnswer(w, dir) }
    }

    @Test func separateGitDirAndSubmodule() throws {
        let w = try GitWorld()
        let separate = w.path("separate")
        try FileManager.default.createDirectory(atPath: separate, withIntermediateDirectories: true)
        try w.git("init", "-q", "--separate-git-dir", w.path("separate.git"), in: separate)
        try w.commit("a", in: separate)
        try Self.expectFilesAnswer(w, separate)
        // A submodule's git dir lives in the superproject's, with core.worktree pointing back.
        let sub = try w.repo("sub")
        let superproject = try w.repo("super")
        try w.git("submodule", "add", "-q", sub, "mod", in: superproject)
        try Self.expectFilesAnswer(w, superproject + "/mod")
        try Self.expectFilesAnswer(w, superproject)
    }

    @Test func gitDirAndWorkTreeVariables() throws {
        let w = try GitWorld()
        let repo = try w.repo("repo")
        try w.git("worktree", "add", "-q", w.path("wt"), "-b", "wt", in: repo)
        try FileManager.default.createDirectory(atPath: repo + "/sub", withIntermediateDirectories: true)
        let elsewhere = w.path("elsewhere")
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        // GIT_DIR alone: the current directory is the top of the work tree.
        try Self.expectFilesAnswer(w, elsewhere, ["GIT_DIR": repo + "/.git"])
        try Self.expectFilesAnswer(w, elsewhere, ["GIT_DIR": repo + "/.git", "GIT_WORK_TREE": repo])
        try Self.expectFilesAnswer(w, repo, ["GIT_DIR": ".git"])
        try Self.expectFilesAnswer(w, repo + "/sub", ["GIT_WORK_TREE": repo])
        // What git sets for hooks in a linked worktree.
        try Self.expectFilesAnswer(w, w.path("wt"), ["GIT_DIR": repo + "/.git/worktrees/wt"])
        // GIT_DIR naming a `.git` file.
        try Self.expectFilesAnswer(w, w.path("wt"), ["GIT_DIR": w.path("wt/.git")])
    }

    @Test func bareRepositories() throws {
        let w = try GitWorld()
        let upstream = try w.repo("upstream")
        let bare = w.path("bare.git")
        try w.git("clone", "-q", "--bare", upstream, bare, in: w.root)
        try Self.expectHandedOver(w, bare)
        // GIT_DIR naming a bare repository, without a work tree.
        try Self.expectHandedOver(w, w.root, ["GIT_DIR": bare])
        try w.git("worktree", "add", "-q", w.path("wt"), "-b", "wt", in: bare)
        try Self.expectHandedOver(w, bare)
        // A linked worktree of a bare repository: the files reader finds it; the main "worktree"
        // is bare, so it is not another worktree.
        try Self.expectFilesAnswer(w, w.path("wt"))
    }

    @Test func coreWorktreeMovesTheWorkTree() throws {
        let w = try GitWorld()
        let repo = try w.repo("repo")
        let work = w.path("work")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        // libgit2 1.5 finds no repository from a directory outside the work tree it names.
        try w.git("config", "core.worktree", work, in: repo)
        try Self.expectFilesAnswer(w, repo, libgit2Agrees: false)
        try Self.expectFilesAnswer(w, work, ["GIT_DIR": repo + "/.git"])
        try w.git("config", "core.worktree", "../../work", in: repo)
        try Self.expectFilesAnswer(w, repo, libgit2Agrees: false)
    }
}
