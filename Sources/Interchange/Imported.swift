import StateModel

/// The trackers `import` and `export` speak.
public enum InterchangeFormat: String, Sendable, CaseIterable {
    /// beads (`bd`): one issue per line of JSONL (`.beads/issues.jsonl`, `bd export`).
    case beads
    /// Task Master's `tasks.json`, plain (`{"tasks": [...]}`) or tagged (`{"master": {"tasks": [...]}}`).
    case taskmaster
    /// GitHub issues as `gh issue list --json …` or the REST API's issue listing print them.
    case github
    /// A Codex memories folder (`memory_summary.md`, `MEMORY.md`, `rollout_summaries/`): notes.
    case codexMemories = "codex-memories"
    /// This tool's own tasks, milestones and goals as JSON (export only).
    case json
}

/// One task as a tracker's record gives it, before it is matched against the state. References
/// to other records (parent, dependencies, links) are source ids (`beads:bd-12`).
public struct ImportedTask: Sendable, Equatable {
    /// `<format>:<the tracker's id>`, the key a later import finds the task by.
    public var source: String
    /// Where the record was read (`issues.jsonl:17`), for messages.
    public var origin: String
    /// SHA-256 of the record as read: an unchanged record is skipped on the next import.
    public var digest: String
    public var title: String
    public var body: String?
    public var status: TaskStatus
    /// Why it is blocked, for `blocked`.
    public var blocker: String?
    public var priority: Int
    public var labels: [String]
    public var acceptance: [String]
    public var notes: [Note]
    /// When and by whom the record was made, as far as the record says (the import's own time
    /// and actor fill in the rest).
    public var created: ForeignStamp
    /// When and by whom work started (`in_progress`), as far as the record says.
    public var started: ForeignStamp
    /// When and by whom it was finished (`done`), as far as the record says, and why.
    public var completed: ForeignStamp
    public var completionNote: String?
    /// Whether the format has parents and dependencies: a format without them (GitHub) leaves a
    /// task's own untouched.
    public var hasGraph: Bool
    public var parent: String?
    public var deps: [String]
    public var links: [ImportedLink]
    /// Whether the format has milestones (GitHub): one without leaves a task's own untouched.
    public var hasMilestone: Bool
    public var milestone: ImportedMilestone?
    /// What of the record the model has no field for (``TaskSource/fields``).
    public var fields: [String: JSONValue]

    public init(
        source: String, origin: String, digest: String, title: String, body: String? = nil,
        status: TaskStatus = .open, blocker: String? = nil, priority: Int = 2, labels: [String] = [],
        acceptance: [String] = [], notes: [Note] = [], created: ForeignStamp = ForeignStamp(),
        started: ForeignStamp = ForeignStamp(), completed: ForeignStamp = ForeignStamp(), completionNote: String? = nil,
        hasGraph: Bool = true, parent: String? = nil,
        deps: [String] = [], links: [ImportedLink] = [], hasMilestone: Bool = false,
        milestone: ImportedMilestone? = nil, fields: [String: JSONValue] = [:]
    ) {
        self.source = source
        self.origin = origin
        self.digest = digest
        self.title = title
        self.body = body
        self.status = status
        self.blocker = blocker
        self.priority = priority
        self.labels = labels
        self.acceptance = acceptance
        self.notes = notes
        self.created = created
        self.started = started
        self.completed = completed
        self.completionNote = completionNote
        self.hasGraph = hasGraph
        self.parent = parent
        self.deps = deps
        self.links = links
        self.hasMilestone = hasMilestone
        self.milestone = milestone
        self.fields = fields
    }
}

/// A time and a person as a record gives them: either may be missing (the import's own time and
/// actor are used then), so importing an export gives back the same stamps.
public struct ForeignStamp: Sendable, Equatable {
    public var at: Timestamp?
    public var actor: String?

    public init(at: Timestamp? = nil, actor: String? = nil) {
        self.at = at
        self.actor = actor.flatMap { $0.isEmpty ? nil : $0 }
    }

    func stamp(_ ctx: MutationContext) -> Stamp { Stamp(at: at ?? ctx.now, actor: actor ?? ctx.actor) }
}

/// A link as the record names it: to another record (a source id), or to something outside the
/// tracker, kept as written.
public struct ImportedLink: Sendable, Hashable {
    public var kind: String
    public var target: String
    /// The target is not a record of the tracker (`external:proj:cap`): kept as text.
    public var external: Bool

    public init(kind: String, target: String, external: Bool = false) {
        self.kind = kind
        self.target = target
        self.external = external
    }
}

public struct ImportedMilestone: Sendable, Hashable {
    public var title: String
    /// `YYYY-MM-DD`.
    public var due: String?

    public init(title: String, due: String?) {
        self.title = title
        self.due = due
    }
}

/// One memory from a Codex memories folder.
public struct ImportedMemory: Sendable, Equatable {
    /// `codex-memories:MEMORY.md#<block>`.
    public var source: String
    public var origin: String
    public var kind: MemoryKind
    public var text: String

    public init(source: String, origin: String, kind: MemoryKind = .note, text: String) {
        self.source = source
        self.origin = origin
        self.kind = kind
        self.text = text
    }
}

/// A record left out, and why (an ephemeral beads record, a pull request in a GitHub listing).
public struct SkippedRecord: Sendable, Equatable {
    public var origin: String
    public var source: String?
    public var reason: String

    public init(origin: String, source: String?, reason: String) {
        self.origin = origin
        self.source = source
        self.reason = reason
    }
}

/// Everything one input file holds, read and checked by its format's reader.
public struct ImportBatch: Sendable {
    public var format: InterchangeFormat
    public var tasks: [ImportedTask] = []
    public var memories: [ImportedMemory] = []
    public var skipped: [SkippedRecord] = []
    /// Things worth saying that do not stop the import (unknown fields kept, links dropped).
    public var warnings: [String] = []

    public init(format: InterchangeFormat) { self.format = format }
}

/// Input that cannot be imported: every problem found, one line each, naming the record. Nothing
/// is written.
public struct ImportError: Error, Sendable, CustomStringConvertible {
    public var problems: [String]
    /// How many problems there were in all (only the first ``limit`` are kept).
    public var total: Int

    public static let limit = 20

    public init(_ problems: [String]) {
        self.problems = Array(problems.prefix(Self.limit))
        total = problems.count
    }

    public var description: String {
        var text = problems.joined(separator: "\n")
        if total > problems.count { text += "\n… and \(total - problems.count) more problem(s)" }
        return text + "\nnothing was imported"
    }
}

/// What happened to each record.
public struct ImportItem: Sendable, Equatable {
    public enum Outcome: String, Sendable {
        case added, updated, skipped, refused
    }
    public var origin: String
    public var source: String?
    public var outcome: Outcome
    /// The task or memory id, for records taken in (or found).
    public var id: String?
    public var detail: String?

    public init(origin: String, source: String?, outcome: Outcome, id: String?, detail: String?) {
        self.origin = origin
        self.source = source
        self.outcome = outcome
        self.id = id
        self.detail = detail
    }
}

public struct ImportResult: Sendable {
    public var format: InterchangeFormat
    public var items: [ImportItem] = []
    public var milestonesAdded: [String] = []
    public var warnings: [String] = []

    public init(format: InterchangeFormat) { self.format = format }

    public func count(_ o: ImportItem.Outcome) -> Int { items.filter { $0.outcome == o }.count }
}
