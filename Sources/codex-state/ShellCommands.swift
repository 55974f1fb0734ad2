import ArgumentParser
import Foundation
import Workspace

struct ShellInit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shell-init",
        abstract:
            "Print a `codex` shell function: codex tasks|next|complete|task|memories|remember|recall run codex-state.",
        discussion: """
            Every other `codex …` reaches the real Codex CLI unchanged (arguments, exit status, \
            stdin, terminal). Add to your shell's startup file: eval "$(codex-state shell-init \
            bash)" (bash, zsh) or codex-state shell-init fish | source (fish).
            """)

    @Argument(help: "bash, zsh or fish.") var shell: String

    func validate() throws {
        guard ["bash", "zsh", "fish"].contains(shell) else {
            throw ValidationError("unknown shell '\(shell)'; use bash, zsh or fish")
        }
    }

    func run() throws {
        let bin = shellQuote(CodexCommand.ScopeOptions.binary)
        if shell == "fish" {
            // A script for `eval`/`source`: its lines are the point (Output.line would join them).
            Output.script(
                """
                function codex --description 'codex tasks|next|complete|task|memories|remember|recall run codex-state; the rest run Codex'
                    switch "$argv[1]"
                        case tasks next complete task memories remember recall
                            \(bin) $argv
                        case '*'
                            command codex $argv
                    end
                end
                """)
        } else {
            // A script for `eval`/`source`: its lines are the point (Output.line would join them).
            Output.script(
                """
                codex() {
                  case "${1-}" in
                    tasks|next|complete|task|memories|remember|recall) \(bin) "$@" ;;
                    *) command codex "$@" ;;
                  esac
                }
                """)
        }
    }
}

struct SkillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skill",
        abstract: "Write .agents/skills/codex-state/SKILL.md: a few lines teaching any agent the commands.")

    @Option(name: .customShort("C"), help: ArgumentHelp("Run as if started in this directory.", valueName: "dir"))
    var directory: String?

    func run() throws {
        try Self.writeSkill(directory: directory)
    }

    static let text = """
        ---
        name: codex-state
        description: This repository's task graph and session memory, anchored to git commits. Use it to find what to work on and to record finished work.
        ---

        # codex-state

        - Start of a session: `codex-state preamble` (what is in progress here, what is next).
        - Pick work: `codex-state next --claim` starts the best ready task for you.
        - List: `codex-state tasks` (`--all`, `--status ready`); one task: `codex-state task show ID`.
        - Add: `codex-state task add "Title" [--dep ID] [--parent ID] [--accept "criterion"]`.
        - Finished: `codex-state complete ID`, then commit the edits with `.codex-state/` (that commit anchors it).
        - Before deciding anything: `codex-state recall "question"` (what the project already decided or learned).
        - When a decision is made or a rule stated: `codex-state remember "exact text" --kind decision|constraint|note [--why "…"]`.
        - Ids accept a unique prefix. Add `--json` for machine-readable output.
        - In Codex, prefer the MCP tools (`mcp__codex_state`: preamble, next, complete, …) when they are listed;
          never run `codex next`: there `codex` is the Codex CLI itself.

        """

    static func writeSkill(directory: String?) throws {
        let ws = try Workspace(
            directory: directory ?? FileManager.default.currentDirectoryPath,
            environment: ProcessInfo.processInfo.environment)
        let (path, changed) = try ws.writeSkill(text)
        Output.line((changed ? "wrote " : "unchanged ") + path)
    }
}
