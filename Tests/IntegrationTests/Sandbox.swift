import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The result of running a program.
struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
    var ok: Bool { status == 0 }
}

/// A hermetic world for one test: its own temporary directory, HOME, git config, fixed dates
/// and actor; real `git`, and the real `codex-state` binary this package built.
final class Sandbox {
    let root: String
    var env: [String: String]

    static let binary: String = {
        if let b = ProcessInfo.processInfo.environment["CODEX_STATE_BIN"] { return b }
        // The test bundle sits in the build products directory, beside the executable.
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("codex-state").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        let fallback = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/codex-state").path
        return fallback
    }()

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/codex-state-test-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        root = URL(fileURLWithPath: String(cString: made)).standardizedFileURL.path
        let home = root + "/home"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let gitconfig = root + "/gitconfig"
        try """
        [user]
            name = Test User
            email = test@example.com
        [init]
            defaultBranch = main
        [advice]
            detachedHead = false
        """.write(toFile: gitconfig, atomically: true, encoding: .utf8)
        env = [
            "PATH": try Self.hermeticPath(root: root),
            "HOME": home,
            "XDG_CONFIG_HOME": home + "/.config",
            "GIT_CONFIG_GLOBAL": gitconfig,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_DATE": "2026-01-15T09:00:00Z",
            "GIT_COMMITTER_DATE": "2026-01-15T09:00:00Z",
            "CODEX_STATE_NOW": "2026-01-15T09:00:00Z",
            "CODEX_STATE_ACTOR": "tester",
            // Lexical recall unless a test names a model: one installed on the host (README's
            // install command puts it in /usr/local/share) must not change a result.
            "CODEX_STATE_SEMANTIC_MODEL": "none",
            "LANG": "C.UTF-8",
            "TZ": "UTC",
        ]
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// The host's PATH without any `codex-state` the user installed (README's first command
    /// puts one in /usr/local/bin): a folder holding one is replaced by a folder of links to
    /// everything else in it, so tests find the host's git and tools but only the binary under
    /// test, and only where a test puts it.
    static func hermeticPath(
        root: String, host: String = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    ) throws -> String {
        let fm = FileManager.default
        var out: [String] = []
        for (i, dir) in host.split(separator: ":").map(String.init).enumerated() where !dir.isEmpty {
            guard fm.fileExists(atPath: dir + "/codex-state") else {
                out.append(dir)
                continue
            }
            let shadow = root + "/path-\(i)"
            try fm.createDirectory(atPath: shadow, withIntermediateDirectories: true)
            for name in (try? fm.contentsOfDirectory(atPath: dir)) ?? [] where name != "codex-state" {
                try? fm.createSymbolicLink(atPath: shadow + "/" + name, withDestinationPath: dir + "/" + name)
            }
            out.append(shadow)
        }
        return out.joined(separator: ":")
    }

    func path(_ relative: String) -> String { root + "/" + relative }

    /// Runs a program with the sandbox's environment; output goes through files so a large
    /// output can never deadlock a pipe.
    func run(
        _ program: String, _ args: [String], in dir: String, env extra: [String: String] = [:], stdin: String? = nil
    )
        throws -> Run
    {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: program.hasPrefix("/") ? program : "/usr/bin/env")
        p.arguments = program.hasPrefix("/") ? args : [program] + args
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        p.environment = env.merging(extra) { $1 }
        let id = UUID().uuidString
        let out = root + "/.out-\(id)"
        let err = root + "/.err-\(id)"
        FileManager.default.createFile(atPath: out, contents: nil)
        FileManager.default.createFile(atPath: err, contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: out)
            try? FileManager.default.removeItem(atPath: err)
        }
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        if let s = stdin {
            let inFile = root + "/.in-\(id)"
            try s.write(toFile: inFile, atomically: true, encoding: .utf8)
            p.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: inFile))
        } else {
            p.standardInput = FileHandle.nullDevice
        }
        try p.run()
        p.waitUntilExit()
        return Run(
            status: p.terminationStatus,
            stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }

    /// Runs git; a failure fails the test with git's message.
    @discardableResult
    func git(_ args: String..., in dir: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let r = try run("git", args, in: dir)
        if !r.ok {
            Issue.record("git \(args.joined(separator: " ")) failed: \(r.stderr)", sourceLocation: sourceLocation)
        }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs codex-state.
    func cs(_ args: String..., in dir: String, env extra: [String: String] = [:]) throws -> Run {
        try run(Self.binary, args, in: dir, env: extra)
    }

    /// Runs codex-state and expects success; returns trimmed stdout.
    @discardableResult
    func ok(_ args: String..., in dir: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let r = try run(Self.binary, args, in: dir)
        if !r.ok {
            Issue.record(
                "codex-state \(args.joined(separator: " ")) exited \(r.status): \(r.stderr)",
                sourceLocation: sourceLocation)
        }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A new repository; with `commit`, one initial commit holding README.
    func repo(_ name: String = "repo", commit: Bool = true) throws -> String {
        let dir = path(name)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try git("init", "-q", in: dir)
        if commit { try self.commit("README", "hello\n", "initial", in: dir) }
        return dir
    }

    /// Writes a file and commits it.
    func commit(_ file: String, _ content: String, _ message: String, in dir: String) throws {
        try write(dir + "/" + file, content)
        try git("add", file, in: dir)
        try git("commit", "-q", "-m", message, in: dir)
    }

    func write(_ path: String, _ content: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try content.write(to: url, atomically: true, encoding: .utf8)
    }

    func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    func bytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    func json(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> [String: Any] {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            Issue.record("not a JSON object: \(text)", sourceLocation: sourceLocation)
            return [:]
        }
        return obj
    }

    /// `tasks --all --json`, keyed by task id.
    func tasks(in dir: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: [String: Any]] {
        let obj = json(
            try ok("tasks", "--all", "--json", in: dir, sourceLocation: sourceLocation), sourceLocation: sourceLocation)
        var out: [String: [String: Any]] = [:]
        for t in obj["tasks"] as? [[String: Any]] ?? [] { out[t["id"] as! String] = t }
        return out
    }

    func effective(_ id: String, in dir: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String? {
        try tasks(in: dir, sourceLocation: sourceLocation)[id]?["effective_status"] as? String
    }
}
