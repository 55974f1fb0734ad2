import StateModel

extension PreambleInput {
    /// Adds every current constraint and the `limit` most relevant current decisions.
    public mutating func addMemories(_ evaluation: MemoryEvaluation, work: MemoryRelevance.Work, limit: Int = 3) {
        let current = evaluation.current
        constraints = current.filter { $0.kind == .constraint }.map { Fact(id: $0.id, text: $0.text) }
        let ranked = MemoryRelevance.decisions(current, for: work)
        decisionsTotal = ranked.count
        decisions = ranked.prefix(limit).map { Fact(id: $0.id, text: $0.text, why: $0.why) }
    }
}
