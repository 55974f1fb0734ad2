import StateModel

/// A `--json` / MCP result shape, built as one ``JSONValue``: the documented keys, explicit
/// nulls, no coding keys. It encodes as that value, so the one writer writes it.
public protocol JSONShape: Encodable {
    func json() throws -> JSONValue
}

extension JSONShape {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(try json())
    }
}

// The JSON shapes the CLI's --json and the MCP tools print (documented in docs/cli.md). They
// live here so both front ends print the same bytes.

public struct HeadJSON: JSONShape {
    public var branch: String?
    public var commit: String?
    public var subject: String?
    public var detached: Bool
    public var unborn: Bool

    public init(_ h: HeadInfo) {
        branch = h.branch
        commit = h.commit
        subject = h.subject
        detached = h.detached
        unborn = h.unborn
    }

    public func json() -> JSONValue {
        .object([
            "branch": .optional(branch), "commit": .optional(commit), "subject": .optional(subject),
            "detached": .bool(detached), "unborn": .bool(unborn),
        ])
    }
}

/// The anchor of a completion, as list shapes show it (`task show` has the whole record): the
/// commit that anchors it and how (``CompletionAnchor``), and the branch it was recorded on.
public struct CompletionJSON: JSONShape {
    /// Nil while the record is only in this working tree (`how` is `uncommitted`).
    public var commit: String?
    public var branch: String?
    /// `recorded` (the completion names the commit), `introduced` (the commit with the work, found
    /// from the commit that added the record), `uncommitted`.
    public var how: String

    public init(_ anchor: CompletionAnchor, branch: String?) {
        commit = anchor.commit
        self.branch = branch
        how = anchor.how
    }

    public func json() -> JSONValue {
        .object(["commit": .optional(commit), "branch": .optional(branch), "how": .string(how)])
    }
}

/// A completion recognised on HEAD under another commit (see `codex-state reanchor`).
public struct AnchorJSON: Encodable {
    public var method: String
    public var commit: String
}

/// One task as listed by `tasks` and `next`.
public struct TaskListJSON: JSONShape {
    public var id: String
    public var title: String
    public var status: String
    public var effectiveStatus: String
    public var ready: Bool
    public var priority: Int
    public var parent: String?
    public var deps: [String]
    public var waitingOn: [String]
    public var labels: [String]
    public var milestone: String?
    public var startedBy: String?
    public var startedBranch: String?
    public var completion: CompletionJSON?
    public var recovered: AnchorJSON?
    /// Unresolved merge conflict records on the task.
    public var conflicts: Int
    /// Where the task is done or in progress when not here (another branch, worktree, clone).
    public var elsewhere: ElsewhereJSON?
    /// Copies that disagree about the task, and which fact wins.
    public var disagreement: String?
    /// The task exists only in other copies (`tasks --everywhere`).
    public var onlyElsewhere: Bool

    /// - Parameter anchor: what anchors the task's completion (``Workspace/listAnchors(_:_:head:)``);
    ///   without it, only a completion naming its commit is shown.
    public init(_ t: TaskSummary, _ eval: Evaluation, anchor: CompletionAnchor? = nil) {
        id = t.id
        title = t.title
        status = t.status.rawValue
        effectiveStatus = eval.effective(t.id).rawValue
        elsewhere = eval.elsewhere[t.id].map(ElsewhereJSON.init)
        disagreement = eval.disagreements[t.id]?.message
        onlyElsewhere = eval.tasks[t.id] == nil
        ready = eval.ready.contains(t.id)
        priority = t.priority
        parent = t.parent
        deps = t.deps
        let w = eval.waitingOn(t.id)
        waitingOn = (w.deps + w.children).sorted()
        labels = t.labels
        milestone = t.milestone
        startedBy = t.startedActor
        startedBranch = t.startedBranch
        completion = (anchor ?? t.completionCommit.map(CompletionAnchor.recorded)).map {
            CompletionJSON($0, branch: t.completionBranch)
        }
        recovered = eval.recovered[t.id].map { AnchorJSON(method: $0.method.rawValue, commit: $0.commit) }
        conflicts = t.conflictCount
    }

    public func json() throws -> JSONValue {
        .object([
            "id": .string(id), "title": .string(title), "status": .string(status),
            "effective_status": .string(effectiveStatus), "ready": .bool(ready), "priority": .integer(priority),
            "parent": .optional(parent), "deps": .strings(deps), "waiting_on": .strings(waitingOn),
            "labels": .strings(labels), "milestone": .optional(milestone), "started_by": .optional(startedBy),
            "started_branch": .optional(startedBranch), "completion": completion?.json() ?? .null,
            "recovered": try JSONValue(encoding: recovered), "conflicts": .integer(conflicts),
            "elsewhere": elsewhere?.json() ?? .null, "disagreement": .optional(disagreement),
            "only_elsewhere": .bool(onlyElsewhere),
        ])
    }
}

/// Where a task is done or in progress, when not here.
public struct ElsewhereJSON: JSONShape {
    public var kind: String
    public var place: String
    public var branch: String?
    public var worktree: String?
    public var copy: String
    public var actor: String?
    public var commit: String?

    public init(_ e: Elsewhere) {
        kind = e.kind.rawValue
        place = e.place
        branch = e.branch
        worktree = e.worktree
        copy = e.copy
        actor = e.actor
        commit = e.commit
    }

    public func json() -> JSONValue {
        .object([
            "kind": .string(kind), "place": .string(place), "branch": .optional(branch),
            "worktree": .optional(worktree), "copy": .string(copy), "actor": .optional(actor),
            "commit": .optional(commit),
        ])
    }
}

/// How a task's status reads in text output: `ready`, `done@feature`, `in_progress@worktree wt2`,
/// `stale@feature`.
public func statusText(_ t: TaskSummary, _ eval: Evaluation) -> String {
    let s = eval.effective(t.id)
    let place = eval.elsewhere[t.id].map { "@" + $0.place } ?? ""
    switch s {
    case .open: return eval.ready.contains(t.id) ? "ready" : "waiting"
    case .doneElsewhere: return "done" + (place.isEmpty ? "@" + (t.completionBranch ?? "elsewhere") : place)
    case .doneUnknown: return "done?"
    case .inProgress, .stale: return s.rawValue + place
    default: return s.rawValue
    }
}

public struct TasksJSON: Encodable {
    public var head: HeadJSON
    public var tasks: [TaskListJSON]

    public init(head: HeadJSON, tasks: [TaskListJSON]) {
        self.head = head
        self.tasks = tasks
    }
}

public struct TermsJSON: JSONShape {
    public var resume: Bool
    public var stale: Bool
    public var priority: Int
    public var unblocks: Int
    public var milestone: String?
    public var milestoneRank: Int?
    public var created: String
    public var id: String

    public init(_ t: RankTerms) {
        resume = t.resume
        stale = t.stale
        priority = t.priority
        unblocks = t.unblocks
        milestone = t.milestone
        milestoneRank = t.milestoneRank
        created = t.created.iso8601
        id = t.id
    }

    public func json() -> JSONValue {
        .object([
            "resume": .bool(resume), "stale": .bool(stale), "priority": .integer(priority),
            "unblocks": .integer(unblocks), "milestone": .optional(milestone),
            "milestone_rank": milestoneRank.map(JSONValue.integer) ?? .null, "created": .string(created),
            "id": .string(id),
        ])
    }
}

public struct NextJSON: JSONShape {
    public var head: HeadJSON
    public var claimed: String?
    /// Why there is no candidate (null when there are some), as the text says it.
    public var empty: Empty?
    public var candidates: [Candidate]

    public init(head: HeadJSON, claimed: String?, empty: Empty? = nil, candidates: [Candidate]) {
        self.head = head
        self.claimed = claimed
        self.empty = empty
        self.candidates = candidates
    }

    public struct Empty: Encodable, Sendable {
        /// `nothing_open`, `all_in_progress`, `all_waiting`, `all_blocked`, `waiting_or_blocked`.
        public var reason: String
        public var waiting: Int
        public var blocked: Int
        public var inProgress: Int
        enum CodingKeys: String, CodingKey {
            case reason, waiting, blocked
            case inProgress = "in_progress"
        }
    }

    public struct Candidate: Encodable {
        public var rank: Int
        public var task: TaskListJSON
        public var terms: TermsJSON
        public var reason: String

        public init(rank: Int, task: TaskListJSON, terms: TermsJSON, reason: String) {
            self.rank = rank
            self.task = task
            self.terms = terms
            self.reason = reason
        }
    }

    public func json() throws -> JSONValue {
        .object([
            "head": head.json(), "claimed": .optional(claimed), "candidates": try JSONValue(encoding: candidates),
            "empty": try JSONValue(encoding: empty),
        ])
    }
}

/// `complete --json` and the MCP `complete` tool: the StatusChange shape plus the tasks this
/// completion made ready.
public struct CompleteJSON: JSONShape {
    public var change: StatusChangeJSON
    public var unblocked: [UnblockedJSON]

    public init(_ r: Workspace.CompletionResult) {
        change = StatusChangeJSON(id: r.id, status: "done", branch: r.branch, commit: r.commit)
        unblocked = r.unblocked.map { UnblockedJSON(id: $0.id, title: $0.title) }
    }

    public func json() throws -> JSONValue {
        var fields: [String: JSONValue] = [:]
        if case .object(let o) = change.json() { fields = o }
        fields["unblocked"] = try JSONValue(encoding: unblocked)
        return .object(fields)
    }
}

public struct UnblockedJSON: Encodable {
    public var id: String
    public var title: String
}

public struct StatusChangeJSON: JSONShape {
    public var id: String
    public var status: String
    public var branch: String?
    public var commit: String?

    public init(id: String, status: String, branch: String?, commit: String?) {
        self.id = id
        self.status = status
        self.branch = branch
        self.commit = commit
    }

    public func json() -> JSONValue {
        .object([
            "id": .string(id), "status": .string(status), "branch": .optional(branch), "commit": .optional(commit),
        ])
    }
}

/// `task show --json`.
public struct TaskShowJSON: JSONShape {
    public var task: TaskRecord
    public var effectiveStatus: String
    public var ready: Bool
    public var children: [String]
    public var dependents: [String]
    public var waitingOn: [String]
    public var head: HeadJSON
    /// Unresolved merge conflict records (also in `task.conflicts` when there are any).
    public var conflicts: [FieldConflict]
    /// What anchors the completion: `{"commit", "how": "recorded" | "introduced" | "uncommitted"}`.
    public var anchor: AnchorShowJSON?
    /// Where the task is done or in progress when not here (as in `tasks --json`).
    public var elsewhere: ElsewhereJSON?
    /// Copies that disagree about the task, and which fact wins.
    public var disagreement: String?

    public struct AnchorShowJSON: JSONShape {
        public var commit: String?
        public var how: String
        public func json() -> JSONValue { .object(["commit": .optional(commit), "how": .string(how)]) }
    }

    public init(_ t: TaskRecord, _ eval: Evaluation, head: HeadInfo, anchor: CompletionAnchor? = nil) {
        task = t
        effectiveStatus = eval.effective(t.id).rawValue
        ready = eval.ready.contains(t.id)
        children = eval.children[t.id] ?? []
        dependents = eval.dependents[t.id] ?? []
        let w = eval.waitingOn(t.id)
        waitingOn = (w.deps + w.children).sorted()
        self.head = HeadJSON(head)
        conflicts = t.conflicts ?? []
        elsewhere = eval.elsewhere[t.id].map(ElsewhereJSON.init)
        disagreement = eval.disagreements[t.id]?.message
        self.anchor = anchor.map { a in
            switch a {
            case .recorded(let c): return AnchorShowJSON(commit: c, how: "recorded")
            case .introduced(let c): return AnchorShowJSON(commit: c, how: "introduced")
            case .uncommitted: return AnchorShowJSON(commit: nil, how: "uncommitted")
            }
        }
    }

    public func json() throws -> JSONValue {
        .object([
            "task": try JSONValue(encoding: task), "effective_status": .string(effectiveStatus), "ready": .bool(ready),
            "children": .strings(children), "dependents": .strings(dependents), "waiting_on": .strings(waitingOn),
            "head": head.json(), "conflicts": try JSONValue(encoding: conflicts), "anchor": anchor?.json() ?? .null,
            "elsewhere": elsewhere?.json() ?? .null, "disagreement": .optional(disagreement),
        ])
    }
}

/// One milestone in `milestone list --json`.
public struct MilestoneJSON: JSONShape {
    public var id: String
    public var title: String
    public var due: String?
    public var tasks: Int
    public var finished: Int

    public init(_ p: MilestoneProgress) {
        id = p.milestone.id
        title = p.milestone.title
        due = p.milestone.due
        tasks = p.tasks
        finished = p.finished
    }

    public func json() -> JSONValue {
        .object([
            "id": .string(id), "title": .string(title), "due": .optional(due), "tasks": .integer(tasks),
            "finished": .integer(finished),
        ])
    }
}

/// One goal in `goal list --json`.
public struct GoalJSON: Encodable {
    public var id: String
    public var text: String
    public var created: String

    public init(_ g: Goal) {
        id = g.id
        text = g.text
        created = g.created.at.iso8601
    }
}
