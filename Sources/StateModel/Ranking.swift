/// The terms `next` ranks by, in order of precedence. Each is printed by `next --explain`.
public struct RankTerms: Hashable, Sendable, Codable {
    /// This actor already has the task in progress on this branch: resume it first.
    public var resume: Bool
    /// Started before (here or in another copy) but its claim expired or it went quiet: offered
    /// again, after every fresh candidate.
    public var stale: Bool = false
    public var priority: Int
    /// How many not-yet-finished tasks wait directly on this one.
    public var unblocks: Int
    /// The task's milestone, and that milestone's position in milestone order (nil: none; last).
    public var milestone: String?
    public var milestoneRank: Int?
    public var created: Timestamp
    public var id: String
}

public struct RankedTask: Hashable, Sendable {
    public var id: String
    public var terms: RankTerms
    public init(id: String, terms: RankTerms) {
        self.id = id
        self.terms = terms
    }
}

public enum Ranking {
    /// Ranks the candidates for `next`: the tasks this actor has in progress on this branch,
    /// then every ready task, then every stale one, ordered by resume, freshness, priority (0
    /// first), unblocks (more first), milestone order (tasks without one last), age (older
    /// first), id.
    public static func rank(
        _ eval: Evaluation, actor: String, branch: String?, milestoneOrder: [String: Int]
    ) -> [RankedTask] {
        var out: [RankedTask] = []
        let stale = eval.offerableStale
        for (id, t) in eval.tasks {
            let s = eval.status[id]
            let resume =
                (s == .inProgress || s == .stale) && eval.elsewhere[id] == nil && t.startedActor == actor
                && t.startedBranch == branch
            guard resume || eval.ready.contains(id) || stale.contains(id) else { continue }
            let unblocks = (eval.dependents[id] ?? []).filter {
                !(eval.status[$0]?.satisfiesDependents ?? true)
            }.count
            let mRank = t.milestone.flatMap { milestoneOrder[$0] }
            out.append(
                RankedTask(
                    id: id,
                    terms: RankTerms(
                        resume: resume, stale: !resume && stale.contains(id), priority: t.priority, unblocks: unblocks,
                        milestone: t.milestone, milestoneRank: mRank, created: t.createdAt, id: id)))
        }
        out.sort { precedes($0.terms, $1.terms) }
        return out
    }

    /// Whether `a` ranks before `b` (the order `next` shows).
    public static func precedes(_ a: RankTerms, _ b: RankTerms) -> Bool {
        if a.resume != b.resume { return a.resume }
        if a.stale != b.stale { return !a.stale }
        if a.priority != b.priority { return a.priority < b.priority }
        if a.unblocks != b.unblocks { return a.unblocks > b.unblocks }
        let am = a.milestoneRank ?? Int.max
        let bm = b.milestoneRank ?? Int.max
        if am != bm { return am < bm }
        if a.created != b.created { return a.created < b.created }
        return a.id < b.id
    }

    /// One line a person can read: why this task is where it is.
    /// - Parameter milestoneTitles: titles by milestone id; a milestone is named by its title
    ///   (quoted) when known, else by id.
    public static func reason(_ t: RankTerms, milestoneTitles: [String: String] = [:]) -> String {
        var parts: [String] = []
        if t.resume { parts.append("resume: you have it in progress here") }
        if t.stale { parts.append("stale: its start went stale, offered again") }
        parts.append("P\(t.priority)")
        if t.unblocks > 0 { parts.append("unblocks \(t.unblocks)") }
        if let m = t.milestone { parts.append("milestone " + (milestoneTitles[m].map { "\"\($0)\"" } ?? m)) }
        parts.append("created \(t.created.iso8601)")
        return parts.joined(separator: ", ")
    }
}
