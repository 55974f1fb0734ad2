import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `codex install|uninstall|doctor`, `codex hook`, `shell-init` and `skill`, without Codex itself.
@Suite struct CodexSetupTests {
    struct World {
        let s: Sandbox
        let repo: String
        let home: String
        var config: String { home + "/config.toml" }
        var hooks: String { home + "/hooks.json" }

        func cs(_ args: String..., stdin: String? = nil, env: [String: String] = [:]) throws -> Run {
            try s.run(Sandbox.binary, args, in: repo, env: ["CODEX_HOME": home].merging(env) { $1 }, stdin: stdin)
        }
    }

    func world(config: String? = nil) throws -> World {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--name", "demo", in: repo)
        _ = try s.ok("task", "add", "Write the parser", in: repo)
        let home = s.path("codex-home")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let w = World(s: s, repo: repo, home: home)
        if let config {
            try s.write(w.config, config)
            chmod(w.config, 0o600)
        }
        return w
    }

    static let userConfig = """
        # My settings: keep this comment.
        model = "gpt-5.5"  # and this one

        [projects."/somewhere"]
        trust_level = "trusted"

        # Trailing comment.

        """

    @Test func installIsIdempotentKeepsTheFileAndDryRunChangesNothing() throws {
        let w = try world(config: Self.userConfig)
        let dry = try w.cs("codex", "install", "--dry-run")
        #expect(dry.ok, "\(dry.stderr)")
        #expect(dry.stdout.contains("+[mcp_servers.codex-state]"))
        #expect(dry.stdout.contains("+trusted_hash = \"sha256:"))
        #expect(try w.s.read(w.config) == Self.userConfig)
        #expect(!FileManager.default.fileExists(atPath: w.hooks))

        let first = try w.cs("codex", "install")
        #expect(first.ok, "\(first.stderr)")
        let text = try w.s.read(w.config)
        #expect(text.hasPrefix(Self.userConfig), "the user's lines changed:\n\(text)")
        #expect(text.contains("command = \"\(Sandbox.binary)\"") || text.contains("/codex-state\""))
        #expect(text.contains("default_tools_approval_mode = \"approve\""))
        #expect(text.contains("omit_tools_from = [\"deferred\"]"))
        let gitDir = URL(fileURLWithPath: w.repo + "/.git").resolvingSymlinksInPath().path
        #expect(text.contains("writable_roots = [\"\(gitDir)\"]"))
        #expect(try w.s.read(w.config + ".codex-state.bak") == Self.userConfig)
        var st = stat()
        stat(w.config, &st)
        #expect(st.st_mode & 0o777 == 0o600)

        let again = try w.cs("codex", "install")
        #expect(again.stdout.contains("nothing to change"))
        #expect(try w.s.read(w.config) == text)
        let doctor = try w.cs("codex", "doctor", "--json")
        #expect(doctor.ok, "\(doctor.stdout)")

        let un = try w.cs("codex", "uninstall")
        #expect(un.ok, "\(un.stderr)")
        #expect(try w.s.read(w.config) == Self.userConfig)
        #expect(!FileManager.default.fileExists(atPath: w.hooks))
    }

    /// `--project`: the server and hooks in the repository's .codex/, the trust in the user's
    /// config; doctor says the project must be trusted; uninstall leaves no file it created.
    @Test func projectInstall() throws {
        let w = try world()
        let r = try w.cs("codex", "install", "--project")
        #expect(r.ok, "\(r.stderr)")
        let project = try w.s.read(w.repo + "/.codex/config.toml")
        #expect(project.contains("args = [\"mcp\", \"--repo\", \"\(w.repo)\", \"--actor\", \"tester\"]"), "\(project)")
        let real = URL(fileURLWithPath: w.repo).resolvingSymlinksInPath().path
        #expect(try w.s.read(w.config).contains("[hooks.state.\"\(real)/.codex/hooks.json:session_start:0:0\"]"))
        let doctor = try w.cs("codex", "doctor", "--project")
        #expect(doctor.status == 1)
        #expect(doctor.stdout.contains("the project is not trusted"), "\(doctor.stdout)")
        #expect(doctor.stdout.contains("ok      MCP server codex-state"), "\(doctor.stdout)")
        try w.s.write(w.config, try w.s.read(w.config) + "\n[projects.\"\(w.repo)\"]\ntrust_level = \"trusted\"\n")
        #expect(try w.cs("codex", "doctor", "--project").ok)

        #expect(try w.cs("codex", "uninstall", "--project").ok)
        #expect(!FileManager.default.fileExists(atPath: w.repo + "/.codex/config.toml"))
        #expect(!FileManager.default.fileExists(atPath: w.repo + "/.codex/hooks.json"))
        #expect(try w.s.read(w.config) == "[projects.\"\(w.repo)\"]\ntrust_level = \"trusted\"\n")
    }

    @Test func aConfigThatDoesNotParseIsNotTouched() throws {
        let bad = "model = \"gpt\"\n[mcp_servers.x]\ncommand = \"a\"\ncommand = \"b\"\n"
        let w = try world(config: bad)
        let r = try w.cs("codex", "install")
        #expect(r.status == 1)
        #expect(r.stderr.contains("config.toml:4:"), "\(r.stderr)")
        #expect(r.stderr.contains("defined twice"))
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(try w.s.read(w.config) == bad)
        #expect(!FileManager.default.fileExists(atPath: w.hooks))
        for text in ["[a\n", "x = \"unterminated\n", "x = [1, 2\n", "x = nope\n", "= 1\n", "[[a]]\n[a]\n"] {
            try w.s.write(w.config, text)
            let r = try w.cs("codex", "install")
            #expect(r.status == 1 && r.stderr.contains("config.toml:"), "\(text): \(r.stderr)")
            #expect(try w.s.read(w.config) == text)
        }
    }

    @Test func aReadOnlyCodexHome() throws {
        let w = try world(config: Self.userConfig)
        // root writes anywhere: run as nobody over a tree nobody owns, with CODEX_HOME read-only.
        _ = try w.s.run("chown", ["-R", "65534:65534", w.s.root], in: w.s.root)
        chmod(w.home, 0o555)
        defer { chmod(w.home, 0o755) }
        let r = try w.s.run(
            "setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", Sandbox.binary, "codex", "install"],
            in: w.repo, env: ["CODEX_HOME": w.home])
        #expect(r.status == 1, "\(r.stdout) \(r.stderr)")
        #expect(r.stderr.contains("not writable") && r.stderr.contains("nothing changed"), "\(r.stderr)")
        #expect(try w.s.read(w.config) == Self.userConfig)
    }

    @Test func aSymlinkedCodexHomeIsTrustedByItsRealPath() throws {
        let w = try world(config: Self.userConfig)
        let link = w.s.path("link-home")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: w.home)
        let r = try w.s.run(Sandbox.binary, ["codex", "install"], in: w.repo, env: ["CODEX_HOME": link])
        #expect(r.ok, "\(r.stderr)")
        let real = URL(fileURLWithPath: w.home).resolvingSymlinksInPath().path
        let text = try w.s.read(w.config)
        #expect(text.contains("[hooks.state.\"\(real)/hooks.json:session_start:0:0\"]"), "\(text)")
        #expect(!text.contains(link + "/hooks.json"))
    }

    /// Groups the user adds after ours keep their trust when uninstall removes ours.
    @Test func uninstallMovesTheTrustOfLaterGroups() throws {
        let w = try world(config: Self.userConfig)
        #expect(try w.cs("codex", "install").ok)
        // The user appends a group after ours and trusts it.
        var json = w.s.json(try w.s.read(w.hooks))
        var events = json["hooks"] as? [String: Any] ?? [:]
        var start = events["SessionStart"] as? [Any] ?? []
        start.append(["hooks": [["type": "command", "command": "echo later"]]])
        events["SessionStart"] = start
        json["hooks"] = events
        try w.s.write(
            w.hooks, String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self))
        let real = URL(fileURLWithPath: w.home).resolvingSymlinksInPath().path
        let hash = CodexTrustHash.of(event: "session_start", command: "echo later")
        try w.s.write(
            w.config,
            try w.s.read(w.config)
                + "\n[hooks.state.\"\(real)/hooks.json:session_start:1:0\"]\ntrusted_hash = \"\(hash)\"\n")
        let before = try w.cs("codex", "doctor")
        #expect(before.ok, "\(before.stdout)")

        #expect(try w.cs("codex", "uninstall").ok)
        let text = try w.s.read(w.config)
        #expect(
            text.contains("[hooks.state.\"\(real)/hooks.json:session_start:0:0\"]\ntrusted_hash = \"\(hash)\""),
            "\(text)")
        #expect(!text.contains(":session_start:1:0"))
        let after = try w.cs("codex", "doctor")
        #expect(
            after.stdout.contains("SessionStart hook 0:0") && after.stdout.contains("trusted: echo later"),
            "\(after.stdout)")
        #expect(!after.stdout.contains("problem    SessionStart"))
    }

    @Test func doctorSaysWhatCodexSkipsAndWhy() throws {
        let w = try world(
            config: Self.userConfig + """
                [[hooks.Stop]]
                [[hooks.Stop.hooks]]
                type = "command"
                command = "echo edited"

                [hooks.state."/not/the/real/config.toml:stop:0:0"]
                trusted_hash = "sha256:00"

                """)
        let none = try w.cs("codex", "doctor")
        #expect(none.status == 1)
        #expect(none.stdout.contains("MCP server codex-state: not registered"))
        #expect(none.stdout.contains("Stop hook 0:0") && none.stdout.contains("no trusted_hash"))
        #expect(none.stdout.contains("trust entry /not/the/real/config.toml:stop:0:0"))

        #expect(try w.cs("codex", "install").ok)
        // The user's hooks are in config.toml: ours went there too (issue 18, item 9).
        #expect(!FileManager.default.fileExists(atPath: w.hooks))
        // Editing our hook's command after it was trusted makes Codex skip it silently.
        let edited = try w.s.read(w.config).replacingOccurrences(of: "session-start", with: "session-start ")
        try w.s.write(w.config, edited)
        let r = try w.cs("codex", "doctor", "--json")
        #expect(r.status == 1)
        let findings = w.s.json(r.stdout)["findings"] as? [[String: Any]] ?? []
        #expect(
            findings.contains {
                $0["level"] as? String == "problem"
                    && ($0["detail"] as? String ?? "").contains("changed since it was trusted")
            }, "\(r.stdout)")
    }

    // MARK: - Hook mode

    @Test func sessionStartPrintsHookJSONAndOpensASessionForTheThread() throws {
        let w = try world()
        let input = #"{"session_id":"thread-1","cwd":"\#(w.repo)","source":"startup","hook_event_name":"SessionStart"}"#
        let r = try w.cs("codex", "hook", "session-start", stdin: input)
        #expect(r.ok && r.stderr.isEmpty, "\(r.stderr)")
        let out = w.s.json(r.stdout)
        let specific = out["hookSpecificOutput"] as? [String: Any]
        #expect(specific?["hookEventName"] as? String == "SessionStart")
        let preamble = try w.s.ok("preamble", in: w.repo)
        #expect((specific?["additionalContext"] as? String)?.trimmingCharacters(in: .newlines) == preamble)
        let list = try w.s.ok("session", "list", in: w.repo)
        #expect(list.contains("(codex:thread-1)"), "\(list)")

        // Resume: same thread, the session stays; another thread's end changes nothing.
        #expect(try w.cs("codex", "hook", "session-start", stdin: input).ok)
        let other = try w.cs("codex", "hook", "session-end", stdin: #"{"session_id":"thread-2","cwd":"\#(w.repo)"}"#)
        #expect(other.ok && other.stdout.isEmpty)
        #expect(try w.s.ok("session", "list", in: w.repo).contains("(codex:thread-1)"))
        // Activity, or the thread's end writes nothing (an empty thread leaves no snapshot).
        _ = try w.s.ok("task", "add", "Found on the way", in: w.repo)
        let end = try w.cs("codex", "hook", "session-end", stdin: #"{"session_id":"thread-1","cwd":"\#(w.repo)"}"#)
        #expect(end.ok && end.stdout.isEmpty, "\(end.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: w.repo + "/.codex-state/sessions")
            .filter { $0.hasSuffix(".json") }
        #expect(files.count == 1)
        let snapshot = w.s.json(try w.s.read(w.repo + "/.codex-state/sessions/" + (files.first ?? "")))
        #expect(snapshot["source"] as? String == "codex:thread-1")
    }

    @Test func hookModesNeverFailAndPrintOnlyHookJSON() throws {
        let w = try world()
        // Stop prints nothing.
        let stop = try w.cs("codex", "hook", "stop", stdin: #"{"session_id":"t","cwd":"\#(w.repo)"}"#)
        #expect(stop.ok && stop.stdout.isEmpty)
        // Outside a repository: nothing at all.
        let elsewhere = w.s.path("elsewhere")
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        let outside = try w.cs("codex", "hook", "session-start", stdin: #"{"session_id":"t","cwd":"\#(elsewhere)"}"#)
        #expect(outside.ok && outside.stdout.isEmpty)
        // Input that is not JSON: one line of context saying so.
        let garbage = try w.cs("codex", "hook", "session-start", stdin: "not json")
        #expect(garbage.ok)
        #expect(
            ((w.s.json(garbage.stdout)["hookSpecificOutput"] as? [String: Any])?["additionalContext"] as? String)?
                .contains("not JSON") == true)
        // A state file with conflict markers: the failure is visible context, not a failed hook.
        let file = w.repo + "/.codex-state/project_state.json"
        try w.s.write(file, "<<<<<<< HEAD\n{}\n=======\n{}\n>>>>>>> other\n")
        let conflicted = try w.cs("codex", "hook", "session-start", stdin: #"{"session_id":"t","cwd":"\#(w.repo)"}"#)
        #expect(conflicted.ok)
        let context =
            (w.s.json(conflicted.stdout)["hookSpecificOutput"] as? [String: Any])?["additionalContext"] as? String ?? ""
        #expect(context.hasPrefix("codex-state: ") && context.contains("project_state.json"), "\(context)")
        #expect(!context.contains("\n"))
        #expect(try w.s.read(file).hasPrefix("<<<<<<<"))
        // An unknown mode is a usage error (exit 2), not something Codex would install.
        #expect(try w.cs("codex", "hook", "bogus").status == 2)
    }

    // MARK: - shell-init and skill

    /// The `codex` function sends the four commands to codex-state and everything else to the
    /// real Codex CLI, arguments, stdin and exit status intact.
    @Test func shellInitBash() throws {
        let w = try world()
        let bin = w.s.path("bin")
        try w.s.write(
            bin + "/codex",
            "#!/bin/sh\nprintf 'real codex:'; for a in \"$@\"; do printf ' [%s]' \"$a\"; done; echo; cat; exit 7\n")
        chmod(bin + "/codex", 0o755)
        let shells = ["bash", "zsh"].filter { sh in
            ["/bin/", "/usr/bin/"].contains { FileManager.default.isExecutableFile(atPath: $0 + sh) }
        }
        for sh in shells {
            let script = """
                eval "$(\(Sandbox.binary) shell-init \(sh))"
                codex tasks
                codex remember "Parsers are hand-written" --kind decision >/dev/null
                codex memories
                codex exec "two words" --flag
                echo "exit=$?"
                """
            let r = try w.s.run(
                sh, ["-c", script], in: w.repo, env: ["PATH": bin + ":/usr/bin:/bin"], stdin: "from stdin\n")
            #expect(r.stdout.contains("Write the parser"), "\(sh): \(r.stdout) \(r.stderr)")
            #expect(r.stdout.contains("[decision]  Parsers are hand-written"), "\(sh): \(r.stdout) \(r.stderr)")
            #expect(
                r.stdout.contains("real codex: [exec] [two words] [--flag]\nfrom stdin\nexit=7"), "\(sh): \(r.stdout)")
        }
        #expect(shells.contains("bash"))
        let fish = try w.cs("shell-init", "fish")
        #expect(fish.stdout.contains("function codex") && fish.stdout.contains("command codex $argv"))
        #expect(fish.stdout.contains("case tasks next complete task memories remember recall"))
        #expect(fish.stdout.split(separator: "\n").count > 5, "one line per line of the function: \(fish.stdout)")
        if let fishPath = ["/usr/bin/fish", "/bin/fish"].first(where: FileManager.default.isExecutableFile) {
            let script = """
                \(Sandbox.binary) shell-init fish | source
                codex tasks
                codex exec "two words" --flag
                echo "exit=$status"
                """
            let r = try w.s.run(
                fishPath, ["--no-config", "-c", script], in: w.repo,
                env: ["PATH": bin + ":/usr/bin:/bin"], stdin: "from stdin\n")
            #expect(r.stdout.contains("Write the parser"), "fish: \(r.stdout) \(r.stderr)")
            #expect(
                r.stdout.contains("real codex: [exec] [two words] [--flag]\nfrom stdin\nexit=7"), "fish: \(r.stdout)")
        } else {
            print("warning: fish is not installed: shell-init fish is checked by its text only")
        }
        #expect(try w.cs("shell-init", "tcsh").status == 2)
    }

    @Test func skillFile() throws {
        let w = try world()
        let r = try w.cs("skill")
        #expect(r.ok, "\(r.stderr)")
        let text = try w.s.read(w.repo + "/.agents/skills/codex-state/SKILL.md")
        #expect(text.hasPrefix("---\nname: codex-state\ndescription: "))
        #expect(text.contains("codex-state next --claim") && text.contains("codex-state complete ID`"))
        #expect(text.contains("never run `codex next`"))
        #expect(try w.cs("skill").stdout.hasPrefix("unchanged"))
        // install --skill writes it too.
        try FileManager.default.removeItem(atPath: w.repo + "/.agents")
        let install = try w.cs("codex", "install", "--skill")
        #expect(install.ok && install.stdout.contains("/.agents/skills/codex-state/SKILL.md"), "\(install.stdout)")
        #expect(try w.s.read(w.repo + "/.agents/skills/codex-state/SKILL.md") == text)
    }
}
