import Foundation

/// beads' own "ready" rule, as its `GetReadyWork` and `rebuildBlockedCache` state it (beads at
/// 96fee9db2, `internal/storage/sqlite/ready.go` and `blocked_cache.go`), over a JSONL file: the
/// oracle the real-world import is compared with. Written from the rule, not from our code.
///
/// An issue is ready when its status is `open` or `in_progress`, it is not pinned, not
/// ephemeral, not a workflow type (`merge-request`, `gate`, `molecule`, `message`, `agent`), its
/// `defer_until` is not in the future, and it is not blocked. Blocked: a `blocks` dependency on
/// an issue whose status is `open`, `in_progress`, `blocked`, `deferred` or `hooked`; a
/// `conditional-blocks` dependency on an issue not closed with a failure; a `waits-for`
/// dependency on a spawner with unclosed children; or a parent (through `parent-child`) that is
/// blocked, to any depth.
struct BeadsReadyOracle {
    struct Issue {
        var id: String
        var status: String
        var type: String
        var priority: Int
        var created: String
        var pinned: Bool
        var ephemeral: Bool
        var deferUntil: Date?
        var closeReason: String
        var deps: [(target: String, type: String)]
    }

    var issues: [String: Issue] = [:]

    init(jsonl: Data) throws {
        for line in jsonl.split(separator: 0x0A) where !line.isEmpty {
            guard let o = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                let id = o["id"] as? String
            else { continue }
            let deps = (o["dependencies"] as? [[String: Any]] ?? []).compactMap { d -> (String, String)? in
                guard let t = d["depends_on_id"] as? String else { return nil }
                return (t, d["type"] as? String ?? "blocks")
            }
            issues[id] = Issue(
                id: id, status: o["status"] as? String ?? "open", type: o["issue_type"] as? String ?? "task",
                priority: o["priority"] as? Int ?? 2, created: o["created_at"] as? String ?? "",
                pinned: o["pinned"] as? Bool ?? false, ephemeral: o["ephemeral"] as? Bool ?? false,
                deferUntil: (o["defer_until"] as? String).flatMap { ISO8601DateFormatter().date(from: $0) },
                closeReason: o["close_reason"] as? String ?? "", deps: deps)
        }
    }

    static let blockingStatuses: Set<String> = ["open", "in_progress", "blocked", "deferred", "hooked"]
    static let workflowTypes: Set<String> = ["merge-request", "gate", "molecule", "message", "agent"]
    static let failureWords = [
        "failed", "rejected", "wontfix", "won't fix", "canceled", "cancelled", "abandoned", "blocked", "error",
        "timeout", "aborted",
    ]

    /// Issues blocked directly, and those blocked directly or through a blocked parent.
    func blocked() -> (direct: Set<String>, all: Set<String>) {
        var direct = Set<String>()
        var children: [String: [String]] = [:]
        for i in issues.values {
            for d in i.deps {
                if d.type == "parent-child" { children[d.target, default: []].append(i.id) }
                guard let target = issues[d.target] else {
                    // A blocker outside this file (external:…): blocking until resolved.
                    if d.type == "blocks", d.target.hasPrefix("external:") { direct.insert(i.id) }
                    continue
                }
                switch d.type {
                case "blocks":
                    if Self.blockingStatuses.contains(target.status) { direct.insert(i.id) }
                case "conditional-blocks":
                    let failed =
                        target.status == "closed"
                        && Self.failureWords.contains { target.closeReason.lowercased().contains($0) }
                    if !failed { direct.insert(i.id) }
                case "waits-for":
                    let kids = issues.values.filter { k in
                        k.deps.contains { $0.type == "parent-child" && $0.target == d.target }
                    }
                    if kids.contains(where: { $0.status != "closed" && $0.status != "tombstone" }) {
                        direct.insert(i.id)
                    }
                default: break
                }
            }
        }
        var out = direct
        var stack = Array(direct)
        while let b = stack.popLast() {
            for k in children[b] ?? [] where out.insert(k).inserted { stack.append(k) }
        }
        return (direct, out)
    }

    func ready(now: Date) -> Set<String> {
        let blocked = blocked().all
        return Set(
            issues.values.filter { i in
                ["open", "in_progress"].contains(i.status) && !i.pinned && !i.ephemeral && !i.id.contains("-wisp-")
                    && !Self.workflowTypes.contains(i.type) && (i.deferUntil.map { $0 <= now } ?? true)
                    && !blocked.contains(i.id)
            }.map(\.id))
    }
}
