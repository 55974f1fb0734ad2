import StateModel

/// One point of the burn-down: the state file as one commit held it, counted by stored status.
public struct BurnPoint: Sendable, Equatable {
    public var time: Timestamp
    public var commit: String
    /// Tasks in the file, and those not done or cancelled.
    public var total: Int
    public var open: Int
    /// The same two counts per milestone id.
    public var milestones: [String: Counts]

    public struct Counts: Sendable, Equatable {
        public var total: Int
        public var open: Int
    }

    public init(time: Timestamp, commit: String, total: Int, open: Int, milestones: [String: Counts]) {
        self.time = time
        self.commit = commit
        self.total = total
        self.open = open
        self.milestones = milestones
    }

    /// Counts one version of the state file. Only each task's status and milestone are decoded
    /// (through the same tape decoder as whole files); nil when the version cannot be read (a
    /// commit with conflict markers, a newer schema): the burn-down skips it.
    public static func count(_ bytes: [UInt8], time: Timestamp, commit: String) -> BurnPoint? {
        guard let file = TapeDecoder.decode(CountedState.self, from: bytes) else { return nil }
        var total = 0
        var open = 0
        var perMilestone: [String: Counts] = [:]
        for t in (file.tasks ?? [:]).values {
            let unfinished = t.status != "done" && t.status != "cancelled"
            total += 1
            if unfinished { open += 1 }
            if let m = t.milestone {
                perMilestone[m, default: Counts(total: 0, open: 0)].total += 1
                if unfinished { perMilestone[m]?.open += 1 }
            }
        }
        return BurnPoint(time: time, commit: commit, total: total, open: open, milestones: perMilestone)
    }

    /// At most `limit` of `versions` (newest first), evenly spread, the newest and oldest kept:
    /// decoding every version of a 10k-task file would take seconds for a picture.
    public static func sample<T>(_ versions: [T], limit: Int) -> [T] {
        guard versions.count > limit, limit >= 2 else { return versions }
        var out: [T] = []
        var last = -1
        for k in 0..<limit {
            let i = Int((Double(k) * Double(versions.count - 1) / Double(limit - 1)).rounded())
            if i != last { out.append(versions[i]) }
            last = i
        }
        return out
    }

    struct CountedState: Decodable {
        var tasks: [String: CountedTask]?
    }

    struct CountedTask: Decodable {
        var status: String
        var milestone: String?
    }
}
