/// What a clone knows of one remote's claim references (``ClaimRecord``): the last listing,
/// when it was read, and what went wrong reaching the remote. The store keeps one per remote
/// (docs/claims.md, "The cache"); every decision on it is made here, pure.
public struct ClaimListing: Codable, Hashable, Sendable {
    /// One claim reference as last seen.
    public struct Entry: Codable, Hashable, Sendable {
        /// The object the reference names.
        public var object: String
        /// The record it holds, when it reads as one.
        public var record: ClaimRecord?
        /// Why it does not (a hostile or newer record): the reference is skipped.
        public var problem: ClaimRecordProblem?
        /// The cache's generation when this was learned (``ClaimListing/take(_:malformed:startedAt:generation:at:)``).
        public var generation: Int64

        public init(object: String, record: ClaimRecord?, problem: ClaimRecordProblem?, generation: Int64 = 0) {
            self.object = object
            self.record = record
            self.problem = problem
            self.generation = generation
        }
    }

    /// A failed attempt at the remote, remembered so that the next commands do not wait on it
    /// again at once.
    public struct Failure: Codable, Hashable, Sendable {
        public var at: Timestamp
        public var reason: String
        public init(at: Timestamp, reason: String) {
            self.at = at
            self.reason = reason
        }
    }

    /// The remote's URL as configured (without credentials): a listing of another URL is not this one's.
    public var url: String
    /// When the references were last listed; nil: never.
    public var listed: Timestamp?
    /// By reference name.
    public var entries: [String: Entry] = [:]
    /// Lines of the last listing that were not references (cut short).
    public var malformed: [String] = []
    /// The last attempt to reach the remote failed (unreachable, timed out).
    public var unreachable: Failure?
    /// The server refused a claim reference: claims stay local to this clone.
    public var refused: Failure?

    public init(url: String) { self.url = url }

    /// The claims of the listing that read as records, by task.
    public var records: [String: (ref: String, object: String, record: ClaimRecord)] {
        var out: [String: (ref: String, object: String, record: ClaimRecord)] = [:]
        for (ref, e) in entries {
            if let r = e.record { out[r.task] = (ref, e.object, r) }
        }
        return out
    }

    /// The claims other clones hold at `now`, by task: every record whose clone is not `mine`
    /// and whose lease has not ended. What reads show as `in_progress@remote:<actor>`; an
    /// expired claim holds nothing (``ClaimRecord/isLive(at:)``).
    public func foreignLive(mine: String?, at now: Timestamp) -> [String: ClaimRecord] {
        var out: [String: ClaimRecord] = [:]
        for (task, claim) in records where claim.record.clone != mine && claim.record.isLive(at: now) {
            out[task] = claim.record
        }
        return out
    }

    /// The references that were skipped, with why, sorted by name.
    public var skipped: [(ref: String, problem: ClaimRecordProblem)] {
        entries.compactMap { ref, e in e.problem.map { (ref, $0) } }.sorted { $0.ref < $1.ref }
    }

    /// Whether the listing is recent enough to answer without asking the remote again.
    public func isFresh(at now: Timestamp, ttl: Int64) -> Bool {
        guard let listed else { return false }
        return now.seconds - listed.seconds < ttl && now >= listed
    }

    /// Whether a failed attempt is recent enough that the remote is not asked again yet.
    public func isBackingOff(at now: Timestamp, for seconds: Int64) -> Bool {
        guard let f = unreachable else { return false }
        return now.seconds - f.at.seconds < seconds && now >= f.at
    }

    /// Takes a listing read from the remote: every reference it shows replaces what was known,
    /// and a known reference it does not show is gone — except what was learned after the
    /// listing started (at cache generation `startedAt`: a claim this clone won or released
    /// meanwhile), which is newer than the listing and stays.
    public mutating func take(
        _ listed: [String: Entry], malformed: [String], startedAt: Int64, generation: Int64, at time: Timestamp
    ) {
        var next: [String: Entry] = [:]
        for (ref, e) in entries where e.generation > startedAt { next[ref] = e }
        for (ref, var e) in listed where next[ref] == nil && !newerDeletion(ref, startedAt) {
            e.generation = generation
            next[ref] = e
        }
        entries = next
        deleted = deleted.filter { $0.value > startedAt }
        self.malformed = malformed
        self.listed = time
        unreachable = nil
    }

    /// References this clone deleted after the listing started (``forget(_:generation:)``).
    public var deleted: [String: Int64] = [:]

    private func newerDeletion(_ ref: String, _ startedAt: Int64) -> Bool { (deleted[ref] ?? .min) > startedAt }

    /// Records that the reference now holds `entry` (this clone just wrote it).
    public mutating func learn(_ ref: String, _ entry: Entry, generation: Int64) {
        var e = entry
        e.generation = generation
        entries[ref] = e
        deleted[ref] = nil
    }

    /// Records that the reference is gone (this clone just deleted it).
    public mutating func forget(_ ref: String, generation: Int64) {
        entries[ref] = nil
        deleted[ref] = generation
    }
}

/// Every remote's listing, as the store keeps it, with the generation that orders what
/// concurrent commands learned.
public struct ClaimListings: Codable, Hashable, Sendable {
    public static let format = 1
    public var format = ClaimListings.format
    /// Moves by one at every change of the file.
    public var generation: Int64 = 0
    /// By remote name.
    public var remotes: [String: ClaimListing] = [:]

    public init() {}
}

extension ClaimRecord {
    /// The copy a read names this claim by: `remote:<actor>` (``CopyName/Kind/claim``).
    public var copy: CopyName { CopyName(kind: .claim, name: "remote:" + actor) }

    /// What every cached read keys on for a set of other clones' claims: each task with the
    /// claim's clone, actor and lease, in task order; "" for none, so a clone without a claims
    /// remote keys as before.
    public static func key(_ claims: [String: ClaimRecord]) -> String {
        guard !claims.isEmpty else { return "" }
        return claims.keys.sorted().compactMap { t in
            claims[t].map { "\(t) \($0.clone) \($0.actor) \($0.claimed.seconds) \($0.expires.seconds)" }
        }.joined(separator: "\n")
    }
}
