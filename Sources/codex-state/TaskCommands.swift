import ArgumentParser
import Foundation
import Workspace

struct TaskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "task",
        abstract: "Add, show and change tasks.",
        subcommands: [
            Add.self, Show.self, Edit.self, Start.self, Block.self, Cancel.self, Reopen.self, Dep.self, Resolve.self,
        ]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a task; prints its id.")
        @OptionGroup var common: CommonOptions
        @OptionGroup var output: JSONFlag
        @Argument(help: "The task's title.") var title: String
        @Option(help: "Parent task (id or unique prefix).") var parent: String?
        @Option(name: .customLong("dep"), help: "A task this one waits on (repeatable).") var deps: [String] = []
        @Option(parsing: .unconditional, help: "0 (most urgent) to 4.") var priority: Int = 2
        @Option(name: .customLong("label"), help: "A label (repeatable).") var labels: [String] = []
        @Option(help: "Milestone (id, unique prefix or title).") var milestone: String?
        @Option(help: "Longer description.") var body: String?
        @Option(name: .customLong("accept"), help: "An acceptance criterion (repeatable).")
        var acceptance: [String] = []

        func validate() throws {
            guard (0...4).contains(priority) else {
                throw ValidationError("--priority must be 0 (most urgent) to 4, not \(priority)")
            }
        }

        func run() throws {
            let ws = try common.workspace()
            let id = try ws.addTask(
                NewTask(
                    title: title, body: body, parent: parent, deps: deps, priority: priority, labels: labels,
                    milestone: milestone, acceptance: acceptance),
                command: common.commandLine)
            Output.warnings(ws)
            if output.json { try Output.json(["id": id]) } else { Output.line(id) }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one task in full.")
        @OptionGroup var common: CommonOptions
        @OptionGroup var output: JSONFlag
        @Argument(help: "Task id or unique prefix.") var id: String

        func run() throws {
            let ws = try common.workspace()
            let d = try ws.show(id)
            let t = d.record
            let row = d.row
            if output.json {
                try Output.json(TaskShowJSON(d))
                return
            }
            Output.line("\(t.id)  \(Output.clean(t.title))")
            Output.line("status:     \(row.statusText) (stored: \(t.status.rawValue))")
            if let copy = row.onlyIn {
                Output.line(
                    "elsewhere:  only in \(copy): this worktree's state does not have it (merge or check out \(copy))")
            }
            Output.line("priority:   P\(t.priority)")
            if let p = t.parent { Output.line("parent:     \(p)") }
            if !d.children.isEmpty { Output.line("children:   \(d.children.joined(separator: " "))") }
            if !t.deps.isEmpty {
                let marked = d.depStatuses.map { "\($0.id) (\($0.status?.rawValue ?? "missing"))" }
                Output.line("waits on:   \(marked.joined(separator: ", "))")
            }
            if !d.dependents.isEmpty { Output.line("blocks:     \(d.dependents.joined(separator: " "))") }
            if !t.labels.isEmpty { Output.line("labels:     \(t.labels.joined(separator: ", "))") }
            if let m = t.milestone {
                Output.line("milestone:  \(d.milestoneTitles[m].map { "\"\(Output.clean($0))\" " } ?? "")\(m)")
            }
            if let b = t.blocker { Output.line("blocked:    \(Output.clean(b))") }
            Output.line("created:    \(t.created.at) by \(t.created.actor)")
            Output.line("updated:    \(t.updated.at) by \(t.updated.actor)")
            if let s = t.started {
                Output.line(
                    "started:    \(s.at) by \(s.actor) on \(s.branch ?? "detached HEAD")\(s.commit.map { " at " + $0.prefix(7) } ?? "")"
                )
            }
            if let c = t.completion {
                var placeNote = ""
                switch row.status {
                case .done:
                    if let r = row.recovered {
                        placeNote =
                            " (on HEAD as \(r.commit.prefix(7)), found by \(r.method.rawValue); run codex-state reanchor)"
                    } else {
                        placeNote = " (reachable from HEAD)"
                    }
                case .doneElsewhere: placeNote = " (not on this branch)"
                case .doneUnknown: placeNote = " (commit not in this repository)"
                default: break
                }
                let at: String
                switch d.anchor {
                case .recorded(let commit)?: at = "at \(commit.prefix(7))"
                case .introduced(let commit)?:
                    at =
                        "at \(commit.prefix(7)) (the commit with the work, found from the one that added the completion)"
                case .uncommitted?, nil: at = "with the work, not committed yet"
                }
                Output.line("completed:  \(c.at) by \(c.actor) \(at) on \(c.branch ?? "detached HEAD")\(placeNote)")
                if let n = c.note { Output.line("            \(Output.clean(n))") }
            } else if row.status == .done, let r = row.recovered {
                Output.line(
                    "completed:  in another copy; on HEAD as \(r.commit.prefix(7)), found by \(r.method.rawValue) (run codex-state reanchor to record it here)"
                )
            }
            if let cl = t.claim { Output.line("claimed:    by \(cl.actor) until \(cl.expires)") }
            if let ls = t.links, !ls.isEmpty {
                Output.line("links:      \(ls.map { "\($0.kind) \($0.target)" }.joined(separator: ", "))")
            }
            if let src = t.source {
                Output.line("source:     \(src.id), imported \(src.imported.at) by \(src.imported.actor)")
            }
            if let e = row.elsewhere, e.copy != "here" {
                let what =
                    e.kind == .done
                    ? "done at \(e.commit.map { String($0.prefix(7)) } ?? "?") (contained in \(e.place))"
                    : "in progress in \(e.place)\(e.actor.map { " by " + $0 } ?? "")"
                Output.line("elsewhere:  \(what), says the copy of \(e.copy)")
            }
            if let message = row.disagreement { Output.line("disagree:   \(message)") }
            if let cs = t.conflicts, !cs.isEmpty {
                Output.line(
                    "conflicts:  \(cs.count) unresolved; resolve: codex-state task resolve \(t.id) [--take other]")
                for line in ConflictText.lines(cs) { Output.line("  " + line) }
            }
            if let body = t.body {
                Output.line("")
                // Indented, so no line of the body can pass for a line of the record.
                for l in body.split(separator: "\n", omittingEmptySubsequences: false) { Output.line("  " + l) }
            }
            if !t.acceptance.isEmpty {
                Output.line("")
                Output.line("acceptance:")
                for a in t.acceptance { Output.line("  - \(Output.clean(a))") }
            }
            if !t.notes.isEmpty {
                Output.line("")
                Output.line("notes:")
                for n in t.notes { Output.line("  \(n.at) \(n.actor): \(Output.clean(n.text))") }
            }
            // What the tracker it came from has and this tool has no field for (docs/interchange.md).
            if let src = t.source, let fields = src.fields, !fields.isEmpty {
                Output.line("")
                Output.line("from \(src.id):")
                for (key, value) in fields.sorted(by: { $0.key < $1.key }) {
                    guard case .string(let text) = value else {
                        Output.line("  \(key): \(value)")
                        continue
                    }
                    Output.line("  \(key):\(text.contains("\n") ? "" : " " + text)")
                    if text.contains("\n") {
                        for l in text.split(separator: "\n", omittingEmptySubsequences: false) {
                            Output.line("    " + l)
                        }
                    }
                }
            }
        }
    }

    struct Edit: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "edit", abstract: "Change a task's fields.")
        @OptionGroup var common: CommonOptions
        @OptionGroup var output: JSONFlag
        @Argument(help: "Task id or unique prefix.") var id: String
        @Option var title: String?
        @Option(help: "New description ('' clears it).") var body: String?
        @Option(parsing: .unconditional, help: "0 (most urgent) to 4.") var priority: Int?
        @Option(help: "New parent ('none' clears it).") var parent: String?
        @Option(help: "New milestone: id, unique prefix or title ('none' clears it).") var milestone: String?
        @Option(name: .customLong("add-label")) var addLabels: [String] = []
        @Option(name: .customLong("rm-label")) var removeLabels: [String] = []
        @Option(name: .customLong("accept"), help: "Add an acceptance criterion.") var acceptance: [String] = []
        @Flag(name: .customLong("clear-accept"), help: "Remove all acceptance criteria first.")
        var clearAcceptance = false
        @Option(help: "Append a note.") var note: String?

        func validate() throws {
            if let p = priority, !(0...4).contains(p) {
                throw ValidationError("--priority must be 0 (most urgent) to 4, not \(p)")
            }
        }

        func run() throws {
            var e = TaskEdit()
            e.title = title
            e.body = body.map { $0.isEmpty ? nil : $0 }
            e.priority = priority
            e.parent = parent.map { $0 == "none" ? nil : $0 }
            e.milestone = milestone.map { $0 == "none" ? nil : $0 }
            e.addLabels = addLabels
            e.removeLabels = removeLabels
            e.addAcceptance = acceptance
            e.clearAcceptance = clearAcceptance
            e.note = note
            guard !e.isEmpty else { throw ValidationError("nothing to change: pass at least one option") }
            let ws = try common.workspace()
            let done = try ws.editTask(id, e, command: common.commandLine)
            Output.warnings(ws)
            if output.json { try Output.json(["id": done]) } else { Output.confirm("updated \(done)") }
        }
    }

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "start", abstract: "Mark a task in progress (records actor, branch and HEAD).")
        @OptionGroup var common: CommonOptions
        @OptionGroup var output: JSONFlag
        @Argument(help: "Task id or unique prefix.") var id: String
        @Flag(help: "Take the task over even if another actor's claim has not expired.") var force = false
        @OptionGroup var remote: RemoteOption

        func run() throws {
            let ws = try common.workspace()
            remote.apply(to: ws)
            let done = try ws.startTask(id, force: force, command: common.commandLine)
            Output.warnings(ws)
            let head = try ws.headRef()  // branch and commit: no libgit2
            if output.json {
                try Output.json(
                    StatusChangeJSON(id: done, status: "in_progress", branch: head.branch, commit: head.commit))
            } else {
                Output.confirm("started \(done) on \(head.branch ?? "detached HEAD")")
            }
        }
    }

    struct Block: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "block", abstract: "Mark a task blocked, with the reason.")
        @OptionGroup var common: CommonOptions
        @OptionGroup var output: JSONFlag
        @Argument(help: "Task id or unique prefix.") var id: String
        @Option(help: "Why it is blocked.") var reason: String

        func run() throws {
            let ws = try common.workspace()
            let done = try ws.blockTask(id, reason: reason, command: common.commandLine)
            Output.warnings(ws)
            if output.json {
                try Output.json(StatusChangeJSON(id: done, status: "blocked", branch: nil, commit: nil))
            } else {
                Output.confirm("blocked \(done)")
            }
        }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cancel", abstract: "Cancel a task (it no longer holds up dependents).")
        @OptionGroup var common: CommonOptions
        @OptionGroup var output: JSONFlag
        @Argument(help: "Task id or unique prefix.") var id: String
        @Option(help: "Why (kept as a note).") var reason: String?

        func run() throws {
            let ws = try common.workspace()
            let done = try ws.cancelTask(id, reason: reason, command: common.commandLine)
            Output.warnings(ws)
            if output.json {
                try Output.json(StatusChangeJSON(id: done, status: "cancelled", branch: nil, commit: nil))
            } else {
                Output.confirm("cancelled \(done)")
            }
        }
    }

    struct Reopen: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reopen", abstract: "Put a blocked, cancelled, done or in-progress task back to open.")
        @OptionGroup var common: CommonOptions
        @OptionGroup var output: JSONFlag
        @Argument(help: "Task id or unique prefix.") var id: String

        func run() throws {
            let ws = try common.workspace()
            let done = try ws.reopenTask(id, command: common.commandLine)
            Output.warnings(ws)
            if output.json {
                try Output.json(StatusChangeJSON(id: done, status: "open", branch: nil, commit: nil))
            } else {
                Output.confirm("reopened \(done)")
            }
        }
    }

    struct Dep: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dep", abstract: "Add or remove a dependency: ID waits on DEP.",
            subcommands: [DepAdd.self, DepRemove.self])
    }

    struct DepAdd: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "ID waits on DEP from now on.")
        @OptionGroup var common: CommonOptions
        @OptionGroup var output: JSONFlag
        @Argument(help: "The waiting task.") var id: String
        @Argument(help: "The task it waits on.") var dep: String

        func run() throws {
            let ws = try common.workspace()
            let (a, b) = try ws.addDependency(id, on: dep, command: common.commandLine)
            Output.warnings(ws)
            if output.json { try Output.json(["id": a, "dep": b]) } else { Output.confirm("\(a) now waits on \(b)") }
        }
    }

    struct DepRemove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "ID no longer waits on DEP.")
        @OptionGroup var common: CommonOptions
        @OptionGroup var output: JSONFlag
        @Argument(help: "The waiting task.") var id: String
        @Argument(help: "The task it waits on.") var dep: String

        func run() throws {
            let ws = try common.workspace()
            let (a, b) = try ws.removeDependency(id, on: dep, command: common.commandLine)
            Output.warnings(ws)
            if output.json {
                try Output.json(["id": a, "dep": b])
            } else {
                Output.confirm("\(a) no longer waits on \(b)")
            }
        }
    }
}
