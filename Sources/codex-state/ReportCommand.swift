import ArgumentParser
import Foundation
import Workspace

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Write the project as one self-contained HTML page.",
        discussion: """
            The page needs no server and no network (all styles and scripts inline; it works from \
            file://): the task graph (pan, zoom, search, click a task for its details, anchors, \
            sessions and memories), each milestone's progress and critical path, a burn-down \
            drawn from the state file's git history (first parents, up to 120 versions), the \
            sessions as a timeline per branch, the memories by kind with what superseded them, \
            and the drift check's findings. Private memories are never written into it. --rev \
            and --branch draw another commit from the files committed there (no drift check).
            """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var output: JSONFlag
    @Option(help: ArgumentHelp("Write the page to this file.", valueName: "file")) var html: String
    @Option(help: ArgumentHelp("Report on this revision instead of HEAD.", valueName: "rev")) var rev: String?
    @Option(help: ArgumentHelp("Report on this local branch (its tip, or --rev).", valueName: "branch"))
    var branch: String?

    func validate() throws {
        if html.isEmpty { throw ValidationError("--html must name a file") }
        if let r = rev, r.isEmpty { throw ValidationError("--rev must not be empty") }
        if let b = branch, b.isEmpty { throw ValidationError("--branch must not be empty") }
    }

    func run() throws {
        let ws = try common.workspace()
        let input = try ws.reportInput(Workspace.PictureTarget(revision: rev, branch: branch))
        let page = HTMLReport.render(input)
        try ws.writeOutputFile(page, to: html)
        Output.warnings(ws)
        if output.json {
            try Output.json(
                JSONValue.object([
                    "file": .string(html), "bytes": .integer(page.count), "tasks": .integer(input.graph.nodes.count),
                    "sessions": .integer(input.sessions.count), "memories": .integer(input.memories.count),
                    "findings": input.findings.map { .integer($0.count) } ?? .null,
                    "burndown_points": .integer(input.burndown.count), "state_versions": .integer(input.versions),
                ]))
            return
        }
        Output.confirm(
            "wrote \(html): \(input.graph.nodes.count) task(s), \(input.sessions.count) session(s), \(input.memories.count) memorie(s), \(page.count / 1024) KiB"
        )
    }
}
