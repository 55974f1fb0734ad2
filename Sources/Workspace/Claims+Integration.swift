import GitKit
import StateModel
import StateStore

/// Where claims on the claims remote meet the read model and the write path (docs/claims.md):
/// reads see the other clones' live claims as copies of their own; `next --claim`, `task start`
/// and the MCP start publish a claim before their transaction, and completions, cancels and
/// blocks release it after theirs. No remote operation runs under the state file's lock.
extension Workspace {
    /// The other clones' live claims as facts of copies of their own (``CopyName/Kind/claim``):
    /// each claim on a task this worktree has is, in copy `remote:<actor>`, the task in
    /// progress for that actor until its lease ends. A claim on a task this worktree does not
    /// have adds nothing (`claims` lists it).
    func remoteClaimFacts(_ tasks: [String: TaskSummary]) -> [(CopyName, [TaskSummary])] {
        var byCopy: [CopyName: [TaskSummary]] = [:]
        for (id, claim) in foreignClaims() {
            guard var t = tasks[id] else { continue }
            t.status = .inProgress
            t.startedActor = claim.actor
            t.startedBranch = nil
            t.startedAt = claim.claimed
            t.claimActor = claim.actor
            t.claimExpires = claim.expires
            t.updatedAt = claim.claimed
            t.completionCommit = nil
            t.completionBranch = nil
            byCopy[claim.copy, default: []].append(t)
        }
        return byCopy.keys.sorted().map { ($0, byCopy[$0] ?? []) }
    }

    /// What this command's reads key on for the claims remote (``ClaimRecord/key(_:)``).
    func remoteClaimsKey() -> String { ClaimRecord.key(foreignClaims()) }

    /// The claims remote changed under this command (a lost race listed it again): the next
    /// read is made anew, with what it now shows.
    func claimsChanged() {
        claims.foreign = nil
        readFingerprint = nil
    }

    /// Publishes the claim `task start` (or the MCP start) makes on the task `input` names,
    /// leased as `next --claim` would lease it. Only a task of this worktree that may be
    /// started is published (the transaction refuses the others, and nothing should be pushed
    /// for them). Another clone's live claim fails the start unless `force`.
    func publishStart(_ input: String, force: Bool) throws -> (id: String, publication: ClaimPublication)? {
        guard try claimsSettings() != nil else { return nil }
        let model = try readModel()
        let id = try model.resolve(input)
        guard let row = try model.row(id), row.isHere, row.task.status != .done, row.task.status != .cancelled
        else { return nil }
        let expires = try now().adding(seconds: Self.defaultLeaseSeconds)
        let publication = try publishClaim(id, expires: expires, force: force)
        if case .heldElsewhere(let held) = publication { throw ClaimsError.heldElsewhere(task: id, by: held) }
        return (id, publication)
    }

    /// The lease of a claim that names none (`next --claim`'s default: 120 minutes).
    public static let defaultLeaseSeconds: Int64 = 120 * 60

    /// Runs `write` (the local transaction of a claim just published); when it fails, the
    /// published claim is deleted again (a compare-and-swap on the value pushed) and the error
    /// rethrown.
    func keepingClaim<T>(_ task: String, _ publication: ClaimPublication?, _ write: () throws -> T) throws -> T {
        do {
            return try write()
        } catch {
            if publication == .published { releaseClaim(task) }
            throw error
        }
    }
}

extension OtherCopies {
    /// Adds the other clones' claims (``Workspace/remoteClaimFacts(_:)``) as copies of their own.
    mutating func adding(claims: [(CopyName, [TaskSummary])]) {
        guard !claims.isEmpty else { return }
        facts = CopyFact.update(facts, removing: [], adding: claims)
        if let u = unfiltered { unfiltered = CopyFact.update(u, removing: [], adding: claims) }
        readable += claims.map(\.0)
    }
}
