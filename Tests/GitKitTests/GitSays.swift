import Foundation
import Testing

@testable import GitKit

/// What `git` itself answers in a directory (with extra variables such as `GIT_DIR`): the oracle
/// every answer of GitKit is held to.
struct GitSays {
    let world: GitWorld
    let dir: String
    var extra: [String: String] = [:]

    /// git's output, or nil when it exits 1 (git's "no such thing" for the queries asked here).
    func ask(_ arguments: String...) throws -> String? {
        let r = try world.run(arguments, in: dir, env: extra)
        if r.status == 1 { return nil }
        guard r.status == 0 else { throw GitFailed(arguments: arguments, status: r.status, stderr: r.err) }
        return r.out.hasSuffix("\n") ? String(r.out.dropLast()) : r.out
    }

    func must(_ arguments: String...) throws -> String {
        let r = try world.run(arguments, in: dir, env: extra)
        guard r.status == 0 else { throw GitFailed(arguments: arguments, status: r.status, stderr: r.err) }
        return r.out.hasSuffix("\n") ? String(r.out.dropLast()) : r.out
    }

    static func slashed(_ path: String) -> String { path.hasSuffix("/") ? path : path + "/" }

    static func real(_ path: String) -> String { URL(fileURLWithPath: path).resolvingSymlinksInPath().path }

    var isBare: Bool { get throws { try must("rev-parse", "--is-bare-repository") == "true" } }

    var gitDir: String { get throws { Self.slashed(try must("rev-parse", "--absolute-git-dir")) } }

    var commonDir: String {
        get throws { Self.slashed(Self.real(try must("rev-parse", "--path-format=absolute", "--git-common-dir"))) }
    }

    /// The top of the work tree, with a trailing slash; nil in a bare repository.
    var workdir: String? {
        get throws { try isBare ? nil : Self.slashed(try must("rev-parse", "--show-toplevel")) }
    }

    var isShallow: Bool { get throws { try must("rev-parse", "--is-shallow-repository") == "true" } }

    var head: Head {
        get throws {
            let commit = try ask("rev-parse", "-q", "--verify", "HEAD^{commit}").flatMap(ObjectID.init(hex:))
            guard let symbolic = try ask("symbolic-ref", "-q", "HEAD") else {
                guard let commit else { throw GitFailed(arguments: ["HEAD"], status: 1, stderr: "no HEAD") }
                return .detached(commit)
            }
            let name = symbolic.hasPrefix("refs/heads/") ? String(symbolic.dropFirst(11)) : symbolic
            return commit.map { .branch(name, $0) } ?? .unborn(name)
        }
    }

    /// Every local and remote-tracking branch that is not symbolic, sorted as GitKit sorts.
    var branchTips: [BranchTip] {
        get throws {
            let lines = try must(
                "for-each-ref", "--format=%(refname) %(objectname) %(symref)", "refs/heads", "refs/remotes")
            var out: [BranchTip] = []
            for line in lines.split(separator: "\n") {
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 3, parts[2].isEmpty, let id = ObjectID(hex: String(parts[1])) else { continue }
                let remote = parts[0].hasPrefix("refs/remotes/")
                out.append(BranchTip(name: String(parts[0].dropFirst(remote ? 13 : 11)), remote: remote, tip: id))
            }
            return out.sorted { ($0.remote ? 1 : 0, $0.name) < ($1.remote ? 1 : 0, $1.name) }
        }
    }

    /// The branch a local branch name resolves to, or nil (`git rev-parse --verify refs/heads/…`).
    func branchTip(_ name: String) throws -> ObjectID? {
        try ask("rev-parse", "-q", "--verify", "refs/heads/" + name).flatMap(ObjectID.init(hex:))
    }

    /// The worktrees `git worktree list --porcelain` lists, but this one, a bare main and those git
    /// marks prunable (their `.git` file is gone), sorted by path. Outside a linked worktree the
    /// main entry is this worktree, wherever git places it (for a separate git directory git
    /// names the git directory).
    var otherWorktrees: [WorktreeInfo] {
        get throws {
            let own = try workdir.map { String($0.dropLast()) }
            let linked = try gitDir != commonDir
            let text = try must("worktree", "list", "--porcelain")
            var out: [WorktreeInfo] = []
            var first = true
            for block in text.components(separatedBy: "\n\n") where !block.isEmpty {
                defer { first = false }
                let lines = block.split(separator: "\n").map(String.init)
                guard let path = lines.first(where: { $0.hasPrefix("worktree ") })?.dropFirst(9).description,
                    !lines.contains("bare"), !lines.contains(where: { $0.hasPrefix("prunable") }), path != own,
                    linked || !first
                else { continue }
                let branch = lines.first { $0.hasPrefix("branch refs/heads/") }.map { String($0.dropFirst(18)) }
                let name = first ? (path as NSString).lastPathComponent : try recordName(of: path)
                out.append(WorktreeInfo(name: name, path: path, branch: branch))
            }
            return out.sorted { $0.path < $1.path }
        }
    }

    /// The name git gave a linked worktree: its record under the common directory's `worktrees`
    /// whose `gitdir` names the worktree's `.git` (the porcelain list does not print it).
    func recordName(of path: String) throws -> String {
        let records = try commonDir + "worktrees"
        for name in try FileManager.default.contentsOfDirectory(atPath: records) {
            let gitdir = try? String(contentsOfFile: records + "/" + name + "/gitdir", encoding: .utf8)
            if gitdir?.trimmingCharacters(in: .whitespacesAndNewlines) == path + "/.git" { return name }
        }
        throw GitFailed(arguments: ["worktree", "list"], status: 0, stderr: "no record names \(path)")
    }

    /// `git config --get KEY`: nil when it is not set.
    func config(_ key: String) throws -> String? { try ask("config", "--get", key) }

    /// `git rev-parse --git-path NAME`, made absolute (not canonical: git's `--path-format=absolute`
    /// would follow a symbolic link at the path itself).
    func gitPath(_ name: String) throws -> String {
        URL(fileURLWithPath: try must("rev-parse", "--git-path", name), relativeTo: URL(fileURLWithPath: dir + "/"))
            .standardizedFileURL.path
    }
}
