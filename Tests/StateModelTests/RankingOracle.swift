@testable import StateModel

/// A task in `next`'s order and why: the oracle's answer.
struct RankedTask: Hashable, Sendable {
    var id: String
    var terms: RankTerms
}

/// The reference ranking the index's SQL order is held to: every candidate of a whole
/// evaluation, ranked in Swift by ``Ranking/precedes(_:_:)``. (Moved here from StateModel: the
/// command path ranks only in the index.)
extension Ranking {
    /// Ranks `rows` for `next`: the tasks `actor` has in progress on `branch`, then every ready
    /// task, then every stale one offered again, in ``precedes(_:_:)`` order.
    static func rank(_ rows: [EvaluatedTask], actor: String, branch: String?) -> [RankedTask] {
        var out: [RankedTask] = []
        for row in rows where row.candidate {
            let terms = row.terms(actor: actor, branch: branch)
            guard terms.resume || row.ready || row.offerableStale else { continue }
            out.append(RankedTask(id: row.id, terms: terms))
        }
        out.sort { precedes($0.terms, $1.terms) }
        return out
    }

    /// The same over a whole evaluation's rows.
    static func rank(_ eval: Evaluation, actor: String, branch: String?, milestoneOrder: [String: Int])
        -> [RankedTask]
    {
        rank(eval.rows(milestoneOrder: milestoneOrder), actor: actor, branch: branch)
    }
}
