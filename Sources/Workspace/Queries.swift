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

    /// Whether `row` is listed (its status was narrowed by the index already; `milestones` are
    /// the milestone ids the filter resolved to). `record` gives a task's full record (for
    /// `search`, which reads body and notes).
    func keeps(_ row: EvaluatedTask, milestones: Set<String>, record: (EvaluatedTask) throws -> TaskRecord) throws
        -> Bool
    {
        let t = row.task
        if !label.allSatisfy(t.labels.contains) { return false }
        if !milestones.isEmpty, !(t.milestone.map(milestones.contains) ?? false) { return false }
        if !by.isEmpty, !by.contains(where: row.isBy) { return false }
        if !search.isEmpty {
            let needles = search.map { $0.lowercased() }
            let r = try record(row)
            let text = ([r.title, r.body ?? ""] + r.notes.map(\.text)).joined(separator: "\n").lowercased()
            if !needles.allSatisfy(text.contains) { return false }
        }
        return true
    }
}

extension Evaluation {
    /// Why there is no candidate, counted from how many tasks have each effective status:
    /// `next`'s text and `--json`, and a refused claim.
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

    /// Every milestone in ranking order (due date, undated last, then creation and id), with
    /// `counted` (finished, all) by milestone.
    public static func all(_ milestones: [Milestone], counted: [String: (done: Int, total: Int)])
        -> [MilestoneProgress]
    {
        var p = ProjectState(projectName: "")
        for m in milestones { p.milestones[m.id] = m }
        return p.orderedMilestones.map {
            MilestoneProgress(milestone: $0, tasks: counted[$0.id]?.total ?? 0, finished: counted[$0.id]?.done ?? 0)
        }
    }
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

extension EvaluatedTask {
    /// Why a stale task is stale, in words (`next --explain`).
    public var staleWhy: String {
        let who = elsewhere?.actor ?? task.startedActor ?? "someone"
        let place = elsewhere.map { " in \($0.place)" } ?? ""
        if elsewhere == nil, let exp = task.claimExpires {
            return "started by \(who)\(place); the claim expired \(exp.iso8601)"
        }
        return "started by \(who)\(place); its claim expired or nothing happened to it for the stale time"
    }
}
