import ArgumentParser
import Foundation
import Workspace

extension InterchangeFormat: ExpressibleByArgument {}

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import another tracker's tasks (beads, Task Master, GitHub) or Codex memories.",
        discussion: """
            beads FILE|-: JSONL of beads issues (.beads/issues.jsonl, bd export). taskmaster FILE: \
            Task Master's tasks.json, plain or tagged; subtasks become child tasks. github FILE: \
            the JSON of gh issue list --json number,title,body,state,labels,assignees,milestone, or \
            of gh api repos/OWNER/REPO/issues (pull requests are skipped). codex-memories DIR: a \
            Codex memories folder (memory_summary.md, MEMORY.md, rollout_summaries/), read only, \
            each block a note. Every task records its source id (beads:bd-12, github:#7, \
            taskmaster:master:3.1): importing again updates what changed in the tracker, skips \
            what did not, and refuses a task changed here since unless --overwrite. The whole \
            import is one transaction (codex-state undo takes it back); bad input is named per \
            record and nothing is written. docs/interchange.md has the mappings.
            """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var output: JSONFlag
    @Argument(help: "beads, taskmaster, github or codex-memories.") var format: InterchangeFormat
    @Argument(
        help: ArgumentHelp("The file (- for standard input) or, for codex-memories, the folder.", valueName: "path"))
    var path: String
    @Flag(help: "Take the tracker's values for tasks changed here since their last import.") var overwrite = false
    @Flag(help: "Decide everything, write nothing.") var dryRun = false
    @Flag(help: "List every skipped record, not only how many were skipped for each reason.") var verbose = false

    func validate() throws {
        if format == .json {
            throw ValidationError("json is an export format; import takes beads, taskmaster, github or codex-memories")
        }
        if path == "-" && format != .beads { throw ValidationError("standard input (-) is read for beads only") }
    }

    func run() throws {
        let ws = try common.workspace()
        let result: ImportResult
        do {
            let batch = try ws.readImport(format, from: path)
            result = try ws.importBatch(batch, overwrite: overwrite, dryRun: dryRun, command: common.commandLine)
        } catch let e as ImportError {
            // One line per problem (the error printer would fold them into one).
            for line in e.description.split(separator: "\n") { Output.error(String(line)) }
            throw ExitCode(1)
        }
        Output.warnings(ws)
        if output.json {
            try Output.json(ImportJSON.shape(result, dryRun: dryRun))
            return
        }
        if !Output.quiet {
            for w in result.warnings {
                FileHandle.standardError.write(Data(("codex-state: warning: " + Output.clean(w) + "\n").utf8))
            }
        }
        var skippedByReason: [String: (Int, ImportItem)] = [:]
        for item in result.items {
            if item.outcome == .skipped && !verbose {
                let reason = item.detail ?? "skipped"
                skippedByReason[reason] = ((skippedByReason[reason]?.0 ?? 0) + 1, skippedByReason[reason]?.1 ?? item)
                continue
            }
            var line =
                "\(item.outcome.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(item.id ?? "-")  \(item.source ?? "")  \(item.origin)"
            if let d = item.detail { line += ": " + d }
            Output.line(line)
        }
        for (reason, (count, first)) in skippedByReason.sorted(by: { $0.key < $1.key }) {
            Output.line("skipped  \(count) record(s): \(reason) (first: \(first.origin))")
        }
        let what = format == .codexMemories ? "memories" : "tasks"
        Output.line(
            "\(dryRun ? "would import" : "imported") \(what) from \(format.rawValue) \(path): \(result.count(.added)) added, \(result.count(.updated)) updated, \(result.count(.skipped)) skipped, \(result.count(.refused)) refused"
                + (result.milestonesAdded.isEmpty ? "" : "; \(result.milestonesAdded.count) milestone(s) added"))
    }
}

enum ImportJSON {
    static func shape(_ r: ImportResult, dryRun: Bool) -> JSONValue {
        .object([
            "format": .string(r.format.rawValue), "dry_run": .bool(dryRun),
            "counts": .object([
                "added": .integer(r.count(.added)), "updated": .integer(r.count(.updated)),
                "skipped": .integer(r.count(.skipped)), "refused": .integer(r.count(.refused)),
            ]),
            "items": .array(
                r.items.map {
                    .object([
                        "origin": .string($0.origin), "source": .optional($0.source),
                        "outcome": .string($0.outcome.rawValue),
                        "id": .optional($0.id), "detail": .optional($0.detail),
                    ])
                }),
            "milestones_added": .strings(r.milestonesAdded), "warnings": .strings(r.warnings),
        ])
    }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write the tasks for beads, Task Master or GitHub, or as JSON.",
        discussion: """
            Prints to standard output, or writes -o FILE. beads: JSONL, one issue per line; \
            taskmaster: tasks.json (tagged); github: the JSON gh issue list --json prints; json: \
            this tool's own records with each task's effective status. Tasks imported from the \
            same tracker keep their ids and the fields this tool has no place for; importing an \
            export again changes nothing. What the format cannot carry is named in a warning \
            (field and how many tasks), never dropped silently.
            """)

    @OptionGroup var common: CommonOptions
    @Argument(help: "beads, taskmaster, github or json.") var format: InterchangeFormat
    @Option(name: [.customShort("o"), .long], help: ArgumentHelp("Write to this file instead.", valueName: "file"))
    var output: String?
    @Flag(help: "With -o: print what was written as JSON (shape in docs/cli.md).") var json = false

    func validate() throws {
        if format == .codexMemories {
            throw ValidationError("codex-memories is an import format; export takes beads, taskmaster, github or json")
        }
        if json && output == nil {
            throw ValidationError("--json needs -o FILE (without it the export itself is printed)")
        }
        if let o = output, o.isEmpty { throw ValidationError("-o must not be empty") }
    }

    func run() throws {
        let ws = try common.workspace()
        let result = try ws.export(format)
        Output.warnings(ws)
        let lost = result.notCarriedText
        if let file = output {
            try ws.writeOutputFile(result.bytes, to: file)
            if json {
                try Output.json(
                    JSONValue.object([
                        "format": .string(format.rawValue), "file": .string(file), "tasks": .integer(result.tasks),
                        "not_carried": .object(result.notCarried.mapValues { .integer($0) }),
                    ]))
                return
            }
            Output.confirm("exported \(result.tasks) task(s) to \(file) (\(format.rawValue))")
        } else {
            Output.emit(result.bytes)
        }
        if let lost, !Output.quiet {
            FileHandle.standardError.write(
                Data(("codex-state: warning: \(format.rawValue) has no place for: " + Output.clean(lost) + "\n").utf8))
        }
    }
}
