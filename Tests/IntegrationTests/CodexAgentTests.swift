import Foundation
import StateModel
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 18, items 6, 8 and 9, with the real Codex CLI against the mock model: one actor for
/// the agent whichever way it writes (MCP, hooks, the shell tool), a linked worktree writable
/// from the shell in workspace-write, and a doctor whose trust hashes are the ones Codex checks.
@Suite(.enabled(if: RealCodex.binary != nil), .serialized)
struct CodexAgentTests {
    /// The state file's records by id (tasks), parsed.
    static func stateTasks(_ w: CodexWorld, in dir: String? = nil) throws -> [String: [String: Any]] {
        let state = w.s.json(try w.s.read((dir ?? w.repo) + "/.codex-state/project_state.json"))
        return state["tasks"] as? [String: [String: Any]] ?? [:]
    }

    static func actor(_ record: [String: Any]?, _ field: String) -> String? {
        (record?[field] as? [String: Any])?["actor"] as? String
    }

    /// Item 6: `codex install` sets one actor (`codex` unless told) for the MCP server, the hooks
    /// and the shell tool; the agent's claim, completion, shell write and session all carry it,
    /// although Codex itself runs with CODEX_STATE_ACTOR of the user's terminal; doctor shows it.
    @Test func oneActorAcrossMCPHooksAndTheShell() throws {
        let w = try CodexWorld(shell: shellQuoted(Sandbox.binary) + " task add 'From the shell'")
        try w.s.write(w.config, w.baseConfig)
        let install = try w.cs("codex", "install", env: ["CODEX_STATE_ACTOR": ""])
        #expect(install.ok, "\(install.stderr)")
        let doctor = try w.cs("codex", "doctor")
        #expect(doctor.stdout.contains("ok      actor: codex ("), "\(doctor.stdout)")

        // Codex runs with the terminal's CODEX_STATE_ACTOR (the Sandbox's "tester").
        let (run, thread) = try w.exec(sandbox: "workspace-write")
        #expect(run.ok, "codex exec: \(run.stderr)")
        let tasks = try Self.stateTasks(w)
        let done = tasks[w.task]
        #expect(Self.actor(done, "completion") == "codex", "completed by \(done ?? [:])")
        #expect(Self.actor(done, "started") == "codex", "started by \(done ?? [:])")
        let shell = tasks.values.first { $0["title"] as? String == "From the shell" }
        #expect(Self.actor(shell, "created") == "codex", "the shell wrote as \(shell ?? [:])")
        let session = try w.sessions().first { ($0["source"] as? String) == "codex:" + thread }
        #expect(session?["actor"] as? String == "codex", "\(session ?? [:])")

        // Told otherwise, every part follows; a part changed by hand is a problem doctor names.
        #expect(try w.cs("codex", "install", "--actor", "Ada's agent").ok)
        #expect(try w.cs("codex", "doctor").stdout.contains("ok      actor: Ada's agent ("))
        let text = try w.s.read(w.config)
        try w.s.write(
            w.config,
            text.replacingOccurrences(of: "CODEX_STATE_ACTOR = \"Ada's agent\"", with: "CODEX_STATE_ACTOR = \"ada\""))
        let mixed = try w.cs("codex", "doctor")
        #expect(
            mixed.status == 1 && mixed.stdout.contains("problem actor:") && mixed.stdout.contains("shell tool: ada"),
            "\(mixed.stdout)")
    }

    /// Item 8: install adds every worktree's own git dir to writable_roots (from any worktree of
    /// the clone); in a linked worktree under workspace-write, codex-state and git commit from
    /// the shell tool work. A worktree added later: doctor there says so, install again fixes it.
    @Test func aLinkedWorktreeIsWritableFromTheShell() throws {
        let shell =
            shellQuoted(Sandbox.binary)
            + " task add 'From the worktree' && git commit -q --allow-empty -m 'From the shell'"
        let w = try CodexWorld(shell: shell)
        try w.s.write(w.config, w.baseConfig)
        let tree = w.s.path("topic-tree")
        try w.s.git("worktree", "add", "-q", tree, "-b", "topic", in: w.repo)
        #expect(try w.cs("codex", "install").ok)
        let doctor = try w.s.run(Sandbox.binary, ["codex", "doctor"], in: tree, env: ["CODEX_HOME": w.home])
        #expect(
            doctor.stdout.contains("ok      sandbox:") && doctor.stdout.contains("worktrees/topic-tree"),
            "\(doctor.stdout)")

        let (run, _) = try w.exec(sandbox: "workspace-write", in: tree)
        #expect(run.ok, "codex exec: \(run.stderr)")
        let output = run.stdout.split(separator: "\n").map { w.s.json(String($0)) }.compactMap {
            $0["item"] as? [String: Any]
        }.last { $0["type"] as? String == "command_execution" }
        let titles = try Self.stateTasks(w, in: tree).values.compactMap { $0["title"] as? String }
        #expect(titles.contains("From the worktree"), "\(output ?? [:])")
        let subject = try w.s.git("log", "-1", "--format=%s", in: tree)
        #expect(subject.hasPrefix("From the shell"), "\(subject) \(output ?? [:])")

        // A worktree made after install: doctor there names its git dir; install again adds it.
        let later = w.s.path("later-tree")
        try w.s.git("worktree", "add", "-q", later, "-b", "later", in: w.repo)
        let stale = try w.s.run(Sandbox.binary, ["codex", "doctor"], in: later, env: ["CODEX_HOME": w.home])
        #expect(
            stale.status == 1 && stale.stdout.contains("problem sandbox:")
                && stale.stdout.contains("worktrees/later-tree"), "\(stale.stdout)")
        #expect(try w.s.run(Sandbox.binary, ["codex", "install"], in: later, env: ["CODEX_HOME": w.home]).ok)
        let fixed = try w.s.run(Sandbox.binary, ["codex", "doctor"], in: later, env: ["CODEX_HOME": w.home])
        #expect(fixed.stdout.contains("ok      sandbox:"), "\(fixed.stdout)")
        // Uninstall takes every root it added back out.
        #expect(try w.cs("codex", "uninstall").ok)
        #expect(!(try w.s.read(w.config)).contains("writable_roots"))
    }

    /// Item 9: a user's SessionEnd hook with no timeout is trusted by Codex under a hash with
    /// SessionEnd's own default (1 s), not 600: doctor calls the one Codex runs ok and the one it
    /// skips a problem.
    @Test func doctorHashesWithCodexsPerEventTimeouts() throws {
        let w = try CodexWorld()
        let marker = w.s.path("session-end-ran")
        let command = "touch \(marker)"
        for (timeout, runs) in [(1, true), (600, false)] {
            try? FileManager.default.removeItem(atPath: marker)
            try w.s.write(
                w.config,
                w.baseConfig + """
                    [[hooks.SessionEnd]]
                    [[hooks.SessionEnd.hooks]]
                    type = "command"
                    command = "\(command)"

                    [hooks.state."\(w.config):session_end:0:0"]
                    trusted_hash = "\(CodexTrustHash.of(event: "session_end", command: command, timeout: timeout))"

                    """)
            let (run, _) = try w.exec(sandbox: "read-only")
            #expect(run.ok, "\(run.stderr)")
            #expect(FileManager.default.fileExists(atPath: marker) == runs, "trusted with \(timeout) s")
            let doctor = try w.cs("codex", "doctor").stdout
            let line = doctor.split(separator: "\n").first { $0.contains("SessionEnd hook 0:0") } ?? ""
            #expect(line.hasPrefix(runs ? "ok" : "problem"), "trusted with \(timeout) s: \(line)")
        }
    }

    /// Item 9: a user whose hooks live in config.toml gets ours there too (Codex prints "loading
    /// hooks from both … prefer a single representation" on every session when one layer has
    /// both); Codex runs theirs and ours, doctor is content, uninstall gives the file back.
    @Test func hooksGoWhereTheUsersHooksAre() throws {
        let w = try CodexWorld()
        let mine = w.s.path("mine-ran")
        let command = "touch \(mine)"
        let original =
            w.baseConfig + """
                [[hooks.SessionStart]]
                [[hooks.SessionStart.hooks]]
                type = "command"
                command = "\(command)"

                [hooks.state."\(w.config):session_start:0:0"]
                trusted_hash = "\(CodexTrustHash.of(event: "session_start", command: command))"

                # The end of my settings.

                """
        try w.s.write(w.config, original)
        let install = try w.cs("codex", "install")
        #expect(install.ok, "\(install.stderr)")
        let hooksJSON = URL(fileURLWithPath: w.home).resolvingSymlinksInPath().path + "/hooks.json"
        #expect(
            !FileManager.default.fileExists(atPath: hooksJSON), "install wrote hooks.json beside config.toml's hooks")
        let doctor = try w.cs("codex", "doctor")
        #expect(doctor.ok, "\(doctor.stdout)")
        #expect(try w.cs("codex", "install").stdout == "nothing to change: already installed\n")

        let (run, thread) = try w.exec(sandbox: "workspace-write")
        #expect(run.ok, "\(run.stderr)")
        #expect(!run.stderr.contains("prefer a single representation"), "\(run.stderr)")
        #expect(FileManager.default.fileExists(atPath: mine), "the user's hook did not run")
        #expect(w.firstDeveloperTexts.contains { $0.contains("Write the parser") }, "our SessionStart hook did not run")
        #expect(
            try w.sessions().contains { ($0["source"] as? String) == "codex:" + thread },
            "our SessionEnd hook did not run")

        #expect(try w.cs("codex", "uninstall").ok)
        // Codex may have added its own [projects] table; everything else is the user's again.
        let after = try w.s.read(w.config)
        var restored = after
        for line in after.components(separatedBy: "\n")
        where line.hasPrefix("[projects.") || line.hasPrefix("trust_level") {
            restored = restored.replacingOccurrences(of: line + "\n", with: "")
        }
        #expect(restored.trimmingCharacters(in: .newlines) == original.trimmingCharacters(in: .newlines), "\(after)")
    }
}
