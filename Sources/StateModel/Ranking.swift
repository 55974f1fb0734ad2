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

extension RankTerms {
    /// The order of `next` after its first two terms (resume, then fresh before stale), as one
    /// string whose byte order is that order: priority (0 first), unblocks (more first),
    /// milestone order (none last), age (older first), id. The index stores it for every row and
    /// SQL orders by it; ``Ranking/precedes(_:_:)`` compares the same strings. One definition,
    /// so the two cannot disagree.
    public var key: String {
        func fixed(_ n: UInt64, _ width: Int) -> String {
            let digits = String(n, radix: 16)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        let inverseUnblocks = UInt64(UInt32.max) - UInt64(min(max(unblocks, 0), Int(UInt32.max)))
        let milestone = milestoneRank.map { UInt64(min(max($0, 0), Int(UInt32.max) - 1)) } ?? UInt64(UInt32.max)
        // Seconds as an unsigned number in the same order (the sign bit flipped).
        let created = UInt64(bitPattern: self.created.seconds) ^ (1 << 63)
        return fixed(UInt64(min(max(priority, 0), 15)), 1) + fixed(inverseUnblocks, 8) + fixed(milestone, 8)
            + fixed(created, 16) + id
    }
}

/// `next`'s order (SQL orders the index's rows by the same ``RankTerms/key``; the Swift ranking
/// of a whole evaluation is the tests' oracle, `Tests/StateModelTests/RankingOracle.swift`).
public enum Ranking {
    /// Whether `a` ranks before `b` (the order `next` shows): resume first, then fresh before
    /// stale, then by ``RankTerms/key``.
    public static func precedes(_ a: RankTerms, _ b: RankTerms) -> Bool {
        if a.resume != b.resume { return a.resume }
        if a.stale != b.stale { return !a.stale }
        return a.key < b.key
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
