import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `codex install` and `uninstall` on the config files people really have (issue 19, items 5
/// and 8; issue 18, item 9): CRLF line endings, a byte-order mark, the server set with dotted
/// keys or an inline table, multi-line strings that look like tables, a comment on the line it
/// edits, a hooks.json in the user's own format. Every edit is checked by Python's tomllib and
/// by the real Codex CLI, and uninstall gives back the files' exact bytes and leaves no backup.
@Suite struct CodexConfigTests {
    struct World {
        let s: Sandbox
        let repo: String
        let home: String
        var config: String { home + "/config.toml" }
        var hooks: String { home + "/hooks.json" }

        func cs(_ args: String...) throws -> Run {
            try s.run(Sandbox.binary, args, in: repo, env: ["CODEX_HOME": home])
        }

        /// The files in CODEX_HOME whose name ends in .codex-state.bak.
        func backups() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: home)) ?? []).filter {
                $0.hasSuffix(".codex-state.bak")
            }
        }

        /// tomllib's reading of the config as JSON (datetimes as text), or nil without python3.11.
        func tomllib() throws -> [String: Any]? {
            let script = """
                import json, sys, tomllib
                data = open(sys.argv[1], "rb").read()
                if data.startswith(b"\\xef\\xbb\\xbf"): data = data[3:]
                print(json.dumps(tomllib.loads(data.decode()), default=str))
                """
            let r = try s.run("python3", ["-c", script, config], in: repo)
            guard r.ok else {
                Issue.record("tomllib refused \(config): \(r.stderr)")
                return nil
            }
            return s.json(r.stdout)
        }

        /// What the real Codex CLI registers as the codex-state server (nil without CODEX_BIN).
        func codexServer() throws -> [String: Any]? {
            guard let codex = CodexCLI.binary else { return nil }
            let r = try s.run(codex, ["mcp", "list", "--json"], in: repo, env: ["CODEX_HOME": home, "HOME": home])
            #expect(r.ok, "codex mcp list: \(r.stderr)")
            let list = (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8))) as? [[String: Any]] ?? []
            return list.first { $0["name"] as? String == "codex-state" }?["transport"] as? [String: Any]
        }
    }

    func world(config: String?, hooks: String? = nil) throws -> World {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        let home = s.path("codex-home")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let w = World(s: s, repo: repo, home: home)
        if let config { try Data(config.utf8).write(to: URL(fileURLWithPath: w.config)) }
        if let hooks { try Data(hooks.utf8).write(to: URL(fileURLWithPath: w.hooks)) }
        return w
    }

    /// Install, check, uninstall: the files come back byte for byte and no backup is left.
    func roundTrip(_ w: World, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let config = w.s.bytes(w.config)
        let hooks = w.s.bytes(w.hooks)
        let install = try w.cs("codex", "install")
        #expect(install.ok, "install: exit \(install.status): \(install.stderr)", sourceLocation: sourceLocation)
        let un = try w.cs("codex", "uninstall")
        #expect(un.ok, "uninstall: exit \(un.status): \(un.stderr)", sourceLocation: sourceLocation)
        #expect(w.s.bytes(w.config) == config, "config.toml is not restored exactly", sourceLocation: sourceLocation)
        #expect(w.s.bytes(w.hooks) == hooks, "hooks.json is not restored exactly", sourceLocation: sourceLocation)
        #expect(w.backups().isEmpty, "backups left: \(w.backups())", sourceLocation: sourceLocation)
        #expect(!FileManager.default.fileExists(atPath: w.home + "/codex-state-install.json"))
    }

    /// A config.toml edited on Windows (CRLF): install and --dry-run died with SIGILL, printing
    /// nothing. Now they edit it keeping CRLF everywhere, and uninstall restores it.
    @Test func aCRLFConfigIsEditedWithItsOwnLineEndings() throws {
        let text =
            "# Windows\r\nmodel = \"gpt-5.5\"  # keep\r\n\r\n[projects.\"C:/work\"]\r\ntrust_level = \"trusted\"\r\n"
        let w = try world(config: text)
        let dry = try w.cs("codex", "install", "--dry-run")
        #expect(dry.status == 0, "exit \(dry.status): \(dry.stderr)")
        #expect(dry.stdout.contains("+[mcp_servers.codex-state]"), "\(dry.stdout)")
        #expect(w.s.bytes(w.config) == Data(text.utf8))
        let install = try w.cs("codex", "install")
        #expect(install.status == 0, "exit \(install.status): \(install.stderr)")
        let after = try w.s.read(w.config)
        #expect(after.hasPrefix(text))
        #expect(after.replacingOccurrences(of: "\r\n", with: "").firstIndex(of: "\n") == nil, "a bare LF:\n\(after)")
        let parsed = try w.tomllib()
        #expect((parsed?["model"] as? String) == "gpt-5.5")
        #expect(((parsed?["mcp_servers"] as? [String: Any])?["codex-state"] as? [String: Any])?["command"] != nil)
        if let server = try w.codexServer() { #expect((server["command"] as? String ?? "").hasSuffix("codex-state")) }
        try w.s.write(w.config, text)
        try? FileManager.default.removeItem(atPath: w.hooks)
        try? FileManager.default.removeItem(atPath: w.home + "/codex-state-install.json")
        try? FileManager.default.removeItem(atPath: w.config + ".codex-state.bak")
        try roundTrip(w)
    }

    /// The server set with dotted keys (valid TOML): install replaced the `command` line with a
    /// top-level `command` and wrote a server without one, reporting success. Now each key is
    /// changed where it is written, new ones beside it, and Codex sees the whole server.
    @Test func aServerWrittenWithDottedKeysIsEditedWhereItIsWritten() throws {
        let text = """
            model = "gpt-5.5"
            mcp_servers.codex-state.command = "/old/codex-state"  # mine
            mcp_servers.codex-state.env.KEEP = "1"

            [tui]
            notifications = true

            """
        let w = try world(config: text)
        let r = try w.cs("codex", "install")
        #expect(r.ok, "\(r.stderr)")
        let after = try w.s.read(w.config)
        #expect(after.contains("mcp_servers.codex-state.command = \"\(Sandbox.binary)\"  # mine"), "\(after)")
        #expect(after.contains("mcp_servers.codex-state.args = [\"mcp\", \"--actor\", \"tester\"]"), "\(after)")
        let parsed = try w.tomllib()
        #expect(parsed?["command"] == nil, "a top-level command appeared")
        let server = (parsed?["mcp_servers"] as? [String: Any])?["codex-state"] as? [String: Any]
        #expect(server?["command"] as? String == Sandbox.binary)
        #expect(server?["args"] as? [String] == ["mcp", "--actor", "tester"])
        #expect((server?["env"] as? [String: String]) == ["KEEP": "1"])
        if let codex = try w.codexServer() {
            #expect(codex["command"] as? String == Sandbox.binary)
            #expect(codex["args"] as? [String] == ["mcp", "--actor", "tester"])
        }
        #expect(try w.cs("codex", "uninstall").ok)
        let restored = try w.s.read(w.config)
        #expect(
            restored
                == "model = \"gpt-5.5\"\nmcp_servers.codex-state.env.KEEP = \"1\"\n\n[tui]\nnotifications = true\n",
            "\(restored)")
    }

    /// The server as an inline table: members are added inside it, the rest kept.
    @Test func aServerWrittenAsAnInlineTable() throws {
        let text = "[mcp_servers]\ncodex-state = { command = \"/old\", env = { KEEP = \"1\" } }  # mine\n"
        let w = try world(config: text)
        let r = try w.cs("codex", "install")
        #expect(r.ok, "\(r.stderr)")
        let server = (try w.tomllib()?["mcp_servers"] as? [String: Any])?["codex-state"] as? [String: Any]
        #expect(server?["command"] as? String == Sandbox.binary)
        #expect(server?["default_tools_approval_mode"] as? String == "approve")
        #expect((server?["env"] as? [String: String]) == ["KEEP": "1"])
        let after = try w.s.read(w.config)
        let line = after.split(separator: "\n").first { $0.hasPrefix("codex-state = {") } ?? ""
        #expect(line.hasSuffix(" }  # mine"), "\(after)")
        if let codex = try w.codexServer() { #expect(codex["command"] as? String == Sandbox.binary) }
    }

    /// Lines inside a multi-line string that look like our table and key, a byte-order mark, a
    /// comment on the writable_roots line (issue 18, item 9): nothing of it changes, and
    /// uninstall gives back the exact bytes.
    @Test func stringsCommentsAndAByteOrderMarkSurviveTheRoundTrip() throws {
        let text =
            "\u{FEFF}notes = \"\"\"\n[mcp_servers.codex-state]\ncommand = \"not me\"\n\"\"\"\n\n"
            + "[sandbox_workspace_write]\nwritable_roots = [\"/existing\"]  # my roots\n"
        let w = try world(config: text)
        #expect(try w.cs("codex", "install").ok)
        let after = String(decoding: w.s.bytes(w.config) ?? Data(), as: UTF8.self)
        #expect(after.hasPrefix("\u{FEFF}notes = \"\"\"\n[mcp_servers.codex-state]\ncommand = \"not me\"\n\"\"\"\n"))
        #expect(after.contains("writable_roots = [\"/existing\", \""), "\(after)")
        #expect(after.contains("]  # my roots\n"), "the comment on the writable_roots line was lost:\n\(after)")
        let parsed = try w.tomllib()
        #expect(parsed?["notes"] as? String == "[mcp_servers.codex-state]\ncommand = \"not me\"\n")
        #expect(((parsed?["sandbox_workspace_write"] as? [String: Any])?["writable_roots"] as? [String])?.count == 2)
        #expect(try w.cs("codex", "uninstall").ok)
        #expect(
            w.s.bytes(w.config) == Data(text.utf8), "\(String(decoding: w.s.bytes(w.config) ?? Data(), as: UTF8.self))")
        #expect(w.backups().isEmpty, "\(w.backups())")
    }

    /// The user's own `writable_roots = []` (with a comment) and `[shell_environment_policy]`:
    /// install adds to them, uninstall takes out only what it added and keeps the user's empty
    /// key (it used to delete the key, and with it the whole file).
    @Test func theUsersEmptyWritableRootsAndShellPolicyStay() throws {
        let text =
            "[sandbox_workspace_write]\r\nwritable_roots = [] # none yet\r\n\r\n[shell_environment_policy]\r\ninherit = \"core\"\r\n"
        let w = try world(config: text)
        #expect(try w.cs("codex", "install").ok)
        let parsed = try w.tomllib()
        #expect(((parsed?["sandbox_workspace_write"] as? [String: Any])?["writable_roots"] as? [String])?.count == 1)
        let policy = parsed?["shell_environment_policy"] as? [String: Any]
        #expect(policy?["inherit"] as? String == "core")
        #expect((policy?["set"] as? [String: String])?["CODEX_STATE_ACTOR"] == "tester", "\(policy ?? [:])")
        #expect(try w.cs("codex", "uninstall").ok)
        #expect(w.s.bytes(w.config) == Data(text.utf8), "\((try? w.s.read(w.config)) ?? "(removed)")")
    }

    /// A key install must set is held by something else: one line naming the file and the key,
    /// exit 1, nothing changed.
    @Test func aConflictingValueIsRefusedNamingIt() throws {
        let text = "mcp_servers.codex-state = \"oops\"\n"
        let w = try world(config: text)
        let r = try w.cs("codex", "install")
        #expect(r.status == 1, "exit \(r.status): \(r.stdout)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(
            r.stderr.contains("config.toml") && r.stderr.contains("mcp_servers.codex-state is a string"), "\(r.stderr)")
        #expect(w.s.bytes(w.config) == Data(text.utf8))
        #expect(!FileManager.default.fileExists(atPath: w.hooks))
    }

    /// The user's hooks.json in their own format (four-space indent, their key order, a hook of
    /// their own): install appends ours after theirs, uninstall gives back the exact bytes and
    /// removes the backups (they held the installed configuration).
    @Test func uninstallRestoresTheUsersHooksFileExactlyAndLeavesNoBackup() throws {
        let hooks = """
            {
                "hooks": {
                    "Stop": [ { "hooks": [ { "command": "echo stop", "type": "command" } ] } ],
                    "SessionStart": [
                        {"matcher": "startup", "hooks": [{"type": "command", "command": "echo \\u00e9/x"}]}
                    ]
                },
                "version": 1
            }
            """
        let w = try world(config: "model = \"gpt-5.5\"\n", hooks: hooks)
        #expect(try w.cs("codex", "install").ok)
        let installed = try w.s.read(w.hooks)
        #expect(installed.hasPrefix("{\n    \"hooks\": {\n        \"Stop\": [ { \"hooks\""), "\(installed)")
        let doctor = try w.cs("codex", "doctor")
        #expect(
            !doctor.stdout.contains("SessionStart hook 1:0 in")
                || doctor.stdout.contains("ok      SessionStart hook 1:0"), "\(doctor.stdout)")
        try roundTripAfterInstall(w, hooks: hooks)
    }

    func roundTripAfterInstall(_ w: World, hooks: String) throws {
        #expect(!w.backups().isEmpty, "install keeps a backup of what it changes")
        #expect(try w.cs("codex", "uninstall").ok)
        #expect(w.s.bytes(w.hooks) == Data(hooks.utf8), "\((try? w.s.read(w.hooks)) ?? "")")
        #expect(try w.s.read(w.config) == "model = \"gpt-5.5\"\n")
        #expect(w.backups().isEmpty, "\(w.backups())")
    }
}
