import StateModel

// The JSON shapes the CLI's --json and the MCP tools print (documented in docs/cli.md). They
// live here so both front ends print the same bytes.

public struct HeadJSON: Encodable {
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

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: K.self)
        try c.encode(branch, forKey: .branch)
        try c.encode(commit, forKey: .commit)
        try c.encode(subject, forKey: .subject)
        try c.encode(detached, forKey: .detached)
        try c.encode(unborn, forKey: .unborn)
    }
    enum K: String, CodingKey { case branch, commit, subject, detached, unborn }
}

/// The anchor of a completion, as list shapes show it (`task show` has the whole record).
public struct CompletionJSON: Encodable {
    public var commit: String
    public var branch: String?

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(commit, forKey: .commit)
        try c.encode(branch, forKey: .branch)
    }
    enum CodingKeys: String, CodingKey { case commit, branch }
}

/// A completion recognised on HEAD under another commit (see `codex-state reanchor`).
public struct AnchorJSON: Encodable {
    public var method: String
    public var commit: String
}

/// One task as listed by `tasks` and `next`.
public struct TaskListJSON: Encodable {
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

    public init(_ t: TaskSummary, _ eval: Evaluation) {
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
        completion = t.completionCommit.map { CompletionJSON(commit: $0, branch: t.completionBranch) }
        recovered = eval.recovered[t.id].map { AnchorJSON(method: $0.method.rawValue, commit: $0.commit) }
        conflicts = t.conflictCount
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: K.self)
        try c.encode(id, forKey: .id)
        try c.encode(title, forKey: .title)
        try c.encode(status, forKey: .status)
        try c.encode(effectiveStatus, forKey: .effectiveStatus)
        try c.encode(ready, forKey: .ready)
        try c.encode(priority, forKey: .priority)
        try c.encode(parent, forKey: .parent)
        try c.encode(deps, forKey: .deps)
        try c.encode(waitingOn, forKey: .waitingOn)
        try c.encode(labels, forKey: .labels)
        try c.encode(milestone, forKey: .milestone)
        try c.encode(startedBy, forKey: .startedBy)
        try c.encode(startedBranch, forKey: .startedBranch)
        try c.encode(completion, forKey: .completion)
        try c.encode(recovered, forKey: .recovered)
        try c.encode(conflicts, forKey: .conflicts)
        try c.encode(elsewhere, forKey: .elsewhere)
        try c.encode(disagreement, forKey: .disagreement)
        try c.encode(onlyElsewhere, forKey: .onlyElsewhere)
    }

    enum K: String, CodingKey {
        case id, title, status, ready, priority, parent, deps, labels, milestone, completion, conflicts, recovered
        case elsewhere, disagreement
        case onlyElsewhere = "only_elsewhere"
        case effectiveStatus = "effective_status"
        case waitingOn = "waiting_on"
        case startedBy = "started_by"
        case startedBranch = "started_branch"
    }
}

/// Where a task is done or in progress, when not here.
public struct ElsewhereJSON: Encodable {
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

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: K.self)
        try c.encode(kind, forKey: .kind)
        try c.encode(place, forKey: .place)
        try c.encode(branch, forKey: .branch)
        try c.encode(worktree, forKey: .worktree)
        try c.encode(copy, forKey: .copy)
        try c.encode(actor, forKey: .actor)
        try c.encode(commit, forKey: .commit)
    }
    enum K: String, CodingKey { case kind, place, branch, worktree, copy, actor, commit }
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

public struct TermsJSON: Encodable {
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

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(resume, forKey: .resume)
        try c.encode(stale, forKey: .stale)
        try c.encode(priority, forKey: .priority)
        try c.encode(unblocks, forKey: .unblocks)
        try c.encode(milestone, forKey: .milestone)
        try c.encode(milestoneRank, forKey: .milestoneRank)
        try c.encode(created, forKey: .created)
        try c.encode(id, forKey: .id)
    }

    enum CodingKeys: String, CodingKey {
        case resume, stale, priority, unblocks, milestone, created, id
        case milestoneRank = "milestone_rank"
    }
}

public struct NextJSON: Encodable {
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

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(head, forKey: .head)
        try c.encode(claimed, forKey: .claimed)
        try c.encode(candidates, forKey: .candidates)
        try c.encode(empty, forKey: .empty)
    }
    enum CodingKeys: String, CodingKey { case head, claimed, candidates, empty }
}

/// `complete --json` and the MCP `complete` tool: the StatusChange shape plus the tasks this
/// completion made ready.
public struct CompleteJSON: Encodable {
    public var change: StatusChangeJSON
    public var unblocked: [UnblockedJSON]

    public init(_ r: Workspace.CompletionResult) {
        change = StatusChangeJSON(id: r.id, status: "done", branch: r.branch, commit: r.commit)
        unblocked = r.unblocked.map { UnblockedJSON(id: $0.id, title: $0.title) }
    }

    public func encode(to encoder: Encoder) throws {
        try change.encode(to: encoder)
        var c = encoder.container(keyedBy: K.self)
        try c.encode(unblocked, forKey: .unblocked)
    }
    enum K: String, CodingKey { case unblocked }
}

public struct UnblockedJSON: Encodable {
    public var id: String
    public var title: String
}

public struct StatusChangeJSON: Encodable {
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

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(status, forKey: .status)
        try c.encode(branch, forKey: .branch)
        try c.encode(commit, forKey: .commit)
    }
    enum CodingKeys: String, CodingKey { case id, status, branch, commit }
}

/// `task show --json`.
public struct TaskShowJSON: Encodable {
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

    public struct AnchorShowJSON: Encodable {
        public var commit: String?
        public var how: String
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(commit, forKey: .commit)
            try c.encode(how, forKey: .how)
        }
        enum CodingKeys: String, CodingKey { case commit, how }
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

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(task, forKey: .task)
        try c.encode(effectiveStatus, forKey: .effectiveStatus)
        try c.encode(ready, forKey: .ready)
        try c.encode(children, forKey: .children)
        try c.encode(dependents, forKey: .dependents)
        try c.encode(waitingOn, forKey: .waitingOn)
        try c.encode(head, forKey: .head)
        try c.encode(conflicts, forKey: .conflicts)
        try c.encode(anchor, forKey: .anchor)
        try c.encode(elsewhere, forKey: .elsewhere)
        try c.encode(disagreement, forKey: .disagreement)
    }

    enum CodingKeys: String, CodingKey {
        case task, ready, children, dependents, head, conflicts, anchor, elsewhere, disagreement
        case effectiveStatus = "effective_status"
        case waitingOn = "waiting_on"
    }
}

/// One milestone in `milestone list --json`.
public struct MilestoneJSON: Encodable {
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

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(title, forKey: .title)
        try c.encode(due, forKey: .due)
        try c.encode(tasks, forKey: .tasks)
        try c.encode(finished, forKey: .finished)
    }
    enum CodingKeys: String, CodingKey { case id, title, due, tasks, finished }
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
