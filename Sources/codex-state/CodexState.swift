import ArgumentParser
import Foundation
import GitKit
import StateModel
import StateStore
import Workspace

/// The only place that prints errors and chooses exit codes: 0 success, 1 an error the command
/// reports, 2 a usage error.
@main
enum Main {
    static func main() {
        do {
            var command = try CodexState.parseAsRoot()
            try command.run()
        } catch let error as CleanExit {
            CodexState.exit(withError: error)
        } catch let error as ExitCode {
            Foundation.exit(error.rawValue)
        } catch {
            let code = CodexState.exitCode(for: error)
            if code == .success {
                // --help, -h, --version: argument-parser prints them and exits 0.
                CodexState.exit(withError: error)
            }
            if code == .validationFailure || code.rawValue == 64 {
                // One line, like every other error; `--help` has the usage.
                var message = CodexState.message(for: error)
                if message.isEmpty { message = "\(error)" }
                Output.error(message.split(whereSeparator: \.isNewline).joined(separator: " ") + " (see --help)")
                Foundation.exit(2)
            }
            Output.error(oneLine(error))
            Foundation.exit(1)
        }
    }

    static func oneLine(_ error: Error) -> String {
        let text: String
        switch error {
        case let e as CustomStringConvertible: text = e.description
        default: text = "\(error)"
        }
        return text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}

struct CodexState: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codex-state",
        abstract: "Git-anchored project state and task graph for coding agents.",
        discussion: """
            State lives in .codex-state/project_state.json, committed with the code. A task is \
            done at HEAD only when the commit that completed it is reachable from HEAD.
            """,
        version: "0.1.0",
        subcommands: [
            Init.self, TaskCommand.self, Tasks.self, Next.self, Complete.self, MilestoneCommand.self,
            GoalCommand.self, Log.self, HooksCommand.self, HookCommand.self, Reanchor.self, ConflictsCommand.self,
            MergeDriverCommand.self, Check.self,
            SessionCommand.self, Preamble.self, MCPCommand.self, Remember.self, Memories.self, Recall.self,
            Forget.self, Undo.self, JournalCommand.self,
        ]
    )
}

/// Options every command takes.
struct CommonOptions: ParsableArguments {
    @Option(name: .customShort("C"), help: ArgumentHelp("Run as if started in this directory.", valueName: "dir"))
    var directory: String?

    @Option(help: "Who is acting (default: $CODEX_STATE_ACTOR, then git's user.name).")
    var actor: String?

    func workspace() throws -> Workspace {
        let dir = directory ?? FileManager.default.currentDirectoryPath
        return try Workspace(directory: dir, actor: actor, environment: ProcessInfo.processInfo.environment)
    }

    /// The command line for the journal.
    var commandLine: String {
        (["codex-state"] + CommandLine.arguments.dropFirst()).map { arg in
            arg.contains(where: { $0 == " " || $0 == "\"" }) || arg.isEmpty
                ? "\"" + arg.replacingOccurrences(of: "\"", with: "\\\"") + "\"" : arg
        }.joined(separator: " ")
    }
}

struct JSONFlag: ParsableArguments {
    @Flag(name: .long, help: "Print JSON (shapes in docs/cli.md).")
    var json = false
}
