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
    /// For such a task: the first copy that has it (`feature`, `worktree wt`).
    public var onlyIn: String?

    /// - Parameter anchor: what anchors the task's completion (``Workspace/listAnchors(_:_:)``);
    ///   without it, only a completion naming its commit is shown.
    public init(_ row: EvaluatedTask, anchor: CompletionAnchor? = nil) {
        let t = row.task
        id = t.id
        title = t.title
        status = t.status.rawValue
        effectiveStatus = row.status.rawValue
        elsewhere = row.elsewhere.map(ElsewhereJSON.init)
        disagreement = row.disagreement
        onlyElsewhere = !row.isHere
        onlyIn = row.onlyIn
        ready = row.ready
        priority = t.priority
        parent = t.parent
        deps = t.deps
        waitingOn = row.waitsOn.sorted()
        labels = t.labels
        milestone = t.milestone
        startedBy = row.startedBy
        startedBranch = t.startedBranch
        completion = (anchor ?? t.completionCommit.map(CompletionAnchor.recorded)).map {
            CompletionJSON($0, branch: t.completionBranch)
        }
        recovered = row.recovered.map { AnchorJSON(method: $0.method.rawValue, commit: $0.commit) }
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
            "only_elsewhere": .bool(onlyElsewhere), "only_in": .optional(onlyIn),
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

public struct TasksJSON: Encodable {
    public var head: HeadJSON
    public var tasks: [TaskListJSON]

    public init(head: HeadJSON, tasks: [TaskListJSON]) {
        self.head = head
        self.tasks = tasks
    }

    /// `tasks --json` and the MCP `tasks` tool: the rows a filter keeps, done tasks with what
    /// anchors their completions (``Workspace/listAnchors(_:_:)``).
    public init(head: HeadInfo, rows: [EvaluatedTask], anchors: [String: CompletionAnchor] = [:]) {
        self.init(head: HeadJSON(head), tasks: rows.map { TaskListJSON($0, anchor: anchors[$0.id]) })
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

    /// `next --json` and the MCP `next` tool: the best candidates of the read model.
    public init(_ model: ReadModel, _ top: [(row: EvaluatedTask, terms: RankTerms)], claimed: String?) {
        let titles = model.milestoneTitles
        self.init(
            head: HeadJSON(model.head), claimed: claimed, empty: top.isEmpty ? model.nothingReady : nil,
            candidates: top.enumerated().map { i, c in
                Candidate(
                    rank: i + 1, task: TaskListJSON(c.row), terms: TermsJSON(c.terms),
                    reason: Ranking.reason(c.terms, milestoneTitles: titles))
            })
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
    /// A completion found on HEAD under another commit (as in `tasks --json`).
    public var recovered: AnchorJSON?
    /// For a task only other copies have: the first copy that has it.
    public var onlyIn: String?

    public struct AnchorShowJSON: JSONShape {
        public var commit: String?
        public var how: String
        public func json() -> JSONValue { .object(["commit": .optional(commit), "how": .string(how)]) }
    }

    public init(_ d: TaskDetail) {
        task = d.record
        effectiveStatus = d.row.status.rawValue
        ready = d.row.ready
        children = d.children
        dependents = d.dependents
        waitingOn = d.row.waitsOn.sorted()
        head = HeadJSON(d.head)
        conflicts = d.record.conflicts ?? []
        elsewhere = d.row.elsewhere.map(ElsewhereJSON.init)
        disagreement = d.row.disagreement
        recovered = d.row.recovered.map { AnchorJSON(method: $0.method.rawValue, commit: $0.commit) }
        onlyIn = d.row.onlyIn
        anchor = d.anchor.map { a in
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
            "recovered": try JSONValue(encoding: recovered), "only_in": .optional(onlyIn),
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
