extension ProjectState {
    /// Redacts every string of every entity that differs from `old` — tasks, goals, milestones,
    /// memories, the project's own record — whatever field holds it (titles, bodies, labels,
    /// actors, branch names, notes, paths, conflict records: ``Redaction/redactingStrings(_:)``).
    /// What did not change in this operation is left alone. Returns what was found.
    public mutating func redactChangedText(since old: ProjectState) -> [Redaction.RuleHit] {
        var hits: [Redaction.RuleHit] = []
        func clean<T: Codable & Equatable>(_ map: inout [String: T], _ before: [String: T]) {
            for (id, entity) in map where before[id] != entity {
                let r = Redaction.redactingStrings(entity)
                guard !r.hits.isEmpty else { continue }
                map[id] = r.value
                hits += r.hits
            }
        }
        clean(&tasks, old.tasks)
        clean(&goals, old.goals)
        clean(&milestones, old.milestones)
        if memories != nil {
            var map = memoryMap
            clean(&map, old.memoryMap)
            memoryMap = map
        }
        if project != old.project {
            let r = Redaction.redactingStrings(project)
            project = r.value
            hits += r.hits
        }
        return hits
    }
}
