import StateModel
import StateStore

/// The JSON shapes of the memory commands and tools (docs/cli.md#remember), shared by the CLI
/// and the MCP server.

public struct MemoryJSON: Encodable {
    var item: MemoryItem
    public init(_ item: MemoryItem) { self.item = item }

    enum K: String, CodingKey {
        case id, kind, text, why, tasks, paths, commits, supersedes, hash, created, forgotten, status, conflicts
        case isPrivate = "private"
        case supersededBy = "superseded_by"
    }

    public func encode(to encoder: Encoder) throws {
        let m = item.memory
        var c = encoder.container(keyedBy: K.self)
        try c.encode(m.id, forKey: .id)
        try c.encode(m.kind.rawValue, forKey: .kind)
        try c.encode(m.text, forKey: .text)
        try c.encode(m.why, forKey: .why)
        try c.encode(m.tasks, forKey: .tasks)
        try c.encode(m.paths, forKey: .paths)
        try c.encode(m.commits ?? [], forKey: .commits)
        try c.encode(m.supersedes, forKey: .supersedes)
        try c.encode(item.supersededBy, forKey: .supersededBy)
        try c.encode(m.hash, forKey: .hash)
        try c.encode(m.created, forKey: .created)
        try c.encode(m.forgotten, forKey: .forgotten)
        try c.encode(item.status.rawValue, forKey: .status)
        try c.encode(item.isPrivate, forKey: .isPrivate)
        try c.encode(m.conflicts?.count ?? 0, forKey: .conflicts)
    }
}

public struct RememberJSON: Encodable {
    var memory: MemoryJSON
    var redactions: [Redaction.RuleHit]

    public init(_ item: MemoryItem, redactions: [Redaction.RuleHit]) {
        memory = MemoryJSON(item)
        self.redactions = redactions
    }
}

struct RecallResultJSON: Encodable {
    var memory: MemoryJSON
    var score: Double
    var matched: [String]
    var pass: String

    init(_ h: RecallHit) {
        memory = MemoryJSON(h.item)
        score = (h.score * 10_000).rounded() / 10_000
        matched = h.matched
        pass = h.pass
    }
}

public struct RecallJSON: Encodable {
    var query: String
    var results: [RecallResultJSON]

    public init(query: String, hits: [RecallHit]) {
        self.query = query
        results = hits.map(RecallResultJSON.init)
    }
}

/// `memories --json`.
public struct MemoriesJSON: Encodable {
    var memories: [MemoryJSON]
    public init(_ items: [MemoryItem]) { memories = items.map(MemoryJSON.init) }
}

/// `forget --json`.
public struct ForgetJSON: Encodable {
    var memory: MemoryJSON
    var note: String

    public init(_ item: MemoryItem) {
        memory = MemoryJSON(item)
        note = Self.note(item)
    }

    /// What forgetting did not undo: for a committed memory, git history still holds it.
    public static func note(_ item: MemoryItem) -> String {
        item.isPrivate ? "it was private: nothing of it was committed" : historyNote
    }

    public static let historyNote =
        "git history still holds the commits that contained it: to purge it, rewrite history "
        + "(git filter-repo --replace-text FILE, then force-push every clone) and treat any secret in it as leaked"
}

/// `undo --json`.
public struct UndoJSON: Encodable {
    public var undone: String
    public var command: String
    public var entities: [String]

    public init(_ undone: JournalRecord) {
        self.undone = undone.op
        command = undone.command
        entities = undone.changes.map { "\($0.kind) \($0.id)" }
    }
}
