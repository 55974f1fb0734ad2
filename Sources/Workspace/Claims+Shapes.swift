import StateModel

// The JSON shapes of `claims` and `claims prune` (docs/cli.md).

extension ClaimRecord {
    /// The record as `claims --json` shows it.
    public var json: JSONValue {
        .object([
            "task": .string(task), "actor": .string(actor), "clone": .string(clone),
            "claimed": .string(claimed.iso8601), "expires": .string(expires.iso8601), "branch": .optional(branch),
            "commit": .optional(commit),
        ])
    }
}

extension ClaimsReport: JSONShape {
    public func json() -> JSONValue {
        func failure(_ f: ClaimListing.Failure?) -> JSONValue {
            f.map { .object(["at": .string($0.at.iso8601), "reason": .string($0.reason)]) } ?? .null
        }
        return .object([
            "remote": .string(remote), "url": .string(url), "listed": .optional(listed?.iso8601),
            "current": .bool(current), "unreachable": failure(current ? nil : unreachable),
            "refused": failure(refused),
            "claims": .array(
                claims.map { c in
                    guard case .object(var o) = c.record.json else { return c.record.json }
                    o["ref"] = .string(c.ref)
                    o["object"] = .string(c.object)
                    o["this_clone"] = .bool(c.mine)
                    o["live"] = .bool(c.live)
                    o["task_status"] = .optional(c.taskStatus?.rawValue)
                    o["prunable"] = .optional(c.prunable?.rawValue)
                    return .object(o)
                }),
            "skipped": .array(
                skipped.map {
                    .object([
                        "ref": .string($0.ref), "object": .string($0.object),
                        "problem": .string($0.problem.description),
                        "prunable": .bool($0.prunable),
                    ])
                }),
            "malformed_lines": .strings(malformed),
        ])
    }
}

/// `claims prune --json`.
public struct PruneJSON: JSONShape {
    public var remote: String
    public var pruned: [PrunedClaim]
    public var dryRun: Bool

    public init(remote: String, pruned: [PrunedClaim], dryRun: Bool) {
        self.remote = remote
        self.pruned = pruned
        self.dryRun = dryRun
    }

    public func json() -> JSONValue {
        .object([
            "remote": .string(remote), "dry_run": .bool(dryRun),
            "pruned": .array(
                pruned.map { p in
                    let result: String
                    var reason: JSONValue = .null
                    switch p.result {
                    case .deleted: result = "deleted"
                    case .wouldDelete: result = "would_delete"
                    case .changed: result = "changed"
                    case .refused(let why):
                        result = "refused"
                        reason = .string(why)
                    }
                    return .object([
                        "ref": .string(p.ref), "task": .optional(p.task), "reason": .string(p.reason.rawValue),
                        "result": .string(result), "refusal": reason,
                    ])
                }),
        ])
    }
}
