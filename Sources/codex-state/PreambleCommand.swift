import ArgumentParser
import Foundation
import Workspace

extension PreambleFormat: ExpressibleByArgument {}

struct Preamble: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preamble", abstract: "Print what an agent must know to start a session on this branch and HEAD.",
        discussion: """
            Sections, most decisive first: header (project, branch, HEAD, dirty or clean), tasks in \
            progress on this branch, the next ready tasks with the ranking's reason, blocked work, \
            goals and the current milestone, the last session on this branch (or the one it was \
            created from), drift warnings, the commands to update state. The Markdown never \
            exceeds --budget tokens (UTF-8 bytes / 4): what matters least is cut first (unrelated \
            next tasks before your own work, constraints last) and a last line says what was left \
            out; --format json holds the same entries. As a Codex SessionStart hook: codex-state \
            preamble --format codex-hook. docs/preamble.md has the details and the JSON shape.
            """)

    @OptionGroup var common: CommonOptions
    @Option(help: ArgumentHelp("Render for this revision instead of HEAD.", valueName: "rev")) var rev: String?
    @Option(help: ArgumentHelp("Render for this local branch (its tip, or --rev).", valueName: "branch"))
    var branch: String?
    @Option(name: .short, help: "How many next ready tasks to list (1-20).") var n = Reports.Preamble
        .defaultNextCount
    @Option(
        help: ArgumentHelp(
            "Most tokens to print (UTF-8 bytes / 4), \(Reports.Preamble.minimumBudget)-\(Reports.Preamble.maximumBudget).",
            valueName: "tokens"))
    var budget = Reports.Preamble.defaultBudget
    @Option(help: "Output: markdown, json, or codex-hook (the JSON a Codex SessionStart hook prints).")
    var format: PreambleFormat = .markdown
    @Flag(help: "Same as --format json.") var json = false
    @Flag(
        help: "Print nothing and exit 0 outside a git repository or one without .codex-state/ (for a global hook).")
    var ifInitialized = false

    func validate() throws {
        let b = Reports.Preamble.self
        guard budget >= b.minimumBudget, budget <= b.maximumBudget else {
            throw ValidationError(
                "--budget must be between \(b.minimumBudget) and \(b.maximumBudget) tokens (the header alone needs about \(b.minimumBudget))"
            )
        }
        guard (1...Reports.Preamble.Limits.next).contains(n) else {
            throw ValidationError("-n must be between 1 and \(Reports.Preamble.Limits.next)")
        }
        if json && format != .markdown && format != .json {
            throw ValidationError("--json conflicts with --format \(format.rawValue)")
        }
        if let r = rev, r.isEmpty { throw ValidationError("--rev must not be empty") }
        if let b = branch, b.isEmpty { throw ValidationError("--branch must not be empty") }
    }

    func run() throws {
        let request = PreambleRequest(
            revision: rev, branch: branch, next: n, budget: budget, format: json ? .json : format)
        let body: [UInt8]
        do {
            body = try common.workspace().preamble(request)
        } catch is NotARepository where ifInitialized {
            return
        } catch StoreError.notInitialized where ifInitialized {
            return
        } catch WorkspaceError.bareRepository where ifInitialized {
            return  // no working tree, so no state: nothing to say
        }
        Output.emit(body)
    }
}
