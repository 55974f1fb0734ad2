import ArgumentParser
import Foundation
import Workspace

#if canImport(Glibc)
    import Glibc
#endif

struct CodexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codex",
        abstract: "Wire codex-state into the Codex CLI: install, uninstall, doctor, and the hooks it runs.",
        discussion: "docs/codex.md lists what install writes where.",
        subcommands: [Install.self, Uninstall.self, Doctor.self, Hook.self, Import.self])

    struct ScopeOptions: ParsableArguments {
        @Flag(help: "Install into $CODEX_HOME (default ~/.codex): every repository (the default).") var user = false
        @Flag(help: "Install into this repository's .codex/ (Codex reads it once the project is trusted).")
        var project = false
        @Option(name: .customShort("C"), help: ArgumentHelp("Run as if started in this directory.", valueName: "dir"))
        var directory: String?
        @Option(help: "The actor the MCP server writes as (default: the MCP client's name).") var actor: String?

        func validate() throws {
            if user && project { throw ValidationError("--user and --project exclude each other") }
        }

        func installer() throws -> CodexInstaller {
            let env = ProcessInfo.processInfo.environment
            let dir = directory ?? FileManager.default.currentDirectoryPath
            let repo = try Workspace.repositoryLocation(from: dir)
            if project, repo?.workdir == nil {
                throw ValidationError("--project needs a repository with a working tree (run it inside one, or use -C)")
            }
            var root = repo?.workdir ?? dir
            while root.count > 1, root.hasSuffix("/") { root.removeLast() }
            return CodexInstaller(
                paths: CodexPaths(environment: env), scope: project ? .project(root: root) : .user,
                binary: Self.binary, actor: actor, gitDir: repo?.commonDir)
        }

        static var binary: String {
            realPath("/proc/self/exe") ?? realPath(CommandLine.arguments[0]) ?? CommandLine.arguments[0]
        }
    }

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "install",
            abstract: "Register the MCP server and the SessionStart/SessionEnd hooks (trusted) with Codex.",
            discussion: """
                Edits config.toml by key (comments, order, mode and Codex's own tables kept), keeps \
                its hooks in a hooks.json beside it (appended after yours), writes the trusted \
                hashes Codex needs, and adds this repository's git directory to \
                sandbox_workspace_write.writable_roots. A backup of each changed file is kept as \
                FILE.codex-state.bak. Running it again changes nothing.
                """)
        @OptionGroup var scope: ScopeOptions
        @Flag(help: "Print the diff of every file it would change; change nothing.") var dryRun = false
        @Flag(help: "Also write .agents/skills/codex-state/SKILL.md into this repository.") var skill = false

        func run() throws {
            let installer = try scope.installer()
            let changes = try installer.installChanges()
            try report(changes, dryRun: dryRun, verb: "installed")
            if skill, !dryRun { try SkillCommand.writeSkill(directory: scope.directory) }
            // Codex starts the MCP server through `codex-state mcp`, which runs the server beside it.
            if access(MCPCommand.serverPath, X_OK) != 0 {
                Output.warning(
                    "\(MCPCommand.serverPath) is missing: Codex will not start the codex-state MCP server (install \(MCPCommand.serverName) next to codex-state, as README.md shows)"
                )
            }
        }
    }

    struct Uninstall: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "uninstall",
            abstract: "Remove exactly what codex install added (your own hooks keep their trust).")
        @OptionGroup var scope: ScopeOptions
        @Flag(help: "Print the diff; change nothing.") var dryRun = false

        func run() throws {
            try report(try scope.installer().uninstallChanges(), dryRun: dryRun, verb: "uninstalled")
        }
    }

    static func report(_ changes: [CodexFileChange], dryRun: Bool, verb: String) throws {
        if changes.isEmpty {
            Output.confirm("nothing to change: already \(verb)")
            return
        }
        if dryRun {
            for c in changes { Output.emit(Array(c.diff.utf8)) }
            return
        }
        try CodexInstaller.apply(changes)
        for c in changes {
            Output.confirm("\(c.after == nil ? "removed" : c.before == nil ? "created" : "updated") \(c.path)")
        }
    }

    struct Doctor: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "doctor",
            abstract: "Check what Codex will run: every hook's trusted hash, the MCP server, the sandbox.",
            discussion: "Exits 1 when Codex would silently skip a hook or cannot use the MCP server.")
        @OptionGroup var scope: ScopeOptions
        @OptionGroup var output: JSONFlag

        func run() throws {
            var findings = CodexDoctor(installer: try scope.installer()).run()
            // Whether the MCP recall tool ranks by meaning here (MemorySemantic.swift).
            if let ws = try? Workspace(
                directory: FileManager.default.currentDirectoryPath, environment: ProcessInfo.processInfo.environment)
            {
                findings.append(.semanticRecall(ws.semanticStatus()))
            }
            if output.json {
                try Output.json(["findings": findings])
            } else {
                for f in findings {
                    Output.line(
                        "\(f.level.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0))\(f.subject): \(f.detail)"
                    )
                }
            }
            if findings.contains(where: { $0.level == .problem }) { throw ExitCode(1) }
        }
    }

    struct Hook: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hook",
            abstract: "What Codex's hooks run: reads the hook JSON on stdin, prints hook JSON or nothing.",
            discussion: """
                session-start opens a session for the Codex thread and prints the preamble as \
                additionalContext; session-end ends that session (writing its snapshot); stop prints \
                nothing. Always exits 0: a failure is one line of additionalContext or of stderr.
                """)
        @Argument(help: "session-start, session-end or stop.") var mode: String
        @Option(help: "Who is acting (default: $CODEX_STATE_ACTOR, then git's user.name).") var actor: String?

        func validate() throws {
            guard CodexHook.Mode(rawValue: mode) != nil else {
                throw ValidationError("unknown hook '\(mode)'; use session-start, session-end or stop")
            }
        }

        func run() throws {
            guard let m = CodexHook.Mode(rawValue: mode) else { return }
            let input = FileHandle.standardInput.readDataToEndOfFile()
            let outcome = CodexHook.run(
                m, input: Array(input), directory: FileManager.default.currentDirectoryPath, actor: actor,
                environment: ProcessInfo.processInfo.environment)
            if let e = outcome.stderr { FileHandle.standardError.write(Data((e + "\n").utf8)) }
            if let o = outcome.stdout { Output.emit(Array(o.utf8)) }
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import", abstract: "Import Codex rollouts of this repository as session snapshots.",
            discussion: """
                Reads $CODEX_HOME/sessions and archived_sessions (or the FILEs given), keeps the \
                sessions whose working directory is inside this repository, and writes one \
                snapshot per Codex thread: branch and commit, the user's prompts, commands, files \
                changed, codex-state calls, completed tasks, a summary. Secrets are redacted first. \
                Importing again writes nothing new; a rollout modified in the last 2 minutes is \
                skipped as still being written unless --include-active.
                """)
        @OptionGroup var common: CommonOptions
        @OptionGroup var output: JSONFlag
        @Option(
            help: ArgumentHelp(
                "Only sessions started on or after this date (YYYY-MM-DD or a UTC time).", valueName: "date"))
        var since: String?
        @Option(help: "What update_plan steps not completed become: follow-ups (default) or tasks.") var plans =
            "follow-ups"
        @Flag(help: "Also import rollouts modified in the last 2 minutes.") var includeActive = false
        @Argument(help: "Rollout files (.jsonl or .jsonl.zst).") var files: [String] = []

        func validate() throws {
            guard plans == "tasks" || plans == "follow-ups" else {
                throw ValidationError("--plans must be tasks or follow-ups, not '\(plans)'")
            }
            if let s = since, Self.date(s) == nil {
                throw ValidationError("--since '\(s)': expected a date like 2026-01-31 or 2026-01-31T12:00:00Z")
            }
        }

        static func date(_ s: String) -> Timestamp? {
            Timestamp(iso8601: s) ?? (s.count == 10 ? Timestamp(iso8601: s + "T00:00:00Z") : nil)
        }

        func run() throws {
            let ws = try common.workspace()
            let env = ProcessInfo.processInfo.environment
            let list = files.isEmpty ? Workspace.rolloutFiles(codexHome: CodexPaths(environment: env).realHome) : files
            let result = try ws.importRollouts(
                list,
                options: CodexImportOptions(
                    since: since.flatMap(Self.date), planTasks: plans == "tasks", includeActive: includeActive,
                    now: try ws.now()),
                command: common.commandLine)
            if output.json {
                try Output.json(result)
            } else {
                for i in result.items where !(files.isEmpty && i.outcome == "other-repository") {
                    let what = i.outcome == "imported" ? "imported" : "skipped (\(i.outcome))"
                    Output.line(
                        "\(what) \(i.file)\(i.session.map { " -> " + $0 } ?? "")\(i.detail.map { ": " + $0 } ?? "")")
                }
                let n = result.items.filter { $0.outcome == "imported" }.count
                Output.line("\(n) session(s) imported")
            }
            if !files.isEmpty, result.items.contains(where: { $0.outcome == "unreadable" }) { throw ExitCode(1) }
        }
    }
}
