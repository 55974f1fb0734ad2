import StateModel

/// A claim reference on the claims remote that holds nothing any more (docs/claims.md).
public struct StaleClaimRef: Hashable, Sendable {
    public var ref: String
    public var task: String
    public var actor: String
    public var clone: String
    /// `done`, `cancelled` or `gone` (no copy of the state here has the task, and the claim expired).
    public var reason: String

    public init(ref: String, task: String, actor: String, clone: String, reason: String) {
        self.ref = ref
        self.task = task
        self.actor = actor
        self.clone = clone
        self.reason = reason
    }
}

extension StateCheck {
    /// The claims remote's references that hold nothing (CS095) or are not claim records
    /// (CS096): every read skips the second kind with a warning.
    public static func claimFindings(
        remote: String, stale: [StaleClaimRef], unreadable: [(ref: String, problem: String, prunable: Bool)]
    ) -> [CheckFinding] {
        var out: [CheckFinding] = []
        for s in stale.sorted(by: { $0.ref < $1.ref }) {
            let why: String
            switch s.reason {
            case "done": why = "is done"
            case "cancelled": why = "is cancelled"
            default: why = "is in no copy of the state here, and the claim expired"
            }
            out.append(
                CheckFinding(
                    .claimRefStale, file: nil, line: nil, entity: s.task,
                    message:
                        "\(s.ref) on \(remote) (\(s.actor), clone \(s.clone)) claims task \(s.task), which \(why): the claim was never released",
                    fix: "codex-state claims prune"))
        }
        for u in unreadable.sorted(by: { $0.ref < $1.ref }) {
            out.append(
                CheckFinding(
                    .claimRefUnreadable, file: nil, line: nil,
                    message: "\(u.ref) on \(remote) is skipped by every read: \(u.problem)",
                    fix: u.prunable ? "codex-state claims prune" : "upgrade codex-state"))
        }
        return out
    }
}
