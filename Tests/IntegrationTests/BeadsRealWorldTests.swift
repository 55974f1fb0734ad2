import Foundation
import Testing

/// A real tracker: beads' own issue file (3,003 records: issues, wisps, events, tombstones; MIT,
/// see Fixtures/README.md) imported through the binary. Counts and dependencies are checked
/// against the file, and what is ready here against beads' own ready rule (``BeadsReadyOracle``):
/// every difference must be one the docs name (docs/interchange.md, "beads' ready and ours").
@Suite struct BeadsRealWorldTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/beads-issues.jsonl.zst").path

    @Test func importMatchesTheTrackersOwnReadyRule() throws {
        let s = try Sandbox()
        let file = s.path("issues.jsonl")
        let unpacked = try s.run("zstd", ["-q", "-dc", Self.fixture, "-o", file], in: s.root)
        try #require(unpacked.ok, "zstd -dc failed: \(unpacked.stderr)")
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        let records = data.split(separator: 0x0A).compactMap {
            try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any]
        }
        #expect(records.count == 3003)
        let skippedIDs = Set(
            records.filter { $0["ephemeral"] as? Bool == true || $0["issue_type"] as? String == "event" }.compactMap {
                $0["id"] as? String
            })
        let kept = records.filter { !skippedIDs.contains($0["id"] as? String ?? "") }
        let keptIDs = Set(kept.compactMap { $0["id"] as? String })

        let dir = try s.repo()
        try s.ok("init", in: dir)
        let r = try s.cs("import", "beads", file, "--json", in: dir)
        try #require(r.ok, "import failed: \(r.stderr)")
        let result = s.json(r.stdout)
        let counts = result["counts"] as? [String: Int] ?? [:]
        #expect(counts["added"] == kept.count)
        #expect(counts["skipped"] == skippedIDs.count)
        #expect(counts["refused"] == 0 && counts["updated"] == 0)

        // Dependencies: every blocks edge between imported records is a dependency, every
        // parent-child edge a parent (or a link when a record has several parents).
        let state = s.json(try s.read(dir + "/.codex-state/project_state.json"))
        let tasks = (state["tasks"] as? [String: [String: Any]]) ?? [:]
        var bySource: [String: String] = [:]
        for (id, t) in tasks { if let src = (t["source"] as? [String: Any])?["id"] as? String { bySource[src] = id } }
        #expect(bySource.count == kept.count)
        var expectedDeps = 0
        var expectedParents = 0
        for rec in kept {
            let edges = (rec["dependencies"] as? [[String: Any]] ?? [])
            let targets = { (type: String) in
                Set(
                    edges.filter { $0["type"] as? String == type }.compactMap { $0["depends_on_id"] as? String }.filter(
                        keptIDs.contains))
            }
            expectedDeps += targets("blocks").count
            if !targets("parent-child").isEmpty { expectedParents += 1 }
        }
        #expect(tasks.values.reduce(0) { $0 + (($1["deps"] as? [String])?.count ?? 0) } == expectedDeps)
        #expect(tasks.values.filter { $0["parent"] != nil }.count == expectedParents)

        // Ready here against beads' rule.
        let oracle = try BeadsReadyOracle(jsonl: data)
        let now = ISO8601DateFormatter().date(from: "2026-01-15T09:00:00Z")!
        let theirs = oracle.ready(now: now)
        let listed = s.json(try s.ok("tasks", "--status", "ready", "--json", in: dir))
        let sourceOf = Dictionary(uniqueKeysWithValues: bySource.map { ($0.value, $0.key) })
        let ours = Set(
            (listed["tasks"] as? [[String: Any]] ?? []).compactMap { ($0["id"] as? String).flatMap { sourceOf[$0] } }
                .map { String($0.dropFirst("beads:".count)) })
        let (direct, _) = oracle.blocked()
        var children: [String: [String]] = [:]
        for i in oracle.issues.values where keptIDs.contains(i.id) {
            for d in i.deps where d.type == "parent-child" { children[d.target, default: []].append(i.id) }
        }
        // Why beads' ready and ours differ, each documented.
        var why: [String: Int] = [:]
        var unexplained: [String] = []
        for id in theirs.subtracting(ours).sorted() {
            let i = oracle.issues[id]!
            if i.status == "in_progress" {
                why["in progress (beads lists it as ready; here it is in progress)", default: 0] += 1
            } else if (children[id] ?? []).contains(where: {
                !["closed", "tombstone"].contains(oracle.issues[$0]!.status)
            }) {
                why["an epic with unfinished children (waits for them here)", default: 0] += 1
            } else {
                unexplained.append("\(id): ready in beads only")
            }
        }
        for id in ours.subtracting(theirs).sorted() {
            let i = oracle.issues[id]!
            let blockers = i.deps.filter { ["blocks", "conditional-blocks", "waits-for"].contains($0.type) }
            if BeadsReadyOracle.workflowTypes.contains(i.type) {
                why["a workflow type beads' ready leaves out (\(i.type))", default: 0] += 1
            } else if i.deferUntil.map({ $0 > now }) == true {
                why["defer_until in the future (kept in the source block here)", default: 0] += 1
            } else if !direct.contains(id) {
                why["blocked in beads only through a blocked parent", default: 0] += 1
            } else if blockers.allSatisfy({ !keptIDs.contains($0.target) || $0.type != "blocks" }) {
                why["blocked in beads by a wisp, an event, an outside issue or a gate kept as a link", default: 0] += 1
            } else {
                unexplained.append("\(id): ready here only")
            }
        }
        #expect(
            unexplained.isEmpty,
            "differences from beads' ready rule no documented reason explains:\n\(unexplained.joined(separator: "\n"))")
        let agreed = theirs.intersection(ours)
        print(
            "BeadsRealWorldTests: \(kept.count) imported, \(skippedIDs.count) skipped; ready: beads \(theirs.count), here \(ours.count), both \(agreed.count); differences: \(why.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: "; "))"
        )
        #expect(agreed.count * 2 > theirs.count, "less than half of beads' ready issues are ready here")

        // `next` picks what both call ready, at the most urgent priority both have.
        let next = s.json(try s.ok("next", "--json", in: dir))
        let first = (next["candidates"] as? [[String: Any]])?.first?["task"] as? [String: Any]
        let pick = (first?["id"] as? String).flatMap { sourceOf[$0] }.map {
            String($0.dropFirst("beads:".count))
        }
        let pickID = try #require(pick, "next picked nothing: \(next)")
        #expect(agreed.contains(pickID) || ours.contains(pickID))
        let best = agreed.map { oracle.issues[$0]!.priority }.min()
        #expect(oracle.issues[pickID]?.priority == best)

        // The imported state passes the drift check, and importing again changes nothing.
        #expect(try s.cs("check", in: dir).ok)
        let again = s.json(try s.ok("import", "beads", file, "--json", in: dir))
        #expect((again["counts"] as? [String: Int])?["skipped"] == records.count)
    }
}
