extension ProjectState {
    /// Redacts every string of every entity that differs from `old` — tasks, goals, milestones,
    /// memories, the project's own record — whatever field holds it (titles, bodies, labels,
    /// actors, branch names, notes, paths, conflict records, an import's `source.fields`:
    /// ``Redaction/redactStrings(_:)``), after checking each is within ``Limits/fieldBytes`` (a
    /// ``LimitError`` names the field). What did not change in this operation is left alone.
    /// Returns what was found.
    public mutating func redactChangedText(since old: ProjectState) throws -> [Redaction.RuleHit] {
        var hits: [Redaction.RuleHit] = []
        try Redaction.cleanChanged(&tasks, since: old.tasks, "tasks", &hits)
        try Redaction.cleanChanged(&goals, since: old.goals, "goals", &hits)
        try Redaction.cleanChanged(&milestones, since: old.milestones, "milestones", &hits)
        if memories != nil {
            var map = memoryMap
            try Redaction.cleanChanged(&map, since: old.memoryMap, "memories", &hits)
            memoryMap = map
        }
        if project != old.project { project = try Redaction.cleaned(project, "project", &hits) }
        return hits
    }
}

extension Redaction {
    /// `entity` with every string redacted, after each is checked against
    /// ``Limits/fieldBytes`` (`path` names it in the error). The walk goes over the entity's JSON
    /// form, so a field added later is covered without being listed (RedactionCoverageTests).
    static func cleaned<T: Codable & Equatable>(_ entity: T, _ path: String, _ hits: inout [RuleHit]) throws -> T {
        let encoded = try JSONValue(encoding: entity)
        try Limits.checkStrings(encoded, path: path)
        let r = redactStrings(encoded)
        guard !r.hits.isEmpty else { return entity }
        // A marker in place of a secret never breaks a field's form (ids, times, statuses hold
        // none): a value that no longer decodes is an error, not a reason to keep the secret.
        let decoded = try r.value.decode(T.self)
        hits += r.hits
        return decoded
    }

    /// Redacts every entity of `map` that differs from `before`.
    static func cleanChanged<T: Codable & Equatable>(
        _ map: inout [String: T], since before: [String: T], _ section: String, _ hits: inout [RuleHit]
    ) throws {
        for (id, entity) in map where before[id] != entity {
            map[id] = try cleaned(entity, section + "." + id, &hits)
        }
    }
}
