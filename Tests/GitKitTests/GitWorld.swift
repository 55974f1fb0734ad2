import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A failed `git` run, with what git printed.
struct GitFailed: Error, CustomStringConvertible {
    let arguments: [String]
    let status: Int32
    let stderr: String
    var description: String { "git \(arguments.joined(separator: " ")) exited \(status): \(stderr)" }
}

/// One test's hermetic git world: its own temporary directory and HOME, a global configuration
/// of its own (`GIT_CONFIG_GLOBAL`), no system configuration (`GIT_CONFIG_NOSYSTEM`), fixed
/// author and committer dates. The real `git` runs in it; the same environment is handed to
/// GitKit, so both read the same configuration files whatever the host has.
final class GitWorld {
    let root: String
    let env: [String: String]

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/gitkit-test-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        // Symbolic links resolved (macOS's /tmp, a linked TMPDIR), as git reports paths.
        root = URL(fileURLWithPath: String(cString: made)).resolvingSymlinksInPath().path
        let home = root + "/home"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let global = root + "/global.gitconfig"
        try """
        [user]
        \tname = World User
        \temail = world@example.com
        [init]
        \tdefaultBranch = main
        [advice]
        \tdetachedHead = false
        [protocol "file"]
        \tallow = always

        """.write(toFile: global, atomically: true, encoding: .utf8)
        env = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "HOME": home,
            "XDG_CONFIG_HOME": home + "/.config",
            "GIT_CONFIG_GLOBAL": global,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_DATE": "2026-01-15T09:00:00Z",
            "GIT_COMMITTER_DATE": "2026-01-15T09:00:00Z",
            "LANG": "C",
            "TZ": "UTC",
        ]
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func path(_ relative: String) -> String { root + "/" + relative }

    /// Runs git in `dir` with the world's environment (plus `extra`); returns its exit
    /// status and output. Output goes through files, so a large one cannot block a pipe.
    func run(_ arguments: [String], in dir: String, env extra: [String: String] = [:]) throws -> (
        status: Int32, out: String, err: String
    ) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: dir)
        process.environment = env.merging(extra) { $1 }
        let out = root + "/.stdout-\(UUID().uuidString)"
        let err = out + ".err"
        FileManager.default.createFile(atPath: out, contents: nil)
        FileManager.default.createFile(atPath: err, contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: out)
            try? FileManager.default.removeItem(atPath: err)
        }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return (
            process.terminationStatus, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
            (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
        )
    }

    /// Runs git and returns its output without the final newline; throws when it fails.
    @discardableResult
    func git(_ arguments: String..., in dir: String, env extra: [String: String] = [:]) throws -> String {
        let r = try run(arguments, in: dir, env: extra)
        guard r.status == 0 else { throw GitFailed(arguments: arguments, status: r.status, stderr: r.err) }
        return r.out.hasSuffix("\n") ? String(r.out.dropLast()) : r.out
    }

    func write(_ path: String, _ text: String) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }

    func append(_ path: String, _ text: String) throws {
        try write(path, ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "") + text)
    }

    /// A new repository `name` with `commits` commits on main (files `f1`, `f2`, …).
    func repo(_ name: String, commits: Int = 2) throws -> String {
        let dir = path(name)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try git("init", "-q", in: dir)
        for i in 0..<commits { try commit("f\(i + 1)", in: dir) }
        return dir
    }

    /// Writes `file` (its name as content) and commits it.
    func commit(_ file: String, in dir: String) throws {
        try write(dir + "/" + file, file + "\n")
        try git("add", file, in: dir)
        try git("commit", "-q", "-m", "add \(file)", in: dir)
    }
}
