import Foundation
import Testing

@testable import GitKit

#if canImport(Glibc)
    import Glibc
#endif

/// A git file GitKit cannot read, or that holds what git never writes there, is an error the
/// caller sees, naming the file: never "no such branch", "not shallow", "no operation under way"
/// or "no such commit".
@Suite struct UnreadableFileTests {
    static func repository(_ w: GitWorld, _ dir: String) throws -> Repository {
        try Repository.discover(from: dir, environment: w.env)
    }

    /// `body` throws an error naming `file`.
    static func expectError(
        naming file: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () throws -> Void
    ) {
        do {
            try body()
            Issue.record("\(what): answered instead of failing", sourceLocation: sourceLocation)
        } catch {
            #expect("\(error)".contains(file), "\(what): \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func garbageInGitsFilesIsAnError() throws {
        let w = try GitWorld()
        let repo = try w.repo("repo")
        let git = repo + "/.git/"
        try w.git("worktree", "add", "-q", w.path("wt"), "-b", "wt", in: repo)
        try w.git("branch", "packed", in: repo)
        try w.git("pack-refs", "--all", in: repo)

        try w.write(git + "refs/heads/main", "not an id\n")
        Self.expectError(naming: git + "refs/heads/main", "HEAD's branch") { _ = try Self.repository(w, repo).head() }
        Self.expectError(naming: git + "refs/heads/main", "branch tips") {
            _ = try Self.repository(w, repo).branchTips()
        }
        Self.expectError(naming: git + "refs/heads/main", "a branch") {
            _ = try Self.repository(w, repo).branchTip("main")
        }
        try w.write(git + "refs/heads/main", try w.git("rev-parse", "wt", in: repo) + "\n")

        try w.write(git + "packed-refs", "# pack-refs with: peeled fully-peeled sorted\nnonsense\n")
        Self.expectError(naming: git + "packed-refs", "packed branch") {
            _ = try Self.repository(w, repo).branchTip("packed")
        }
        Self.expectError(naming: git + "packed-refs", "branch tips") { _ = try Self.repository(w, repo).branchTips() }
        try FileManager.default.removeItem(atPath: git + "packed-refs")

        try w.write(git + "shallow", "nonsense\n")
        Self.expectError(naming: git + "shallow", "shallow") { _ = try Self.repository(w, repo).isShallow }
        try FileManager.default.removeItem(atPath: git + "shallow")

        try w.write(git + "ORIG_HEAD", "nonsense\n")
        Self.expectError(naming: git + "ORIG_HEAD", "ORIG_HEAD") { _ = try Self.repository(w, repo).origHead() }

        try w.write(git + "worktrees/wt/HEAD", "nonsense\n")
        Self.expectError(naming: git + "worktrees/wt/HEAD", "another worktree's branch") {
            _ = try Self.repository(w, repo).otherWorktrees()
        }
        try w.write(git + "worktrees/wt/HEAD", "ref: refs/heads/wt\n")

        try w.append(git + "config", "[broken\n")
        Self.expectError(naming: git + "config", "a setting") {
            _ = try Self.repository(w, w.path("wt")).configString("user.name")
        }
    }

    @Test func aDirectoryWhereAFileBelongsIsAnError() throws {
        let w = try GitWorld()
        let repo = try w.repo("repo")
        let git = repo + "/.git/"
        for name in ["shallow", "ORIG_HEAD", "packed-refs"] {
            try FileManager.default.createDirectory(atPath: git + name, withIntermediateDirectories: true)
            Self.expectError(naming: git + name, name) {
                let r = try Self.repository(w, repo)
                _ = try r.isShallow
                _ = try r.origHead()
                _ = try r.branchTips()
            }
            try FileManager.default.removeItem(atPath: git + name)
        }
        try FileManager.default.removeItem(atPath: git + "HEAD")
        try FileManager.default.createDirectory(atPath: git + "HEAD", withIntermediateDirectories: true)
        Self.expectError(naming: git + "HEAD", "HEAD") {
            _ = try RepoFiles.head(RepoFiles.Dirs(gitDir: git, commonDir: git))
        }
    }

    @Test func aLoopOfLinksIsAnError() throws {
        let w = try GitWorld()
        let repo = try w.repo("repo")
        let git = repo + "/.git/"
        try FileManager.default.createSymbolicLink(atPath: git + "loop-a", withDestinationPath: git + "loop-b")
        try FileManager.default.createSymbolicLink(atPath: git + "loop-b", withDestinationPath: git + "loop-a")
        try FileManager.default.removeItem(atPath: git + "refs/heads/main")
        try FileManager.default.createSymbolicLink(atPath: git + "refs/heads/main", withDestinationPath: git + "loop-a")
        Self.expectError(naming: git + "refs/heads/main", "HEAD's branch") { _ = try Self.repository(w, repo).head() }
        try FileManager.default.createSymbolicLink(atPath: git + "shallow", withDestinationPath: git + "loop-a")
        Self.expectError(naming: git + "shallow", "shallow") { _ = try Self.repository(w, repo).isShallow }
    }

    /// A commit object that cannot be read is not a commit the clone lacks.
    @Test func aCorruptCommitIsNotAMissingOne() throws {
        let w = try GitWorld()
        let repo = try w.repo("repo", commits: 3)
        let id = try #require(ObjectID(hex: try w.git("rev-parse", "HEAD~1", in: repo)))
        let object = repo + "/.git/objects/\(id.hex.prefix(2))/\(id.hex.dropFirst(2))"
        #expect(FileManager.default.fileExists(atPath: object))
        #expect(chmod(object, 0o644) == 0)
        try w.write(object, "not a zlib stream")
        let r = try Self.repository(w, repo)
        #expect(throws: GitError.self) { try r.commitExists(id) }
        #expect(try r.commitExists(#require(ObjectID(hex: String(repeating: "0", count: 40)))) == false)
    }

    /// Permissions only bite when the tests do not run as root (CI containers often do).
    @Test(.enabled(if: geteuid() != 0)) func aFileThatMayNotBeReadIsAnError() throws {
        let w = try GitWorld()
        let repo = try w.repo("repo")
        let git = repo + "/.git/"
        try w.git("worktree", "add", "-q", w.path("wt"), "-b", "wt", in: repo)
        for (path, what) in [
            (git + "refs/heads/main", "branch"), (git + "refs/heads", "branch listing"),
            (git + "worktrees", "worktrees"),
            (git + "config", "configuration"),
        ] {
            #expect(chmod(path, 0) == 0)
            defer { chmod(path, path.hasSuffix("s") ? 0o755 : 0o644) }
            Self.expectError(naming: path, what) {
                let r = try Self.repository(w, w.path("wt"))
                _ = try r.branchTips()
                _ = try r.otherWorktrees()
                _ = try r.configString("user.name")
                _ = try r.head()
            }
        }
    }
}
