import ArgumentParser
import Foundation
import Workspace

/// The only place that prints errors and chooses exit codes: 0 success, 1 an error the command
/// reports, 2 a usage error.
@main
enum Main {
    static func main() {
        var dashHint = ""
        do {
            let arguments = try GlobalArguments.strip(Array(CommandLine.arguments.dropFirst()))
            // A mistyped subcommand is looked for only when parsing fails (or after `help`,
            // which parses whatever follows): naming every command type costs a scan of the
            // binary's protocol conformances per type, and a command line that parses holds none
            // (no group's default subcommand takes an argument).
            if arguments.first == "help", let message = GlobalArguments.unknownSubcommand(arguments) {
                Output.error(message + " (see --help)")
                Foundation.exit(2)
            }
            let parsed: ParsableCommand
            do {
                parsed = try CodexState.parseAsRoot(arguments)
            } catch {
                if let message = GlobalArguments.unknownSubcommand(arguments) {
                    Output.error(message + " (see --help)")
                    Foundation.exit(2)
                }
                dashHint = Self.dashHint(CodexState.message(for: error), arguments: arguments)
                throw error
            }
            var command = parsed
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
                message += dashHint
                Output.error(message.split(whereSeparator: \.isNewline).joined(separator: " ") + " (see --help)")
                Foundation.exit(2)
            }
            Output.error(oneLine(error) + (sandboxHint(for: error).map { "; " + $0 } ?? ""))
            Foundation.exit(1)
        }
    }

    /// A title or text that starts with `-` reads as an option, and the parser then says only
    /// that the argument is missing: name the word it took for an option, and the `--` that ends
    /// the options.
    /// The hint is given only when the command line parses with `--` before that word.
    static func dashHint(_ message: String, arguments: [String]) -> String {
        guard message.hasPrefix("Missing expected argument"), !arguments.contains("--") else { return "" }
        for (i, word) in arguments.enumerated() where word.hasPrefix("-") && word.count > 1 {
            var fixed = arguments
            fixed.insert("--", at: i)
            guard (try? CodexState.parseAsRoot(fixed)) != nil else { continue }
            return
                "; '\(word)' was read as an option: to pass text starting with '-', put -- before it (-- \"\(word)\")"
        }
        return ""
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
        version: ToolVersion.current,
        subcommands: [
            Init.self, TaskCommand.self, Tasks.self, Next.self, Complete.self, MilestoneCommand.self,
            GoalCommand.self, Log.self, HooksCommand.self, HookCommand.self, Reanchor.self, ConflictsCommand.self,
            MergeDriverCommand.self, Check.self,
            SessionCommand.self, Preamble.self, MCPCommand.self, CodexCommand.self, ShellInit.self,
            SkillCommand.self, Remember.self, Memories.self, Recall.self, Forget.self, PrivateKeyCommand.self,
            Undo.self, JournalCommand.self, Graph.self, Report.self, Import.self, Export.self, ClaimsCommand.self,
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

/// Options git-style tools take before the subcommand, handled before argument parsing:
/// `-C DIR` (any number, applied in order, as git does) and `-q`/`--quiet` anywhere.
enum GlobalArguments {
    struct ChangeDirectoryError: Error, CustomStringConvertible {
        var directory: String
        var reason: String
        var description: String { "cannot change to '\(directory)': \(reason)" }
    }

    /// The arguments without the leading `-C DIR` pairs (the process changes to each DIR in
    /// turn, so relative paths given later resolve as in git) and without `-q`/`--quiet`
    /// (before a `--`), which set ``Output/quiet``.
    static func strip(_ args: [String]) throws -> [String] {
        var rest = args[...]
        // Before the subcommand `-q` may come between them: `codex-state -q -C DIR tasks`.
        while let first = rest.first, first == "-q" || first == "--quiet" || (first == "-C" && rest.count >= 2) {
            if first != "-C" {
                Output.quiet = true
                rest = rest.dropFirst()
                continue
            }
            let dir = rest[rest.index(after: rest.startIndex)]
            guard FileManager.default.changeCurrentDirectoryPath(dir) else {
                throw ChangeDirectoryError(
                    directory: dir,
                    reason: FileManager.default.fileExists(atPath: dir) ? "not a directory" : "no such directory")
            }
            rest = rest.dropFirst(2)
        }
        var out: [String] = []
        var options = true
        for a in rest {
            if a == "--" { options = false }
            if options, a == "-q" || a == "--quiet" {
                Output.quiet = true
                continue
            }
            out.append(a)
        }
        return out
    }

    /// For a mistyped subcommand, "unknown command 'X'; did you mean 'Y'?" (nil when the words
    /// before the first option are all commands, or the command takes arguments there).
    static func unknownSubcommand(_ args: [String]) -> String? {
        var subcommands = CodexState.configuration.subcommands
        var path: [String] = []
        // `help taks` names the mistake too (argument-parser would print the top-level help).
        for word in args.first == "help" ? args.dropFirst() : args[...] {
            if word.hasPrefix("-") || word == "help" || subcommands.isEmpty { return nil }
            // Named level by level, only as far as the words go.
            let names = subcommands.map { $0.configuration.commandName ?? $0._commandName }
            if let i = names.firstIndex(of: word) {
                subcommands = subcommands[i].configuration.subcommands
                path.append(word)
                continue
            }
            let scope = (["codex-state"] + path).joined(separator: " ")
            if path.isEmpty || path == ["task"] {
                if let ours = otherTrackersWords[word.lowercased()] {
                    return "unknown command '\(word)' for \(scope); did you mean 'codex-state \(ours)'?"
                }
                if word.hasPrefix("t-"), word.count > 2, word.dropFirst(2).allSatisfy(\.isHexDigit) {
                    return
                        "unknown command '\(word)' for \(scope); the command comes before the id: codex-state task show|start|edit|block|cancel ID, codex-state complete ID"
                }
            }
            var best: (name: String, distance: Int)?
            for name in names.sorted() {
                let d = editDistance(word, name)
                if best.map({ d < $0.distance }) ?? true { best = (name, d) }
            }
            if let best, best.distance <= max(2, word.count / 3) {
                return "unknown command '\(word)' for \(scope); did you mean '\(best.name)'?"
            }
            return "unknown command '\(word)' for \(scope); commands: \(names.joined(separator: ", "))"
        }
        return nil
    }

    /// The words beads (`bd ready`, `bd close`, `bd list`, `bd create`) and Taskwarrior (`task
    /// list`, `task add`, `task N done`, `task N modify`) users type first, and ours for them.
    static let otherTrackersWords: [String: String] = [
        "done": "complete", "close": "complete", "finish": "complete", "complete": "complete",
        "ready": "next", "list": "tasks", "ls": "tasks", "show": "task show", "info": "task show",
        "add": "task add", "create": "task add", "new": "task add", "start": "task start",
        "update": "task edit", "modify": "task edit", "edit": "task edit", "block": "task block",
        "delete": "task cancel", "rm": "task cancel", "cancel": "task cancel", "reopen": "task reopen",
        "dep": "task dep", "depends": "task dep add",
    ]

    /// Levenshtein distance.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        guard !a.isEmpty else { return b.count }
        var row: [Int] = Array(0...b.count)
        for i in 1...a.count {
            var previous: Int = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let current: Int = row[j]
                let substitution: Int = previous + (a[i - 1] == b[j - 1] ? 0 : 1)
                row[j] = Swift.min(current + 1, row[j - 1] + 1, substitution)
                previous = current
            }
        }
        return row[b.count]
    }
}
