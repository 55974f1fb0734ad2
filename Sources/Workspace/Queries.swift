import StateModel
import StateStore

/// Which tasks `tasks` lists: the CLI's flags and the MCP `tasks` tool's arguments.
///
/// Filters combine with AND across kinds; a repeated `status`, `milestone` or `by` means any of
/// them (OR), a repeated `label` or `search` every one of them (AND).
public struct TaskFilter: Sendable, Equatable {
    /// Effective statuses, or `ready` / `waiting` (any of them).
    public var status: [String]
    /// Labels (every one of them).
    public var label: [String]
    /// Milestones by id, unique prefix or title (any of them).
    public var milestone: [String]
    /// Texts the title, body or notes must contain, any case (every one of them).
    public var search: [String]
    /// Actors who started or claimed the task (any of them).
    public var by: [String]
    /// Include tasks done here and cancelled ones.
    public var all: Bool
    /// Only stale tasks (`tasks --stale`).
    public var stale: Bool
    /// Also tasks that exist only in another copy of the state (`tasks --everywhere`).
    public var everywhere: Bool

    public init(
        status: [String] = [], label: [String] = [], milestone: [String] = [], search: [String] = [],
        by: [String] = [], all: Bool = false, stale: Bool = false, everywhere: Bool = false
    ) {
        self.status = status
        self.label = label
        self.milestone = milestone
        self.search = search
        self.by = by
        self.all = all
        self.stale = stale
        self.everywhere = everywhere
    }

    /// The error for a status no task can have, or nil when `status` is accepted.
    public static func statusProblem(_ status: String) -> String? {
        if status == "ready" || status == "waiting" || EffectiveStatus(rawValue: status) != nil { return nil }
        return "unknown --status '\(status)'; use one of: ready, waiting, "
            + EffectiveStatus.allCases.map(\.rawValue).joined(separator: ", ")
    }

    /// The tasks of `view` this filter keeps: in progress first, then by priority, age and id.
    /// `records` gives a task's full record (for `search`, which reads body and notes).
    public func select(_ view: HeadView, records: (String) throws -> TaskRecord) throws -> [TaskSummary] {
        let eval = view.evaluation
        let milestoneIDs = try Set(
            milestone.map { try Identifiers.resolve($0, kind: .milestone, titles: view.milestoneTitles) })
        let needles = search.map { $0.lowercased() }
        func matchesStatus(_ t: TaskSummary, _ want: String) -> Bool {
            let s = eval.effective(t.id)
            switch want {
            case "ready": return eval.ready.contains(t.id)
            case "waiting": return s == .open && !eval.ready.contains(t.id)
            default: return s.rawValue == want
            }
        }
        func shown(_ t: TaskSummary) throws -> Bool {
            let s = eval.effective(t.id)
            if stale, s != .stale { return false }
            if !status.isEmpty {
                if !status.contains(where: { matchesStatus(t, $0) }) { return false }
            } else if !all, s == .done || s == .cancelled {
                return false
            }
            if !label.allSatisfy(t.labels.contains) { return false }
            if !milestoneIDs.isEmpty, !(t.milestone.map(milestoneIDs.contains) ?? false) { return false }
            if !by.isEmpty, !by.contains(where: { $0 == t.startedActor || $0 == t.claimActor }) { return false }
            if !needles.isEmpty {
                // Tasks only other copies have carry their title alone.
                let text: String
                if eval.tasks[t.id] != nil {
                    let r = try records(t.id)
                    text = ([r.title, r.body ?? ""] + r.notes.map(\.text)).joined(separator: "\n").lowercased()
                } else {
                    text = t.title.lowercased()
                }
                if !needles.allSatisfy(text.contains) { return false }
            }
            return true
        }
        var candidates = Array(view.state.tasks.values)
        if everywhere { candidates += eval.foreignOnly.values }
        return try candidates.filter(shown).sorted(by: Self.order)
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

extension HeadView {
    /// The `n` best candidates for `actor`, a claimed task first.
    /// - Parameter claimedTerms: how the claimed task ranked when it was claimed
    ///   (``Workspace/claimNext(leaseSeconds:command:)``): it is shown with them, since it is in
    ///   progress now and would otherwise read as work to resume.
    public func next(actor: String, n: Int, claimed: String?, claimedTerms: RankTerms? = nil) -> [RankedTask] {
        let ranked =
            self.ranked ?? Ranking.rank(evaluation, actor: actor, branch: head.branch, milestoneOrder: milestoneOrder)
        guard let c = claimed else { return Array(ranked.prefix(n)) }
        // The claimed task is now in progress: show it first.
        let first = ranked.filter { $0.id == c }.map { RankedTask(id: $0.id, terms: claimedTerms ?? $0.terms) }
        return Array((first + ranked.filter { $0.id != c }).prefix(n))
    }

    /// `next --json`.
    public func nextJSON(_ top: [RankedTask], claimed: String?) -> NextJSON {
        NextJSON(
            head: HeadJSON(head), claimed: claimed, empty: top.isEmpty ? nothingReady : nil,
            candidates: top.enumerated().compactMap { i, r in
                evaluation.tasks[r.id].map {
                    NextJSON.Candidate(
                        rank: i + 1, task: TaskListJSON($0, evaluation), terms: TermsJSON(r.terms),
                        reason: Ranking.reason(r.terms, milestoneTitles: milestoneTitles))
                }
            })
    }

    /// Why there is no candidate, counted.
    public var nothingReady: NextJSON.Empty {
        statusCounts.map(Evaluation.nothingReady(counts:)) ?? evaluation.nothingReady
    }

    /// What to say when nothing is ready.
    public var nothingReadyText: String { nothingReady.text }
}

extension Evaluation {
    /// Why there is no candidate, counted: `next`'s text and `--json`, and a refused claim.
    var nothingReady: NextJSON.Empty {
        Self.nothingReady(counts: status.values.reduce(into: [:]) { $0[$1, default: 0] += 1 })
    }

    /// The same from how many tasks have each effective status.
    static func nothingReady(counts: [EffectiveStatus: Int]) -> NextJSON.Empty {
        let waiting = counts[.open] ?? 0
        let blocked = counts[.blocked] ?? 0
        let busy = counts[.inProgress] ?? 0
        let why =
            waiting + blocked > 0
            ? (blocked == 0 ? "all_waiting" : waiting == 0 ? "all_blocked" : "waiting_or_blocked")
            : busy > 0 ? "all_in_progress" : "nothing_open"
        return NextJSON.Empty(reason: why, waiting: waiting, blocked: blocked, inProgress: busy)
    }
}

extension NextJSON.Empty {
    /// In words, as `next` prints it.
    public var text: String {
        if waiting + blocked == 0 {
            return inProgress == 0
                ? "Nothing to do: no open tasks." : "Nothing new to start: \(inProgress) task(s) in progress."
        }
        var parts: [String] = []
        if waiting > 0 { parts.append("\(waiting) open task(s) wait on others") }
        if blocked > 0 { parts.append("\(blocked) blocked") }
        return "Nothing is ready: " + parts.joined(separator: ", ") + "."
    }
}

/// A milestone and how far along it is here: `finished` of its `tasks` are done on this branch
/// or cancelled. (`milestone list` and the preamble's current milestone.)
public struct MilestoneProgress: Sendable, Equatable {
    public var milestone: Milestone
    public var tasks: Int
    public var finished: Int

    /// Every milestone in ranking order (due date, undated last, then creation and id), counted
    /// over the tasks of `evaluation`, or given as `counted` (finished, all) by milestone when the
    /// evaluation holds only some tasks (read from the index's evaluated graph).
    public static func all(
        _ milestones: [Milestone], _ evaluation: Evaluation, counted: [String: (done: Int, total: Int)]? = nil
    ) -> [MilestoneProgress] {
        var counts: [String: (tasks: Int, finished: Int)] = [:]
        for (m, c) in counted ?? [:] { counts[m] = (c.total, c.done) }
        for t in evaluation.tasks.values where counted == nil {
            guard let m = t.milestone else { continue }
            counts[m, default: (0, 0)].tasks += 1
            if evaluation.status[t.id]?.satisfiesDependents == true { counts[m, default: (0, 0)].finished += 1 }
        }
        var p = ProjectState(projectName: "")
        for m in milestones { p.milestones[m.id] = m }
        return p.orderedMilestones.map {
            MilestoneProgress(milestone: $0, tasks: counts[$0.id]?.tasks ?? 0, finished: counts[$0.id]?.finished ?? 0)
        }
    }
}

extension HeadView {
    /// `milestone list`: every milestone in ranking order, with its progress.
    public var milestoneProgress: [MilestoneProgress] { MilestoneProgress.all(state.milestones, evaluation) }

    /// `goal list`: the goals, oldest first.
    public var goalsOldestFirst: [Goal] { Goal.oldestFirst(state.goals) }
}

extension Goal {
    /// Oldest first, then by id.
    public static func oldestFirst(_ goals: [Goal]) -> [Goal] {
        goals.sorted { $0.created.at != $1.created.at ? $0.created.at < $1.created.at : $0.id < $1.id }
    }
}

/// Which journal records `log` shows.
public struct JournalFilter: Sendable, Equatable {
    /// Only operations that touched this task (id or unique prefix among the journaled tasks).
    public var task: String?
    /// Only operations that touched this memory (id or unique prefix among the journaled ones).
    public var memory: String?
    /// At most this many, newest first.
    public var limit: Int

    public init(task: String? = nil, memory: String? = nil, limit: Int = 20) {
        self.task = task
        self.memory = memory
        self.limit = limit
    }

    /// The records kept, newest first.
    public func select(_ records: [JournalRecord]) throws -> [JournalRecord] {
        var records = records
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
        return Array(records.suffix(limit).reversed())
    }
}

extension EntityChange {
    /// One line for `log`: `+ task t-…` (added), `- task t-…` (removed), or `~ task t-…: title,
    /// priority` (the top-level fields that changed, `updated` left out).
    public var summary: String {
        switch (before, after) {
        case (nil, .some): return "+ \(kind) \(id)"
        case (.some, nil): return "- \(kind) \(id)"
        default:
            let fields = changedFields
            return "~ \(kind) \(id)" + (fields.isEmpty ? "" : ": " + fields.joined(separator: ", "))
        }
    }

    /// The top-level fields whose values differ between before and after, `updated` left out.
    public var changedFields: [String] {
        guard case .object(let obj)? = try? JSONValue(encoding: self),
            case .object(let before)? = obj["before"], case .object(let after)? = obj["after"]
        else { return [] }
        return Set(before.keys).union(after.keys).sorted().filter { k in
            k != "updated" && (before[k] ?? .null) != (after[k] ?? .null)
        }
    }
}

extension TaskSummary {
    /// Why a stale task is stale, in words (`next --explain`).
    public func staleWhy(_ eval: Evaluation) -> String {
        let e = eval.elsewhere[id]
        let who = e?.actor ?? startedActor ?? "someone"
        let place = e.map { " in \($0.place)" } ?? ""
        if e == nil, let exp = claimExpires { return "started by \(who)\(place); the claim expired \(exp.iso8601)" }
        return "started by \(who)\(place); its claim expired or nothing happened to it for the stale time"
    }
}
