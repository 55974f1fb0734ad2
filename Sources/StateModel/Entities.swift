/// The lifecycle status stored for a task. What a task *is* at a given HEAD is its
/// ``EffectiveStatus``, which also takes the reachability of its completion commit into account.
public enum TaskStatus: String, Codable, CaseIterable, Sendable {
    case open
    case inProgress = "in_progress"
    case blocked
    case done
    case cancelled
}

/// Who did something, and when.
public struct Stamp: Codable, Hashable, Sendable {
    public var at: Timestamp
    public var actor: String
    public init(at: Timestamp, actor: String) {
        self.at = at
        self.actor = actor
    }
}

/// Where and by whom work on a task was started.
public struct StartRecord: Codable, Hashable, Sendable {
    public var at: Timestamp
    public var actor: String
    /// The branch checked out when work started; nil on a detached HEAD.
    public var branch: String?
    /// HEAD when work started; nil on an unborn branch.
    public var commit: String?
    public init(at: Timestamp, actor: String, branch: String?, commit: String?) {
        self.at = at
        self.actor = actor
        self.branch = branch
        self.commit = commit
    }
}

/// The commit that finished a task. The task counts as done at a HEAD only when `commit` is
/// reachable from that HEAD.
public struct Completion: Codable, Hashable, Sendable {
    /// The commit that finishes the task, when one was named (`complete --commit REV`). Absent
    /// for a completion recorded with the work still uncommitted (plain `complete`): the commit
    /// that first contains this record anchors it (see docs/state-format.md).
    public var commit: String?
    public var branch: String?
    public var at: Timestamp
    public var actor: String
    public var note: String?
    public init(commit: String?, branch: String?, at: Timestamp, actor: String, note: String?) {
        self.commit = commit
        self.branch = branch
        self.at = at
        self.actor = actor
        self.note = note
    }
}

/// An actor's claim on a task, valid until `expires`.
public struct Claim: Codable, Hashable, Sendable {
    public var actor: String
    public var expires: Timestamp
    public init(actor: String, expires: Timestamp) {
        self.actor = actor
        self.expires = expires
    }
}

/// An append-only note on a task.
public struct Note: Codable, Hashable, Sendable {
    public var at: Timestamp
    public var actor: String
    public var text: String
    public init(at: Timestamp, actor: String, text: String) {
        self.at = at
        self.actor = actor
        self.text = text
    }
}

public struct TaskRecord: Codable, Hashable, Sendable {
    public var id: String
    public var title: String
    public var body: String?
    public var status: TaskStatus
    /// 0 (most urgent) to 4.
    public var priority: Int
    public var parent: String?
    /// Tasks this one waits on; sorted, no duplicates.
    public var deps: [String]
    /// Sorted, no duplicates.
    public var labels: [String]
    public var milestone: String?
    public var acceptance: [String]
    public var notes: [Note]
    public var created: Stamp
    public var updated: Stamp
    public var started: StartRecord?
    public var completion: Completion?
    public var claim: Claim?
    /// Why the task is blocked, when its status is `blocked`.
    public var blocker: String?
    /// Fields a merge settled while both sides had changed them; nil when none (see Merge.swift).
    public var conflicts: [FieldConflict]?
    /// Where the task was imported from (`import beads|taskmaster|github`); nil for a task made
    /// here. Issue 23 will give assignee, type and due dates fields of their own; until then an
    /// import keeps them in ``TaskSource/fields``.
    public var source: TaskSource?
    /// Relations that hold nothing back (`related`, `discovered-from`, … from another tracker),
    /// sorted, no duplicates; nil (absent from the file) when there are none.
    public var links: [TaskLink]?

    public init(
        id: String, title: String, body: String? = nil, status: TaskStatus = .open, priority: Int = 2,
        parent: String? = nil, deps: [String] = [], labels: [String] = [], milestone: String? = nil,
        acceptance: [String] = [], notes: [Note] = [], created: Stamp, updated: Stamp? = nil,
        started: StartRecord? = nil, completion: Completion? = nil, claim: Claim? = nil,
        blocker: String? = nil
    ) {
        self.id = id
        self.title = title
        self.body = body
        self.status = status
        self.priority = priority
        self.parent = parent
        self.deps = deps
        self.labels = labels
        self.milestone = milestone
        self.acceptance = acceptance
        self.notes = notes
        self.created = created
        self.updated = updated ?? created
        self.started = started
        self.completion = completion
        self.claim = claim
        self.blocker = blocker
    }
}

public struct Milestone: Codable, Hashable, Sendable {
    public var id: String
    public var title: String
    /// Optional target date, `YYYY-MM-DD`; milestones are ordered by it (undated ones last).
    public var due: String?
    public var created: Stamp
    /// Unresolved merge conflict records; nil when none.
    public var conflicts: [FieldConflict]?
    public init(id: String, title: String, due: String?, created: Stamp) {
        self.id = id
        self.title = title
        self.due = due
        self.created = created
    }
}

public struct Goal: Codable, Hashable, Sendable {
    public var id: String
    public var text: String
    public var created: Stamp
    /// Unresolved merge conflict records; nil when none.
    public var conflicts: [FieldConflict]?
    public init(id: String, text: String, created: Stamp) {
        self.id = id
        self.text = text
        self.created = created
    }
}

public struct ProjectInfo: Codable, Hashable, Sendable {
    public var name: String
    /// Unresolved merge conflict records; nil when none.
    public var conflicts: [FieldConflict]?
    public init(name: String) { self.name = name }
}

/// The whole of `.codex-state/project_state.json`.
///
/// Entities are kept in dictionaries keyed by id: the canonical encoding sorts keys, so the file
/// lists every entity in id order and two branches that add different tasks touch different
/// lines. Nothing per-clone (HEAD, the current branch) is stored here.
public struct ProjectState: Codable, Hashable, Sendable {
    /// The schema version this build reads and writes.
    public static let currentSchema = 1

    public var schema: Int
    public var project: ProjectInfo
    public var goals: [String: Goal]
    public var milestones: [String: Milestone]
    public var tasks: [String: TaskRecord]
    /// Project memory (decisions, constraints, notes); nil (absent from the file) when there is
    /// none, so a state without memories encodes as before. See Memory.swift.
    public var memories: [String: Memory]?

    public init(projectName: String) {
        schema = Self.currentSchema
        project = ProjectInfo(name: projectName)
        goals = [:]
        milestones = [:]
        tasks = [:]
    }

    /// Milestones in their ranking order: by due date (undated last), then creation, then id.
    public var orderedMilestones: [Milestone] {
        milestones.values.sorted { a, b in
            switch (a.due, b.due) {
            case (let x?, let y?) where x != y: return x < y
            case (.some, nil): return true
            case (nil, .some): return false
            default: break
            }
            if a.created.at != b.created.at { return a.created.at < b.created.at }
            return a.id < b.id
        }
    }
}
