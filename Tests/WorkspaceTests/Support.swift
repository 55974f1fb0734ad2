import Foundation
import Testing
import Workspace

#if canImport(Glibc)
    import Glibc
#endif

/// A seeded generator (SplitMix64): every run of the property tests walks the same sequences,
/// and a failure names the seed and step that reproduce it.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

/// A temporary git repository the library is used on directly (the integration tests drive the
/// binary instead), with git's configuration and the clock kept out of the result.
final class TempRepo {
    let root: String
    let path: String
    let env: [String: String]

    init(now: String = "2026-01-15T09:00:00Z") throws {
        var template = Array((NSTemporaryDirectory() + "/codex-state-ws-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        root = String(cString: made)
        path = root + "/repo"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let gitconfig = root + "/gitconfig"
        try "[user]\n    name = T\n    email = t@example.com\n[init]\n    defaultBranch = main\n".write(
            toFile: gitconfig, atomically: true, encoding: .utf8)
        env = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": root,
            "GIT_CONFIG_GLOBAL": gitconfig, "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_DATE": now,
            "GIT_COMMITTER_DATE": now, "CODEX_STATE_NOW": now, "CODEX_STATE_ACTOR": "tester", "TZ": "UTC",
        ]
        try git("init", "-q")
        try write("README", "hello\n")
        try git("add", "README")
        try git("commit", "-q", "-m", "initial")
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// A workspace on the repository, as one command would open it.
    func workspace(_ extra: [String: String] = [:]) throws -> Workspace {
        try Workspace(directory: path, environment: env.merging(extra) { $1 })
    }

    @discardableResult
    func git(_ args: String...) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["git"] + args
        p.currentDirectoryURL = URL(fileURLWithPath: path)
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "git \(args.joined(separator: " ")) failed")
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func write(_ relative: String, _ text: String) throws {
        try text.write(toFile: path + "/" + relative, atomically: true, encoding: .utf8)
    }

    var stateFile: String { path + "/.codex-state/project_state.json" }

    func stateBytes() -> [UInt8] { FileManager.default.contents(atPath: stateFile).map(Array.init) ?? [] }
}
