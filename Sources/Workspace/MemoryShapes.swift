import Reports
import StateModel
import StateStore

/// The JSON shapes of the memory commands and tools (docs/cli.md#remember), shared by the CLI
/// and the MCP server.

public struct MemoryJSON: JSONShape {
    var item: MemoryItem
    public init(_ item: MemoryItem) { self.item = item }

    public func json() throws -> JSONValue {
        let m = item.memory
        return .object([
            "id": .string(m.id), "kind": .string(m.kind.rawValue), "text": .string(m.text), "why": .optional(m.why),
            "tasks": .strings(m.tasks), "paths": .strings(m.paths), "commits": .strings(m.commits ?? []),
            "supersedes": .strings(m.supersedes), "superseded_by": .strings(item.supersededBy),
            "hash": .optional(m.hash), "created": try JSONValue(encoding: m.created),
            "forgotten": try JSONValue(encoding: m.forgotten), "status": .string(item.status.rawValue),
            "private": .bool(item.isPrivate), "conflicts": .integer(m.conflicts?.count ?? 0),
        ])
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

struct RecallResultJSON: JSONShape {
    var hit: RecallHit

    static func rounded(_ x: Double) -> Double { (x * 10_000).rounded() / 10_000 }

    func json() throws -> JSONValue {
        .object([
            "memory": try MemoryJSON(hit.item).json(), "score": .double(Self.rounded(hit.score)),
            "matched": .strings(hit.matched), "pass": .string(hit.pass), "exact": .strings(hit.exact),
            "similarity": hit.similarity.map { .double(Self.rounded($0)) } ?? .null,
            "lexical": .double(Self.rounded(hit.lexical)), "coverage": .double(Self.rounded(hit.coverage)),
        ])
    }
}

/// `recall --json` and the MCP `recall` tool.
public struct RecallJSON: JSONShape {
    var query: String
    /// The model that ranked the results; null: lexical search only.
    var model: String?
    var hits: [RecallHit]

    public init(query: String, hits: [RecallHit], model: String?) {
        self.query = query
        self.model = model
        self.hits = hits
    }

    public func json() throws -> JSONValue {
        .object([
            "query": .string(query), "semantic": .optional(model),
            "results": .array(try hits.map { try RecallResultJSON(hit: $0).json() }),
        ])
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

/// `private-key --json`.
public struct PrivateKeyJSON: JSONShape {
    var status: PrivateKeyStatus
    public init(_ status: PrivateKeyStatus) { self.status = status }

    public func json() throws -> JSONValue {
        .object([
            "source": .optional(status.source), "keys": .strings(status.keys), "file": .string(status.file),
            "sealed_with": .optional(status.sealedWith), "in_clear": .bool(status.inClear),
            "memories": status.memories.map { .integer($0) } ?? .null, "unreadable": .optional(status.unreadable),
            "key_problem": .optional(status.keyProblem),
        ])
    }
}

/// `memories --review --json`.
public struct MemoryReviewJSON: JSONShape {
    var items: [MemoryReviewItem]
    var confirmed: Bool
    public init(_ items: [MemoryReviewItem], confirmed: Bool) {
        self.items = items
        self.confirmed = confirmed
    }

    public func json() throws -> JSONValue {
        .object([
            "confirmed": .bool(confirmed),
            "review": .array(
                try items.map { r in
                    .object([
                        "code": .string(r.stale.code.rawValue), "name": .string(r.stale.code.name),
                        "memory": try MemoryJSON(r.item).json(),
                        "other": try r.other.map { try MemoryJSON($0).json() } ?? .null,
                        "message": .string(r.message), "fix": .string(r.fix),
                    ])
                }),
        ])
    }
}
