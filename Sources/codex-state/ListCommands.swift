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

    func validate() throws {
        for s in status where s != "ready" && s != "waiting" && EffectiveStatus(rawValue: s) == nil {
            throw ValidationError(
                "unknown --status '\(s)'; use one of: ready, waiting, "
                    + EffectiveStatus.allCases.map(\.rawValue).joined(separator: ", "))
        }
    }

    func run() throws {
        let ws = try common.workspace()
        let body = try ws.cachedOutput(arguments: Array(CommandLine.arguments.dropFirst())) { view in
            try Output.capture { try render(view, records: { try ws.task($0).0 }) }
        }
        Output.emit(body)
    }

    /// Filters combine with AND across options; a repeated `--status`, `--milestone` or `--by`
    /// means any of them (OR), a repeated `--label` or `--search` every one of them (AND).
    func render(_ view: HeadView, records: (String) throws -> TaskRecord) throws {
        let eval = view.evaluation
        let milestoneIDs = try Set(
            milestone.map { try Identifiers.resolve($0, kind: .milestone, titles: view.milestoneTitles) })
        let needles = search.map { $0.lowercased() }
        func matchesStatus(_ t: TaskSummary, _ want: String) -> Bool {
            let s = eval.status[t.id] ?? .open
            switch want {
            case "ready": return eval.ready.contains(t.id)
            case "waiting": return s == .open && !eval.ready.contains(t.id)
            default: return s.rawValue == want
            }
        }
        func shown(_ t: TaskSummary) throws -> Bool {
            let s = eval.status[t.id] ?? .open
            if !status.isEmpty {
                if !status.contains(where: { matchesStatus(t, $0) }) { return false }
            } else if !all, s == .done || s == .cancelled {
                return false
            }
            if !label.allSatisfy(t.labels.contains) { return false }
            if !milestoneIDs.isEmpty, !(t.milestone.map(milestoneIDs.contains) ?? false) { return false }
            if !by.isEmpty, !by.contains(where: { $0 == t.startedActor || $0 == t.claimActor }) { return false }
            if !needles.isEmpty {
                let r = try records(t.id)
                let text = ([r.title, r.body ?? ""] + r.notes.map(\.text)).joined(separator: "\n").lowercased()
                if !needles.allSatisfy(text.contains) { return false }
            }
            return true
        }
        let listed = try view.state.tasks.values.filter(shown).sorted(by: Self.order)
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
            func walk(_ t: TaskSummary, _ depth: Int) {
                Output.line(row(t, eval, indent: depth))
                for k in kids[t.id] ?? [] { walk(k, depth + 1) }
            }
            for r in roots { walk(r, 0) }
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
    if eval.status[t.id] == .open, !eval.ready.contains(t.id) {
        let (deps, kids) = eval.waitingOn(t.id)
        if !(deps + kids).isEmpty { extra += "  waits on " + (deps + kids).joined(separator: ", ") }
    }
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
    @Option(help: "With --claim: how long the claim lasts, in minutes.") var lease: Int = 120

    func validate() throws {
        guard n >= 1 else { throw ValidationError("-n must be at least 1") }
        guard lease >= 1 else { throw ValidationError("--lease must be at least 1 minute") }
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
        let statuses = view.evaluation.status.values
        let waiting = statuses.filter { $0 == .open }.count
        let blocked = statuses.filter { $0 == .blocked }.count
        let busy = statuses.filter { $0 == .inProgress }.count
        if output.json {
            var empty: NextJSON.Empty?
            if top.isEmpty {
                let why =
                    waiting + blocked > 0
                    ? (blocked == 0 ? "all_waiting" : waiting == 0 ? "all_blocked" : "waiting_or_blocked")
                    : busy > 0 ? "all_in_progress" : "nothing_open"
                empty = NextJSON.Empty(reason: why, waiting: waiting, blocked: blocked, inProgress: busy)
            }
            try Output.json(
                NextJSON(
                    head: HeadJSON(view.head), claimed: claimed, empty: empty,
                    candidates: top.enumerated().compactMap { i, r in
                        view.evaluation.tasks[r.id].map {
                            NextJSON.Candidate(
                                rank: i + 1, task: TaskListJSON($0, view.evaluation),
                                terms: TermsJSON(r.terms),
                                reason: Ranking.reason(r.terms, milestoneTitles: view.milestoneTitles))
                        }
                    }))
            return
        }
        if top.isEmpty {
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
                    "   milestone:  \(terms.milestone.map { id in "\(view.milestoneTitles[id].map { "\"\(Output.clean($0))\" " } ?? "")\(id) (order \((terms.milestoneRank ?? 0) + 1))" } ?? "none (ranks last)")"
                )
                Output.line("   created:    \(terms.created)")
                Output.line("   id:         \(terms.id)")
            } else {
                Output.line("   why: \(Output.clean(Ranking.reason(r.terms, milestoneTitles: view.milestoneTitles)))")
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
    /// Why there is no candidate (null when there are some), as the text says it.
    var empty: Empty?
    var candidates: [Candidate]

    struct Empty: Encodable {
        /// `nothing_open`, `all_in_progress`, `all_waiting`, `all_blocked`, `waiting_or_blocked`.
        var reason: String
        var waiting: Int
        var blocked: Int
        var inProgress: Int
        enum CodingKeys: String, CodingKey {
            case reason, waiting, blocked
            case inProgress = "in_progress"
        }
    }

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
        try c.encode(empty, forKey: .empty)
    }
    enum CodingKeys: String, CodingKey { case head, claimed, candidates, empty }
}

struct Complete: ParsableCommand {
    static let configuration = CommandConfiguration(
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
            try Output.json(
                CompleteJSON(
                    change: StatusChangeJSON(id: r.id, status: "done", branch: r.branch, commit: r.commit),
                    unblocked: r.unblocked.map { UnblockedJSON(id: $0.id, title: $0.title) }))
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

/// `complete --json`: the StatusChange shape plus the tasks this completion made ready.
struct CompleteJSON: Encodable {
    var change: StatusChangeJSON
    var unblocked: [UnblockedJSON]

    func encode(to encoder: Encoder) throws {
        try change.encode(to: encoder)
        var c = encoder.container(keyedBy: K.self)
        try c.encode(unblocked, forKey: .unblocked)
    }
    enum K: String, CodingKey { case unblocked }
}

struct UnblockedJSON: Encodable {
    var id: String
    var title: String
}
