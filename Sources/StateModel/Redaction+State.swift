extension ProjectState {
    /// Redacts every string of every entity that differs from `old` — tasks, goals, milestones,
    /// memories, the project's own record — whatever field holds it (titles, bodies, labels,
    /// actors, branch names, notes, paths, conflict records: ``Redaction/redactStrings(_:)``),
    /// after checking each is within ``Limits/fieldBytes`` (a ``LimitError`` names the field).
    /// What did not change in this operation is left alone. Returns what was found.
    public mutating func redactChangedText(since old: ProjectState) throws -> [Redaction.RuleHit] {
        var hits: [Redaction.RuleHit] = []
        func clean<T: Codable & Equatable>(_ entity: T, _ path: String) throws -> T {
            let encoded = try JSONValue(encoding: entity)
            try Limits.checkStrings(encoded, path: path)
            let r = Redaction.redactStrings(encoded)
            guard !r.hits.isEmpty, let decoded = try? r.value.decode(T.self) else { return entity }
            hits += r.hits
            return decoded
        }
        func clean<T: Codable & Equatable>(_ map: inout [String: T], _ before: [String: T], _ section: String) throws {
            for (id, entity) in map where before[id] != entity {
                map[id] = try clean(entity, section + "." + id)
            }
        }
        try clean(&tasks, old.tasks, "tasks")
        try clean(&goals, old.goals, "goals")
        try clean(&milestones, old.milestones, "milestones")
        if memories != nil {
            var map = memoryMap
            try clean(&map, old.memoryMap, "memories")
            memoryMap = map
        }
        if project != old.project { project = try clean(project, "project") }
        return hits
    }
}
