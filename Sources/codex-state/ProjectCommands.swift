import ArgumentParser
import Foundation
import Workspace

struct MilestoneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "milestone", abstract: "Add and list milestones.", subcommands: [Add.self, List.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a milestone; prints its id.")
        @OptionGroup var common: CommonOptions
        @OptionGroup var output: JSONFlag
        @Argument var title: String
        @Option(help: "Target date, YYYY-MM-DD (milestones rank by it).") var due: String?

        func run() throws {
            let ws = try common.workspace()
            let id = try ws.addMilestone(title: title, due: due, command: common.commandLine)
            Output.warnings(ws)
            if output.json { try Output.json(["id": id]) } else { Output.line(id) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list", abstract: "List milestones in ranking order.")
        @OptionGroup var common: CommonOptions
        @OptionGroup var output: JSONFlag

        func run() throws {
            let ws = try common.workspace()
            let milestones = try ws.readModel().milestoneProgress
            if output.json {
                try Output.json(milestones.map(MilestoneJSON.init))
                return
            }
            if milestones.isEmpty { Output.line("No milestones.") }
            for p in milestones {
                let m = p.milestone
                Output.line(
                    "\(m.id)  \(m.due ?? "no date")  \(Output.clean(m.title))  (\(p.finished)/\(p.tasks) finished)")
            }
        }
    }
}

struct GoalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "goal", abstract: "Add and list project goals.", subcommands: [Add.self, List.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a goal; prints its id.")
        @OptionGroup var common: CommonOptions
        @OptionGroup var output: JSONFlag
        @Argument var text: String

        func run() throws {
            let ws = try common.workspace()
            let id = try ws.addGoal(text, command: common.commandLine)
            Output.warnings(ws)
            if output.json { try Output.json(["id": id]) } else { Output.line(id) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List goals, oldest first.")
        @OptionGroup var common: CommonOptions
        @OptionGroup var output: JSONFlag

        func run() throws {
            let ws = try common.workspace()
            let goals = try ws.readModel().goalsOldestFirst
            if output.json {
                try Output.json(goals.map(GoalJSON.init))
                return
            }
            if goals.isEmpty { Output.line("No goals.") }
            for g in goals { Output.line("\(g.id)  \(Output.clean(g.text))") }
        }
    }
}

struct Log: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log", abstract: "Show the operation journal of this clone, newest first.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var output: JSONFlag
    @Option(name: .short, help: "How many operations to show.") var n: Int = 20
    @Option(help: "Only operations that touched this task (id or unique prefix).") var task: String?
    @Option(help: "Only operations that touched this memory (id or unique prefix): one fact's history.")
    var memory: String?

    func validate() throws {
        guard n >= 1 else { throw ValidationError("-n must be at least 1") }
    }

    func run() throws {
        let records: [JournalRecord]
        var ws: Workspace?
        do {
            ws = try common.workspace()
            records = try ws?.journal() ?? []
            if let ws { Output.warnings(ws) }
        } catch WorkspaceError.bareRepository {
            records = try Workspace.bareRepositoryJournal(
                directory: common.directory ?? FileManager.default.currentDirectoryPath,
                environment: ProcessInfo.processInfo.environment)
        }
        let shown = try JournalFilter(task: task, memory: memory, limit: n).select(records)
        if output.json {
            try Output.json(shown)
            return
        }
        if shown.isEmpty { Output.line("No operations recorded in this clone.") }
        for r in shown {
            let at = r.head.map { " \(r.branch ?? "detached")@\($0.prefix(7))" } ?? ""
            Output.line("\(r.at)  \(r.actor)\(at)  \(r.command)  [\(r.op)\(r.client.map { ", " + $0 } ?? "")]")
            for c in r.changes { Output.line("  " + c.summary) }
        }
        // Merges change the state through git and the merge driver, which journal nothing.
        guard task == nil, memory == nil, let merges = try? ws?.stateMerges(limit: n), !merges.isEmpty else { return }
        Output.line("")
        Output.line(
            "Merges that changed the state (git has them, this journal does not; see git log -p --merges -- .codex-state/project_state.json):"
        )
        for m in merges {
            Output.line("\(Timestamp(seconds: m.time))  \(m.id.short)  \(Output.clean(m.summary))")
        }
    }
}
