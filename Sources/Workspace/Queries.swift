import StateModel

/// Which tasks `tasks` lists: the CLI's flags and the MCP `tasks` tool's arguments.
public struct TaskFilter: Sendable, Equatable {
    /// An effective status, or `ready` / `waiting`.
    public var status: String?
    public var label: String?
    /// Milestone id or unique prefix.
    public var milestone: String?
    /// Include tasks done here and cancelled ones.
    public var all: Bool
    /// Only stale tasks (`tasks --stale`).
    public var stale: Bool
    /// Also tasks that exist only in another copy of the state (`tasks --everywhere`).
    public var everywhere: Bool

    public init(
        status: String? = nil, label: String? = nil, milestone: String? = nil, all: Bool = false,
        stale: Bool = false, everywhere: Bool = false
    ) {
        self.status = status
        self.label = label
        self.milestone = milestone
        self.all = all
        self.stale = stale
        self.everywhere = everywhere
    }

    /// The error for a status no task can have, or nil when `status` is accepted.
    public static func statusProblem(_ status: String) -> String? {
        if status == "ready" || status == "waiting" || EffectiveStatus(rawValue: status) != nil { return nil }
        return "unknown --status '\(status)'; use one of: ready, waiting, "
            + EffectiveStatus.allCases.map(\.rawValue).joined(separator: ", ")
    }

    /// The tasks of `view` this filter keeps: in progress first, then by priority, age and id.
    public func select(_ view: HeadView) throws -> [TaskSummary] {
        let eval = view.evaluation
        let milestoneID = try milestone.map {
            try Identifiers.resolve($0, kind: .milestone, among: view.state.milestones.map(\.id))
        }
        func shown(_ t: TaskSummary) -> Bool {
            let s = eval.effective(t.id)
            if stale, s != .stale { return false }
            if let want = status {
                switch want {
                case "ready": if !eval.ready.contains(t.id) { return false }
                case "waiting": if s != .open || eval.ready.contains(t.id) { return false }
                default: if s.rawValue != want { return false }
                }
            } else if !all, s == .done || s == .cancelled {
                return false
            }
            if let l = label, !t.labels.contains(l) { return false }
            if let m = milestoneID, t.milestone != m { return false }
            return true
        }
        var candidates = Array(view.state.tasks.values)
        if everywhere { candidates += eval.foreignOnly.values }
        return candidates.filter(shown).sorted(by: Self.order)
    }

    /// In progress first, then by priority, age and id.
    static func order(_ a: TaskSummary, _ b: TaskSummary) -> Bool {
        let ar = a.status == .inProgress ? 0 : 1
        let br = b.status == .inProgress ? 0 : 1
        if ar != br { return ar < br }
        if a.priority != b.priority { return a.priority < b.priority }
        if a.createdAt != b.createdAt { return a.createdAt < b.createdAt }
        return a.id < b.id
    }
}

extension HeadView {
    /// The `n` best candidates for `actor`, a claimed task first.
    public func next(actor: String, n: Int, claimed: String?) -> [RankedTask] {
        let ranked = Ranking.rank(evaluation, actor: actor, branch: head.branch, milestoneOrder: milestoneOrder)
        guard let c = claimed else { return Array(ranked.prefix(n)) }
        // The claimed task is now in progress: show it first.
        return Array((ranked.filter { $0.id == c } + ranked.filter { $0.id != c }).prefix(n))
    }

    /// `next --json`.
    public func nextJSON(_ top: [RankedTask], claimed: String?) -> NextJSON {
        NextJSON(
            head: HeadJSON(head), claimed: claimed,
            candidates: top.enumerated().compactMap { i, r in
                evaluation.tasks[r.id].map {
                    NextJSON.Candidate(
                        rank: i + 1, task: TaskListJSON($0, evaluation), terms: TermsJSON(r.terms),
                        reason: Ranking.reason(r.terms))
                }
            })
    }

    /// What to say when nothing is ready.
    public var nothingReadyText: String {
        let statuses = evaluation.status.values
        let waiting = statuses.filter { $0 == .open }.count
        let blocked = statuses.filter { $0 == .blocked }.count
        let busy = statuses.filter { $0 == .inProgress }.count
        if waiting + blocked == 0 {
            return busy == 0 ? "Nothing to do: no open tasks." : "Nothing new to start: \(busy) task(s) in progress."
        }
        var parts: [String] = []
        if waiting > 0 { parts.append("\(waiting) open task(s) wait on others") }
        if blocked > 0 { parts.append("\(blocked) blocked") }
        return "Nothing is ready: " + parts.joined(separator: ", ") + "."
    }
}
