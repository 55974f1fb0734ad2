import ArgumentParser
import Foundation
import Workspace

struct Tasks: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tasks", abstract: "List tasks with their effective status at HEAD.",
        discussion: """
            Every copy of the state this clone can see counts: this worktree's file, the other \
            worktrees' files and the committed file at every local and remote-tracking branch tip. \
            Hides tasks done here and cancelled ones unless --all or --status asks for them. \
            Statuses: ready, waiting (open, but waits on a task or child), in_progress, \
            in_progress@BRANCH or @worktree W (started in another copy), stale (a start whose \
            claim expired or that went quiet), blocked, done, done@BRANCH (completed by a commit \
            not reachable from HEAD; BRANCH contains it), done? (completed by a commit this clone \
            does not have), cancelled.
            """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var output: JSONFlag
    @Option(
        help:
            "Only this effective status: open, ready, waiting, in_progress, blocked, done, done_elsewhere, done_unknown, cancelled. Repeat for any of several."
    )
    var status: [String] = []
    @Option(help: "Only tasks with this label. Repeat for tasks with every one of them.") var label: [String] = []
    @Option(help: "Only tasks in this milestone (id, unique prefix or title). Repeat for any of several.")
    var milestone: [String] = []
    @Option(
        name: .customLong("search"),
        help: "Only tasks whose title, body or notes contain this text (any case). Repeat for every one of them.")
    var search: [String] = []
    @Option(help: "Only tasks started or claimed by this actor. Repeat for any of several.") var by: [String] = []
    @Flag(help: "Indent subtasks under their parents.") var tree = false
    @Flag(help: "Include tasks done here and cancelled tasks.") var all = false
    @Flag(help: "Only stale tasks: started, but the claim expired or nothing happened for the stale time.")
    var stale = false
    @Flag(help: "Also list tasks that exist only in another copy (branch, remote-tracking branch, worktree).")
    var everywhere = false

    func validate() throws {
        for s in status { if let problem = TaskFilter.statusProblem(s) { throw ValidationError(problem) } }
    }

    /// Filters combine with AND across options; a repeated `--status`, `--milestone` or `--by`
    /// means any of them (OR), a repeated `--label` or `--search` every one of them (AND).
    var filter: TaskFilter {
        TaskFilter(
            status: status, label: label, milestone: milestone, search: search, by: by, all: all, stale: stale,
            everywhere: everywhere)
    }

    func run() throws {
        let ws = try common.workspace()
        let body = try ws.cachedOutput(arguments: Array(CommandLine.arguments.dropFirst())) { model in
            try render(model, anchors: { try ws.listAnchors($0, model) })
        }
        ws.warnIfStateUnmerged()
        Output.warnings(ws)
        Output.hintIfNotSetUp(ws)
        // Not part of the cached listing: the same HEAD reads the same with or without a rebase.
        if !output.json, let rebase = try ws.rebaseInProgress() {
            Output.line(
                "A rebase\(rebase.map { " of " + $0 } ?? "") is in progress: statuses are as of the commit checked out now (git rebase --continue or --abort)."
            )
        }
        Output.emit(body)
    }

    func render(_ model: ReadModel, anchors: ([EvaluatedTask]) throws -> [String: CompletionAnchor]) throws
        -> [UInt8]
    {
        var out = Rendered()
        let listed = try model.tasks(filter)
        if output.json {
            try out.json(TasksJSON(head: model.head, rows: listed, anchors: try anchors(listed)))
            return out.bytes
        }
        out.line(headLine(model.head))
        if listed.isEmpty {
            out.line(model.taskCount == 0 ? "No tasks yet. Add one: codex-state task add \"Title\"" : "No tasks match.")
            return out.bytes
        }
        // One status column for every row, as wide as the widest status (`in_progress@worktree wt-a`).
        let width = listed.map { $0.statusText.count + 1 }.max().map { max(14, $0) } ?? 14
        if tree {
            let ids = Set(listed.map(\.id))
            var kids: [String: [EvaluatedTask]] = [:]
            var roots: [EvaluatedTask] = []
            for t in listed {
                if let p = t.parent, ids.contains(p) { kids[p, default: []].append(t) } else { roots.append(t) }
            }
            let byID = Dictionary(listed.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            func inParentCycle(_ t: EvaluatedTask) -> Bool {
                var seen = Set<String>()
                var next = t.parent
                while let p = next, let parent = byID[p], seen.insert(p).inserted {
                    if p == t.id { return true }
                    next = parent.parent
                }
                return false
            }
            var printed = Set<String>()
            func walk(_ t: EvaluatedTask, _ depth: Int) {
                printed.insert(t.id)
                out.line(row(t, indent: depth, width: width) + (inParentCycle(t) ? "  !parent-cycle" : ""))
                for k in kids[t.id] ?? [] where !printed.contains(k.id) { walk(k, depth + 1) }
            }
            for r in roots { walk(r, 0) }
            // Tasks whose parents form a cycle (a hand edit) have no root: list them too, each
            // cycle from its first task, marked, rather than leave them out.
            for t in listed where !printed.contains(t.id) { walk(t, 0) }
        } else {
            for t in listed { out.line(row(t, indent: 0, width: width)) }
        }
        for t in listed { if let d = t.disagreement { out.line("note: \(t.id): \(d)") } }
        return out.bytes
    }
}

func headLine(_ h: HeadInfo) -> String {
    if h.unborn { return "On \(h.branch ?? "?") (no commits yet)" }
    let at = h.shortCommit ?? "?"
    let subject = h.subject.map { " " + Output.clean($0) } ?? ""
    return h.branch.map { "On \($0) at \(at)\(subject)" } ?? "HEAD detached at \(at)\(subject)"
}

/// One row of `tasks`; `width` is the status column's (at least 14, one more than the widest status).
func row(_ r: EvaluatedTask, indent: Int, width: Int) -> String {
    let t = r.task
    let status = r.statusText.padding(toLength: width, withPad: " ", startingAt: 0)
    var extra = ""
    if !t.labels.isEmpty { extra += "  [" + t.labels.joined(separator: ", ") + "]" }
    if r.status == .inProgress || r.status == .stale, let who = r.startedBy { extra += "  @" + who }
    if t.conflictCount > 0 { extra += "  !conflict" }
    if r.disagreement != nil { extra += "  !copies-disagree" }
    if let copy = r.onlyIn { extra += "  (only in \(copy))" }
    if r.status == .open, !r.ready, !r.waitsOn.isEmpty { extra += "  waits on " + r.waitsOn.joined(separator: ", ") }
    return
        "\(String(repeating: "  ", count: indent))\(t.id)  \(status) P\(t.priority)  \(Output.clean(t.title))\(extra)"
}

struct Next: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "next", abstract: "Show the next task(s) to work on, best first.",
        discussion: """
            Candidates are the tasks you have in progress on this branch and every ready task (open, \
            all dependencies done here or cancelled, no unfinished children, not done or in \
            progress in any other copy of the state), then stale tasks (marked [stale]). They are \
            ranked by: resume (yours, in progress here) first, then fresh before stale, then \
            priority (0 first), then how many unfinished tasks wait on it (more first), then \
            milestone order, then age (older first), then id.
            """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var output: JSONFlag
    @Option(name: .short, help: "How many to show.") var n: Int = 1
    @Flag(help: "Print every ranking term.") var explain = false
    @Flag(help: "Start the top ready task for you, atomically (a concurrent claim gets another task).")
    var claim = false
    @Option(help: "With --claim: how long the claim lasts, in minutes (1 to \(Self.maxLease), 30 days).")
    var lease: Int = 120
    @OptionGroup var remote: RemoteOption

    /// A claim longer than this is a typo, and an unbounded one could not be written back.
    static let maxLease = 43_200

    func validate() throws {
        guard n >= 1 else { throw ValidationError("-n must be at least 1") }
        guard (1...Self.maxLease).contains(lease) else {
            throw ValidationError("--lease must be 1 to \(Self.maxLease) minutes (30 days), not \(lease)")
        }
    }

    func run() throws {
        let ws = try common.workspace()
        remote.apply(to: ws)
        var claimed: String?
        var claimedTerms: RankTerms?
        if claim {
            (claimed, claimedTerms) = try ws.claimNext(leaseSeconds: Int64(lease) * 60, command: common.commandLine)
            Output.warnings(ws)
            Output.hintIfNotSetUp(ws)
        }
        guard let claimed else {
            let body = try ws.cachedOutput(arguments: Array(CommandLine.arguments.dropFirst())) { model in
                try render(model, claimed: nil)
            }
            ws.warnIfStateUnmerged()
            Output.warnings(ws)
            Output.emit(body)
            return
        }
        let body = try render(try ws.readModel(), claimed: claimed, claimedTerms: claimedTerms)
        Output.warnings(ws)
        Output.emit(body)
    }

    func render(_ model: ReadModel, claimed: String?, claimedTerms: RankTerms? = nil) throws -> [UInt8] {
        var out = Rendered()
        let top = try model.next(n: n, claimed: claimed, claimedTerms: claimedTerms)
        if output.json {
            try out.json(NextJSON(model, top, claimed: claimed))
            return out.bytes
        }
        if top.isEmpty {
            out.line(model.nothingReady.text)
            return out.bytes
        }
        let titles = model.milestoneTitles
        if let c = claimed { out.line("claimed \(c)") }
        for (i, (r, terms)) in top.enumerated() {
            let t = r.task
            let marker = terms.stale ? "[stale] " : ""
            out.line(
                "\(top.count > 1 ? "\(i + 1). " : "")\(marker)\(t.id)  P\(t.priority)  \(Output.clean(t.title))")
            if explain {
                out.line("   resume:     \(terms.resume ? "yes (you have it in progress on this branch)" : "no")")
                if terms.stale { out.line("   stale:      yes (\(r.staleWhy))") }
                out.line("   priority:   \(terms.priority)")
                out.line("   unblocks:   \(terms.unblocks)")
                out.line(
                    "   milestone:  \(terms.milestone.map { id in "\(titles[id].map { "\"\(Output.clean($0))\" " } ?? "")\(id) (order \((terms.milestoneRank ?? 0) + 1))" } ?? "none (ranks last)")"
                )
                out.line("   created:    \(terms.created)")
                out.line("   id:         \(terms.id)")
            } else {
                out.line("   why: \(Output.clean(Ranking.reason(terms, milestoneTitles: titles)))")
                if terms.stale { out.line("   stale: \(r.staleWhy)") }
            }
        }
        return out.bytes
    }
}

struct Complete: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "complete",
        abstract: "Record that a task is finished; the commit that adds the record anchors it.",
        discussion: """
            Run it when the edits are done, then commit them together with .codex-state/ (git commit -a, \
            or git commit --amend): that commit anchors the completion, and nothing is left to commit. \
            With --commit REV, REV anchors it instead. The task counts as done on every branch whose HEAD \
            can reach the anchoring commit.
            """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var output: JSONFlag
    @Argument(help: "Task id or unique prefix.") var id: String
    @Option(help: "The finishing commit (any revision git understands).") var commit: String?
    @Option(help: "A note on the completion.") var note: String?

    func run() throws {
        let ws = try common.workspace()
        let r = try ws.complete(id, revision: commit, note: note, command: common.commandLine)
        Output.warnings(ws)
        if output.json {
            try Output.json(CompleteJSON(r))
        } else {
            if let c = r.commit {
                Output.confirm("completed \(r.id) at \(c.prefix(7)) on \(r.branch ?? "detached HEAD")")
            } else {
                Output.confirm(
                    "completed \(r.id) on \(r.branch ?? "detached HEAD"); commit .codex-state/ with the work: that commit anchors it"
                )
            }
            for u in r.unblocked { Output.line("unblocked \(u.id): \(Output.clean(u.title))") }
        }
    }
}
