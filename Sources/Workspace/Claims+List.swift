import GitKit
import Reports
import StateModel
import StateStore

/// Why a claim reference is no longer worth keeping (`claims prune`, `check`'s CS095/CS096).
public enum ClaimPruneReason: String, Sendable, Codable {
    /// Its task is done (here, on another branch, or by a commit this clone lacks).
    case done
    case cancelled
    /// No copy of the state this clone sees has the task, and the claim expired (a live claim on
    /// an unknown task may be on a task its clone has not pushed yet).
    case gone
    /// The lease ran out: the claim holds nothing.
    case expired
    /// It does not read as a claim record (a hostile or broken reference); a record of a newer
    /// format is never pruned.
    case malformed
}

/// The claims remote's references as `codex-state claims` shows them.
public struct ClaimsReport: Sendable {
    public struct Claim: Sendable {
        public var ref: String
        public var object: String
        public var record: ClaimRecord
        /// Made from this clone.
        public var mine: Bool
        public var live: Bool
        /// The task's status at this HEAD over every copy of the state; nil: no copy has it.
        public var taskStatus: EffectiveStatus?
        public var prunable: ClaimPruneReason?
    }

    public struct Skipped: Sendable {
        public var ref: String
        public var object: String
        public var problem: ClaimRecordProblem
        public var prunable: Bool
    }

    public var remote: String
    public var url: String
    public var listed: Timestamp?
    /// The listing shown was read now (false: the cached one, because the remote could not be reached).
    public var current: Bool
    public var unreachable: ClaimListing.Failure?
    public var refused: ClaimListing.Failure?
    public var claims: [Claim]
    public var skipped: [Skipped]
    public var malformed: [String]
}

/// One reference `claims prune` removed, or would remove.
public struct PrunedClaim: Sendable {
    public enum Result: Sendable, Equatable {
        case deleted
        case wouldDelete
        /// It changed since it was listed (renewed, taken over, deleted): left alone.
        case changed
        case refused(String)
    }
    public var ref: String
    public var task: String?
    public var reason: ClaimPruneReason
    public var result: Result
}

extension Workspace {
    /// The claims remote's references, each with the status of its task here and whether it
    /// may be pruned. Read anew with `refresh`; when the remote cannot be reached, the cached
    /// listing (if any) is shown as such. Throws when no claims remote is set.
    public func claimsReport(refresh: Bool) throws -> ClaimsReport {
        guard let settings = try claimsSettings() else { throw ClaimsError.noRemote }
        let remote = try repository.remote(settings.remote, timeout: settings.timeout)
        // The report lists the references it skips: no warning line for them.
        claims.listsSkipped = true
        let read = claimListing(refresh ? .refreshed : .cached)
        let cached = claimsFile.read().remotes[settings.remote].flatMap { $0.url == remote.displayURL ? $0 : nil }
        let listing = read?.listing ?? cached ?? ClaimListing(url: remote.displayURL)
        let now = try self.now()
        let mine = try claimsFile.cloneID()
        let statuses = try claimTaskStatuses(Set(listing.records.keys))
        var claims: [ClaimsReport.Claim] = []
        for (task, c) in listing.records.sorted(by: { $0.key < $1.key }) {
            let status = statuses[task]
            let live = c.record.isLive(at: now)
            claims.append(
                ClaimsReport.Claim(
                    ref: c.ref, object: c.object, record: c.record, mine: c.record.clone == mine, live: live,
                    taskStatus: status, prunable: Self.pruneReason(status: status, live: live)))
        }
        let skipped = listing.skipped.map { s in
            ClaimsReport.Skipped(
                ref: s.ref, object: listing.entries[s.ref]?.object ?? "", problem: s.problem,
                prunable: Self.prunable(s.problem))
        }
        return ClaimsReport(
            remote: settings.remote, url: remote.displayURL, listed: listing.listed, current: read != nil,
            unreachable: listing.unreachable, refused: listing.refused, claims: claims, skipped: skipped,
            malformed: listing.malformed)
    }

    /// The one rule for a claim that holds nothing any more.
    static func pruneReason(status: EffectiveStatus?, live: Bool) -> ClaimPruneReason? {
        switch status {
        case .done, .doneElsewhere, .doneUnknown: return .done
        case .cancelled: return .cancelled
        case nil: return live ? nil : .gone
        default: return live ? nil : .expired
        }
    }

    static func prunable(_ problem: ClaimRecordProblem) -> Bool {
        if case .newerFormat = problem { return false }
        return true
    }

    /// Deletes the claims remote's references that hold nothing (``pruneReason(status:live:)``,
    /// and references that are not claim records), each with a compare-and-swap on the value
    /// just listed, all in one push. With `dryRun`, only says which.
    public func pruneClaims(dryRun: Bool) throws -> (remote: String, pruned: [PrunedClaim]) {
        let report = try claimsReport(refresh: true)
        guard report.current else {
            throw RemoteError.failed(
                operation: "list claims on \(report.remote)",
                message: report.unreachable?.reason ?? "the remote could not be reached")
        }
        var candidates: [(change: RemoteRefChange, task: String?, reason: ClaimPruneReason)] = []
        for c in report.claims {
            guard let reason = c.prunable, let object = ObjectID(hex: c.object) else { continue }
            candidates.append((RemoteRefChange(ref: c.ref, expected: object, new: nil), c.record.task, reason))
        }
        for s in report.skipped where s.prunable {
            guard let object = ObjectID(hex: s.object) else { continue }
            candidates.append(
                (RemoteRefChange(ref: s.ref, expected: object, new: nil), Self.claimTask(ofRef: s.ref), .malformed))
        }
        candidates.sort { $0.change.ref < $1.change.ref }
        if dryRun || candidates.isEmpty {
            return (
                report.remote,
                candidates.map {
                    PrunedClaim(ref: $0.change.ref, task: $0.task, reason: $0.reason, result: .wouldDelete)
                }
            )
        }
        guard let settings = try claimsSettings() else { throw ClaimsError.noRemote }
        let remote = try repository.remote(settings.remote, timeout: settings.timeout)
        let outcomes = try remote.compareAndSwap(candidates.map(\.change), atomic: false)
        var pruned: [PrunedClaim] = []
        for (c, outcome) in zip(candidates, outcomes) {
            let result: PrunedClaim.Result
            switch outcome {
            case .updated: result = .deleted
            case .lost: result = .changed
            case .refused(let reason): result = .refused(reason)
            }
            pruned.append(PrunedClaim(ref: c.change.ref, task: c.task, reason: c.reason, result: result))
        }
        let deleted = pruned.filter { $0.result == .deleted }.map(\.ref)
        if !deleted.isEmpty {
            try claimsFile.update(timeout: 2) { listings in
                guard var l = listings.remotes[settings.remote] else { return }
                for ref in deleted { l.forget(ref, generation: listings.generation + 1) }
                listings.remotes[settings.remote] = l
            }
        }
        return (report.remote, pruned)
    }

    /// `check`'s findings about the claims remote (CS095, CS096); none without one, or when it
    /// cannot be read (said in a warning).
    func claimCheckFindings() -> [CheckFinding] {
        let report: ClaimsReport
        do {
            guard try claimsSettings() != nil else { return [] }
            claims.listsSkipped = true
            report = try claimsReport(refresh: false)
        } catch {
            sayOnce("warning: claims: \(error); claim references not checked")
            return []
        }
        guard report.current else { return [] }
        let stale = report.claims.compactMap { c -> StaleClaimRef? in
            guard let reason = c.prunable, reason != .expired else { return nil }
            return StaleClaimRef(
                ref: c.ref, task: c.record.task, actor: c.record.actor, clone: c.record.clone, reason: reason.rawValue)
        }
        return StateCheck.claimFindings(
            remote: report.remote, stale: stale,
            unreadable: report.skipped.map { ($0.ref, $0.problem.description, $0.prunable) })
    }

    /// The effective status at this HEAD of each task, over every copy of the state; a task no
    /// copy has is absent.
    func claimTaskStatuses(_ ids: Set<String>) throws -> [String: EffectiveStatus] {
        guard !ids.isEmpty else { return [:] }
        return try readModel().rows(ids: Array(ids)).mapValues(\.status)
    }
}
