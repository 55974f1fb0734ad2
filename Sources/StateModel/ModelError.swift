/// Everything the pure model can refuse. Each case carries what a one-line message needs.
public enum ModelError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownID(kind: EntityKind, id: String)
    case ambiguousPrefix(kind: EntityKind, prefix: String, candidates: [String])
    case selfDependency(id: String)
    case dependencyCycle(path: [String])
    case parentCycle(path: [String])
    case invalidPriority(Int)
    case invalidValue(field: String, value: String, reason: String)
    case emptyText(field: String)
    case unsupportedSchema(found: Int, supported: Int)
    case invalidState(String)
    case alreadyInStatus(id: String, status: TaskStatus)
    case claimed(id: String, actor: String, until: Timestamp)

    public var description: String {
        switch self {
        case .unknownID(let kind, let id):
            // Milestones and goals are also found by title (``Identifiers/resolve(_:kind:titles:)``).
            let what = kind == .milestone ? "id or title" : kind == .goal ? "id or text" : "id"
            return "no \(kind.rawValue) with \(what) '\(id)'"
        case .ambiguousPrefix(let kind, let prefix, let candidates):
            let shown = candidates.prefix(5).joined(separator: ", ")
            let more = candidates.count > 5 ? ", …" : ""
            return "\(kind.rawValue) id prefix '\(prefix)' is ambiguous: matches \(shown)\(more)"
        case .selfDependency(let id): return "task \(id) cannot depend on itself"
        case .dependencyCycle(let path):
            return "dependency would create a cycle: \(path.joined(separator: " -> "))"
        case .parentCycle(let path):
            return "parent would create a cycle: \(path.joined(separator: " -> "))"
        case .invalidPriority(let p): return "priority \(p) is out of range (0 most urgent … 4)"
        case .invalidValue(let field, let value, let reason): return "\(field) '\(value)': \(reason)"
        case .emptyText(let field): return "\(field) must not be empty"
        case .unsupportedSchema(let found, let supported):
            return found > supported
                ? "schema version \(found) is newer than this codex-state understands (\(supported)); upgrade codex-state"
                : "schema version \(found) is not supported (expected \(supported))"
        case .invalidState(let reason): return reason
        case .alreadyInStatus(let id, let status): return "task \(id) is already \(status.rawValue)"
        case .claimed(let id, let actor, let until):
            return "task \(id) is claimed by \(actor) until \(until); pass --force to take it over"
        }
    }
}

public enum EntityKind: String, Sendable, Codable {
    case task, milestone, goal, memory

    /// The prefix of this kind's ids: `t-`, `m-`, `g-`, `mem-`.
    public var idPrefix: String {
        switch self {
        case .task: return "t-"
        case .milestone: return "m-"
        case .goal: return "g-"
        case .memory: return "mem-"
        }
    }
}
