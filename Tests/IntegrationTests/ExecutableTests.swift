import Foundation
import Testing

/// The two executables: `codex-state` starts every command, so it must not link what only the
/// MCP server needs; `codex-state mcp` runs `codex-state-mcp` from its own directory.
@Suite struct ExecutableTests {
    /// The shared libraries an ELF file asks the dynamic loader for (its NEEDED entries).
    static func neededLibraries(_ binary: String, in s: Sandbox) throws -> [String] {
        let r = try s.run("readelf", ["-d", binary], in: s.root)
        #expect(r.ok, "readelf -d \(binary): \(r.stderr)")
        return r.stdout.split(separator: "\n").filter { $0.contains("(NEEDED)") }.compactMap { line in
            guard let open = line.firstIndex(of: "["), let close = line.lastIndex(of: "]") else { return nil }
            return String(line[line.index(after: open)..<close])
        }
    }

    /// Foundation's networking brings libcurl and its ~30 libraries (TLS, Kerberos, LDAP, …),
    /// which the loader would relocate at the start of every command: a third of `--help`'s time.
    @Test func codexStateDoesNotLinkNetworking() throws {
        let s = try Sandbox()
        let needed = try Self.neededLibraries(Sandbox.binary, in: s)
        #expect(needed.contains { $0.hasPrefix("libc.so") }, "no NEEDED entries read: \(needed)")
        let networking = needed.filter { $0.contains("FoundationNetworking") || $0.contains("curl") }
        #expect(networking.isEmpty, "codex-state links \(networking): only codex-state-mcp may (the MCP SDK)")
    }

    /// libgit2 and its chain (libssh2, OpenSSL's libcrypto, Kerberos, mbedTLS, …) are opened on
    /// first use: a read answered from the index never loads them, and a command that needs
    /// git's objects says why it could not.
    @Test func libgit2IsOpenedOnlyWhenACommandNeedsIt() throws {
        let s = try Sandbox()
        #expect(!(try Self.neededLibraries(Sandbox.binary, in: s)).contains { $0.hasPrefix("libgit2") })
        let repo = try s.repo()
        try s.ok("init", in: repo)
        try s.ok("task", "add", "Write the parser", in: repo)
        let next = try s.ok("next", in: repo)
        // A libgit2.so.1.5 that cannot load comes first in the search path.
        let broken = s.path("broken-lib")
        try FileManager.default.createDirectory(atPath: broken, withIntermediateDirectories: true)
        for version in ["1.5", "1.6", "1.7", "1.8", "1.9"] {
            try s.write(broken + "/libgit2.so." + version, "not a library")
        }
        let warm = try s.cs("next", in: repo, env: ["LD_LIBRARY_PATH": broken])
        #expect(warm.ok && warm.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == next, "\(warm.stderr)")
        let check = try s.cs("check", in: repo, env: ["LD_LIBRARY_PATH": broken])
        // docs/check.md: a git failure is "could not run", status 2, one line on stderr.
        #expect(check.status == 2 && check.stdout.isEmpty)
        #expect(check.stderr.contains("cannot load libgit2.so."), "\(check.stderr)")
    }

    /// argument-parser's default command name is `String(describing: Self.self)`, a cast that
    /// scans the binary's whole protocol-conformance table once per command type, at every start.
    @Test func everyCommandNamesItself() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/codex-state")
        var configurations = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) where name.hasSuffix(".swift") {
            let text = try String(contentsOfFile: dir.appendingPathComponent(name).path, encoding: .utf8)
            for part in text.components(separatedBy: "CommandConfiguration(").dropFirst() {
                configurations += 1
                let first = part.drop { $0.isWhitespace }
                #expect(first.hasPrefix("commandName:"), "\(name): a CommandConfiguration without commandName first")
            }
        }
        #expect(configurations > 50)
    }

    @Test func theServerIsInstalledBesideCodexState() throws {
        let server = URL(fileURLWithPath: Sandbox.binary).deletingLastPathComponent()
            .appendingPathComponent("codex-state-mcp").path
        #expect(FileManager.default.isExecutableFile(atPath: server), "\(server) was not built")
    }

    @Test func mcpWithoutItsServerFailsInOneLineNamingThePath() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        // A copy of codex-state alone in a directory: the server it looks for is not there.
        let dir = s.path("bin")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let lone = dir + "/codex-state"
        try FileManager.default.copyItem(atPath: Sandbox.binary, toPath: lone)
        let r = try s.run(lone, ["mcp", "--actor", "agent"], in: repo, stdin: "")
        #expect(r.status == 1)
        #expect(r.stdout.isEmpty)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("codex-state: error: mcp: cannot run the MCP server \(dir)/codex-state-mcp: "))
        #expect(r.stderr.contains("No such file or directory"))
    }
}
