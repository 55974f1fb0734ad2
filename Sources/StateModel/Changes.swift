/// One entity as it was or is, for the operation journal.
public enum EntityValue: Hashable, Sendable {
    case task(TaskRecord)
    case milestone(Milestone)
    case goal(Goal)
    case project(ProjectInfo)
    case memory(Memory)
}

/// An entity's before and after across one operation; nil means absent.
public struct EntityChange: Hashable, Sendable, Codable {
    public var kind: String
    public var id: String
    public var before: EntityValue?
    public var after: EntityValue?

    public init(kind: String, id: String, before: EntityValue?, after: EntityValue?) {
        self.kind = kind
        self.id = id
        self.before = before
        self.after = after
    }

    enum CodingKeys: String, CodingKey { case kind, id, before, after }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(String.self, forKey: .kind)
        id = try c.decode(String.self, forKey: .id)
        func value(_ key: CodingKeys) throws -> EntityValue? {
            switch kind {
            case "task": return try c.decodeIfPresent(TaskRecord.self, forKey: key).map(EntityValue.task)
            case "milestone": return try c.decodeIfPresent(Milestone.self, forKey: key).map(EntityValue.milestone)
            case "goal": return try c.decodeIfPresent(Goal.self, forKey: key).map(EntityValue.goal)
            case "project": return try c.decodeIfPresent(ProjectInfo.self, forKey: key).map(EntityValue.project)
            case "memory": return try c.decodeIfPresent(Memory.self, forKey: key).map(EntityValue.memory)
            default:
                throw DecodingError.dataCorruptedError(
                    forKey: .kind, in: c, debugDescription: "unknown entity kind '\(kind)'")
            }
        }
        before = try value(.before)
        after = try value(.after)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        try c.encode(id, forKey: .id)
        func put(_ v: EntityValue?, _ key: CodingKeys) throws {
            switch v {
            case nil: try c.encodeNil(forKey: key)
            case .task(let t)?: try c.encode(t, forKey: key)
            case .milestone(let m)?: try c.encode(m, forKey: key)
            case .goal(let g)?: try c.encode(g, forKey: key)
            case .project(let p)?: try c.encode(p, forKey: key)
            case .memory(let m)?: try c.encode(m, forKey: key)
            }
        }
        try put(before, .before)
        try put(after, .after)
    }
}

extension ProjectState {
    /// Every entity that differs between `self` and `newer`, ordered by kind then id.
    public func changes(to newer: ProjectState) -> [EntityChange] {
        var out: [EntityChange] = []
        if project != newer.project {
            out.append(
                EntityChange(kind: "project", id: "project", before: .project(project), after: .project(newer.project)))
        }
        // Only the ids that differ are sorted: a transaction compares 10,000 tasks to find one.
        func diff<V: Equatable>(_ kind: String, _ a: [String: V], _ b: [String: V], _ wrap: (V) -> EntityValue) {
            var ids: [String] = []
            for (id, v) in a where b[id] != v { ids.append(id) }
            for id in b.keys where a[id] == nil { ids.append(id) }
            for id in ids.sorted() {
                out.append(EntityChange(kind: kind, id: id, before: a[id].map(wrap), after: b[id].map(wrap)))
            }
        }
        diff("goal", goals, newer.goals, EntityValue.goal)
        diff("milestone", milestones, newer.milestones, EntityValue.milestone)
        diff("task", tasks, newer.tasks, EntityValue.task)
        diff("memory", memoryMap, newer.memoryMap, EntityValue.memory)
        return out
    }
}

public enum ContentHash {
    /// SHA-256 of the bytes, in hex: the key of every cache derived from a state file.
    public static func sha256(_ bytes: [UInt8]) -> String {
        Identifiers.hex(SHA256.digest(bytes))
    }
}
