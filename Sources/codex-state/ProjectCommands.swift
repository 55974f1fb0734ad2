import ArgumentParser
import Foundation
import StateModel
import StateStore
import Workspace

struct MilestoneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "milestone", abstract: "Add and list milestones.", subcommands: [Add.self, List.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a milestone; prints its id.")
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
        static let configuration = CommandConfiguration(abstract: "List milestones in ranking order.")
        @OptionGroup var common: CommonOptions
        @OptionGroup var output: JSONFlag

        func run() throws {
            let ws = try common.workspace()
            let view = try ws.view()
            var p = ProjectState(projectName: "")
            for m in view.state.milestones { p.milestones[m.id] = m }
            let ordered = p.orderedMilestones
            var counts: [String: (Int, Int)] = [:]
            for t in view.state.tasks.values {
                guard let m = t.milestone else { continue }
                let done = view.evaluation.status[t.id]?.satisfiesDependents == true ? 1 : 0
                counts[m, default: (0, 0)].0 += 1
                counts[m, default: (0, 0)].1 += done
            }
            if output.json {
                try Output.json(
                    ordered.map {
                        MilestoneJSON(
                            id: $0.id, title: $0.title, due: $0.due, tasks: counts[$0.id]?.0 ?? 0,
                            finished: counts[$0.id]?.1 ?? 0)
                    })
                return
            }
            if ordered.isEmpty { Output.line("No milestones.") }
            for m in ordered {
                let c = counts[m.id] ?? (0, 0)
                Output.line("\(m.id)  \(m.due ?? "no date")  \(Output.clean(m.title))  (\(c.1)/\(c.0) finished)")
            }
        }
    }
}

struct MilestoneJSON: Encodable {
    var id: String
    var title: String
    var due: String?
    var tasks: Int
    var finished: Int

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(title, forKey: .title)
        try c.encode(due, forKey: .due)
        try c.encode(tasks, forKey: .tasks)
        try c.encode(finished, forKey: .finished)
    }
    enum CodingKeys: String, CodingKey { case id, title, due, tasks, finished }
}

struct GoalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "goal", abstract: "Add and list project goals.", subcommands: [Add.self, List.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a goal; prints its id.")
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
        static let configuration = CommandConfiguration(abstract: "List goals, oldest first.")
        @OptionGroup var common: CommonOptions
        @OptionGroup var output: JSONFlag

        func run() throws {
            let ws = try common.workspace()
            let goals = try ws.view().state.goals.sorted {
                $0.created.at != $1.created.at ? $0.created.at < $1.created.at : $0.id < $1.id
            }
            if output.json {
                try Output.json(goals.map { GoalJSON(id: $0.id, text: $0.text, created: $0.created.at.iso8601) })
                return
            }
            if goals.isEmpty { Output.line("No goals.") }
            for g in goals { Output.line("\(g.id)  \(Output.clean(g.text))") }
        }
    }
}

struct GoalJSON: Encodable {
    var id: String
    var text: String
    var created: String
}

struct Log: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the operation journal of this clone, newest first.")

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
        var records: [JournalRecord]
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
        if let t = task {
            let known = Set(records.flatMap { $0.changes.filter { $0.kind == "task" }.map(\.id) })
            let id = try Identifiers.resolve(t, kind: .task, among: known)
            records = records.filter { $0.changes.contains { $0.id == id } }
        }
        if let m = memory {
            let known = Set(records.flatMap { $0.changes.filter { $0.kind == "memory" }.map(\.id) })
            let id = try Identifiers.resolve(m, kind: .memory, among: known)
            records = records.filter { $0.changes.contains { $0.kind == "memory" && $0.id == id } }
        }
        let shown = Array(records.suffix(n).reversed())
        if output.json {
            try Output.json(shown)
            return
        }
        if shown.isEmpty { Output.line("No operations recorded in this clone.") }
        for r in shown {
            let at = r.head.map { " \(r.branch ?? "detached")@\($0.prefix(7))" } ?? ""
            Output.line("\(r.at)  \(r.actor)\(at)  \(r.command)  [\(r.op)\(r.client.map { ", " + $0 } ?? "")]")
            for c in r.changes { Output.line("  " + describe(c)) }
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

    func describe(_ c: EntityChange) -> String {
        switch (c.before, c.after) {
        case (nil, .some): return "+ \(c.kind) \(c.id)"
        case (.some, nil): return "- \(c.kind) \(c.id)"
        default:
            let fields = changedFields(c)
            return "~ \(c.kind) \(c.id)" + (fields.isEmpty ? "" : ": " + fields.joined(separator: ", "))
        }
    }

    func changedFields(_ c: EntityChange) -> [String] {
        guard case .object(let obj)? = try? JSONValue(encoding: c),
            case .object(let before)? = obj["before"], case .object(let after)? = obj["after"]
        else { return [] }
        return Set(before.keys).union(after.keys).sorted().filter { k in
            k != "updated" && (before[k] ?? .null) != (after[k] ?? .null)
        }
    }
}
