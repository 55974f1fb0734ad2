import ArgumentParser
import Foundation
import StateModel
import Workspace

struct Tasks: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List tasks with their effective status at HEAD.",
        discussion: """
            Hides tasks done here and cancelled ones unless --all or --status asks for them. \
            Statuses: ready, waiting (open, but waits on a task or child), in_progress, blocked, \
            done, done@BRANCH (completed by a commit not reachable from HEAD), done? (completed \
            by a commit this clone does not have), cancelled.
            """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var output: JSONFlag
    @Option(
        help:
            "Only this effective status: open, ready, waiting, in_progress, blocked, done, done_elsewhere, done_unknown, cancelled."
    )
    var status: String?
    @Option(help: "Only tasks with this label.") var label: String?
    @Option(help: "Only tasks in this milestone (id or unique prefix).") var milestone: String?
    @Flag(help: "Indent subtasks under their parents.") var tree = false
    @Flag(help: "Include tasks done here and cancelled tasks.") var all = false

    func validate() throws {
        if let s = status, s != "ready", s != "waiting", EffectiveStatus(rawValue: s) == nil {
            throw ValidationError(
                "unknown --status '\(s)'; use one of: ready, waiting, "
                    + EffectiveStatus.allCases.map(\.rawValue).joined(separator: ", "))
        }
    }

    func run() throws {
        let ws = try common.workspace()
        let body = try ws.cachedOutput(arguments: Array(CommandLine.arguments.dropFirst())) { view in
            try Output.capture { try render(view) }
        }
        ws.warnIfStateUnmerged()
        Output.warnings(ws)
        Output.emit(body)
    }

    func render(_ view: HeadView) throws {
        let eval = view.evaluation
        let milestoneID = try milestone.map {
            try Identifiers.resolve($0, kind: .milestone, among: view.state.milestones.map(\.id))
        }
        func shown(_ t: TaskSummary) -> Bool {
            let s = eval.status[t.id] ?? .open
            if let want = status {
                switch want {
                case "ready": if !eval.ready.contains(t.id) { return false }
                case "waiting": if s != .open || eval.ready.contains(t.id) { return false }
                default: if s.rawValue != want { return false }
                }
            } else if !all, s == .done || s == .cancelled {
                return false
            }
            if let l = label, !t.labels.contains(l) { return false }
            if let m = milestoneID, t.milestone != m { return false }
            return true
        }
        let listed = view.state.tasks.values.filter(shown).sorted(by: Self.order)
        if output.json {
            try Output.json(
                TasksJSON(head: HeadJSON(view.head), tasks: listed.map { TaskListJSON($0, eval) }))
            return
        }
        Output.line(headLine(view.head))
        if listed.isEmpty {
            Output.line(
                view.state.tasks.isEmpty ? "No tasks yet. Add one: codex-state task add \"Title\"" : "No tasks match.")
            return
        }
        if tree {
            let ids = Set(listed.map(\.id))
            var kids: [String: [TaskSummary]] = [:]
            var roots: [TaskSummary] = []
            for t in listed {
                if let p = t.parent, ids.contains(p) { kids[p, default: []].append(t) } else { roots.append(t) }
            }
            let byID = Dictionary(listed.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            func inParentCycle(_ t: TaskSummary) -> Bool {
                var seen = Set<String>()
                var next = t.parent
                while let p = next, let parent = byID[p], seen.insert(p).inserted {
                    if p == t.id { return true }
                    next = parent.parent
                }
                return false
            }
            var printed = Set<String>()
            func walk(_ t: TaskSummary, _ depth: Int) {
                printed.insert(t.id)
                Output.line(row(t, eval, indent: depth) + (inParentCycle(t) ? "  !parent-cycle" : ""))
                for k in kids[t.id] ?? [] where !printed.contains(k.id) { walk(k, depth + 1) }
            }
            for r in roots { walk(r, 0) }
            // Tasks whose parents form a cycle (a hand edit) have no root: list them too, each
            // cycle from its first task, marked, rather than leave them out.
            for t in listed where !printed.contains(t.id) { walk(t, 0) }
        } else {
            for t in listed { Output.line(row(t, eval, indent: 0)) }
        }
    }

    /// In progress first, then by priority, age and id.
    static func order(_ a: TaskSummary, _ b: TaskSummary) -> Bool {
        let ar = a.status == .inProgress ? 0 : 1
        let br = b.status == .inProgress ? 0 : 1
        if ar != br { return ar < br }
        if a.priority != b.priority { return a.priority < b.priority }
        if a.createdAt != b.createdAt { return a.createdAt < b.createdAt }
        return a.id < b.id
    }
}

func headLine(_ h: HeadInfo) -> String {
    if h.unborn { return "On \(h.branch ?? "?") (no commits yet)" }
    let at = h.shortCommit ?? "?"
    let subject = h.subject.map { " " + Output.clean($0) } ?? ""
    return h.branch.map { "On \($0) at \(at)\(subject)" } ?? "HEAD detached at \(at)\(subject)"
}

func row(_ t: TaskSummary, _ eval: Evaluation, indent: Int) -> String {
    let status = statusText(t, eval).padding(
        toLength: max(14, statusText(t, eval).count + 1), withPad: " ", startingAt: 0)
    var extra = ""
    if !t.labels.isEmpty { extra += "  [" + t.labels.joined(separator: ", ") + "]" }
    if t.status == .inProgress, let who = t.startedActor { extra += "  @" + who }
    if t.conflictCount > 0 { extra += "  !conflict" }
    return
        "\(String(repeating: "  ", count: indent))\(t.id)  \(status) P\(t.priority)  \(Output.clean(t.title))\(extra)"
}

struct TasksJSON: Encodable {
    var head: HeadJSON
    var tasks: [TaskListJSON]
}

struct Next: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the next task(s) to work on, best first.",
        discussion: """
            Candidates are the tasks you have in progress on this branch and every ready task (open, \
            all dependencies done here or cancelled, no unfinished children). They are ranked by: \
            resume (yours, in progress here) first, then priority (0 first), then how many \
            unfinished tasks wait on it (more first), then milestone order, then age (older \
            first), then id.
            """)

    @OptionGroup var common: CommonOptions
    @OptionGroup var output: JSONFlag
    @Option(name: .short, help: "How many to show.") var n: Int = 1
    @Flag(help: "Print every ranking term.") var explain = false
    @Flag(help: "Start the top ready task for you, atomically (a concurrent claim gets another task).")
    var claim = false
    @Option(help: "With --claim: how long the claim lasts, in minutes (1 to \(Self.maxLease), 30 days).")
    var lease: Int = 120

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
        var claimed: String?
        if claim {
            claimed = try ws.claimNext(leaseSeconds: Int64(lease) * 60, command: common.commandLine).0
            Output.warnings(ws)
        }
        guard let claimed else {
            let body = try ws.cachedOutput(arguments: Array(CommandLine.arguments.dropFirst())) { view in
                try Output.capture { try render(view, actor: ws.actor, claimed: nil) }
            }
            ws.warnIfStateUnmerged()
            Output.warnings(ws)
            Output.emit(body)
            return
        }
        try render(try ws.view(), actor: ws.actor, claimed: claimed)
    }

    func render(_ view: HeadView, actor: String, claimed: String?) throws {
        let ranked = Ranking.rank(
            view.evaluation, actor: actor, branch: view.head.branch, milestoneOrder: view.milestoneOrder)
        var top = Array(ranked.prefix(n))
        if let c = claimed {
            // The claimed task is now in progress: show it first.
            top = (ranked.filter { $0.id == c } + ranked.filter { $0.id != c }).prefix(n).map { $0 }
        }
        if output.json {
            try Output.json(
                NextJSON(
                    head: HeadJSON(view.head), claimed: claimed,
                    candidates: top.enumerated().compactMap { i, r in
                        view.evaluation.tasks[r.id].map {
                            NextJSON.Candidate(
                                rank: i + 1, task: TaskListJSON($0, view.evaluation),
                                terms: TermsJSON(r.terms), reason: Ranking.reason(r.terms))
                        }
                    }))
            return
        }
        if top.isEmpty {
            let statuses = view.evaluation.status.values
            let waiting = statuses.filter { $0 == .open }.count
            let blocked = statuses.filter { $0 == .blocked }.count
            let busy = statuses.filter { $0 == .inProgress }.count
            if waiting + blocked == 0 {
                Output.line(
                    busy == 0 ? "Nothing to do: no open tasks." : "Nothing new to start: \(busy) task(s) in progress.")
            } else {
                var parts: [String] = []
                if waiting > 0 { parts.append("\(waiting) open task(s) wait on others") }
                if blocked > 0 { parts.append("\(blocked) blocked") }
                Output.line("Nothing is ready: " + parts.joined(separator: ", ") + ".")
            }
            return
        }
        if let c = claimed { Output.line("claimed \(c)") }
        for (i, r) in top.enumerated() {
            guard let t = view.evaluation.tasks[r.id] else { continue }
            Output.line("\(top.count > 1 ? "\(i + 1). " : "")\(t.id)  P\(t.priority)  \(Output.clean(t.title))")
            if explain {
                let terms = r.terms
                Output.line("   resume:     \(terms.resume ? "yes (you have it in progress on this branch)" : "no")")
                Output.line("   priority:   \(terms.priority)")
                Output.line("   unblocks:   \(terms.unblocks)")
                Output.line(
                    "   milestone:  \(terms.milestone.map { "\($0) (order \((terms.milestoneRank ?? 0) + 1))" } ?? "none (ranks last)")"
                )
                Output.line("   created:    \(terms.created)")
                Output.line("   id:         \(terms.id)")
            } else {
                Output.line("   why: \(Ranking.reason(r.terms))")
            }
        }
    }
}

struct TermsJSON: Encodable {
    var resume: Bool
    var priority: Int
    var unblocks: Int
    var milestone: String?
    var milestoneRank: Int?
    var created: String
    var id: String

    init(_ t: RankTerms) {
        resume = t.resume
        priority = t.priority
        unblocks = t.unblocks
        milestone = t.milestone
        milestoneRank = t.milestoneRank
        created = t.created.iso8601
        id = t.id
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(resume, forKey: .resume)
        try c.encode(priority, forKey: .priority)
        try c.encode(unblocks, forKey: .unblocks)
        try c.encode(milestone, forKey: .milestone)
        try c.encode(milestoneRank, forKey: .milestoneRank)
        try c.encode(created, forKey: .created)
        try c.encode(id, forKey: .id)
    }

    enum CodingKeys: String, CodingKey {
        case resume, priority, unblocks, milestone, created, id
        case milestoneRank = "milestone_rank"
    }
}

struct NextJSON: Encodable {
    var head: HeadJSON
    var claimed: String?
    var candidates: [Candidate]

    struct Candidate: Encodable {
        var rank: Int
        var task: TaskListJSON
        var terms: TermsJSON
        var reason: String
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(head, forKey: .head)
        try c.encode(claimed, forKey: .claimed)
        try c.encode(candidates, forKey: .candidates)
    }
    enum CodingKeys: String, CodingKey { case head, claimed, candidates }
}

struct Complete: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record the commit that finishes a task (HEAD by default).",
        discussion: "The task counts as done on every branch whose HEAD can reach that commit.")

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
            try Output.json(StatusChangeJSON(id: r.id, status: "done", branch: r.branch, commit: r.commit))
        } else {
            Output.line("completed \(r.id) at \(r.commit.prefix(7)) on \(r.branch ?? "detached HEAD")")
        }
    }
}
