import Foundation
import Testing

/// End-to-end: every command as a user types it.
@Suite struct CommandTests {
    @Test func taskLifecycleCommands() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--name", "demo", in: repo)
        let m = try s.ok("milestone", "add", "Beta", "--due", "2026-03-01", in: repo)
        let epic = try s.ok("task", "add", "Epic", "--priority", "1", "--label", "core", in: repo)
        let kid = try s.ok(
            "task", "add", "Child", "--parent", String(epic.dropFirst(2).prefix(6)), "--milestone", m, "--body",
            "Details",
            "--accept", "works", "--accept", "tested", in: repo)
        let other = try s.ok("task", "add", "Other", "--label", "docs", in: repo)

        // edit
        try s.ok(
            "task", "edit", kid, "--title", "Child renamed", "--priority", "0", "--add-label", "x", "--note", "a note",
            in: repo)
        let shown = s.json(try s.ok("task", "show", kid, "--json", in: repo))
        let t = shown["task"] as? [String: Any] ?? [:]
        #expect(t["title"] as? String == "Child renamed")
        #expect(t["priority"] as? Int == 0)
        #expect(t["labels"] as? [String] == ["x"])
        #expect(t["acceptance"] as? [String] == ["works", "tested"])
        #expect((t["notes"] as? [[String: Any]])?.first?["text"] as? String == "a note")
        #expect(t["milestone"] as? String == m)
        #expect(shown["ready"] as? Bool == true)
        let showText = try s.ok("task", "show", kid, in: repo)
        #expect(showText.contains("Child renamed") && showText.contains("Details") && showText.contains("- works"))
        #expect(s.json(try s.ok("task", "show", epic, "--json", in: repo))["children"] as? [String] == [kid])

        // filters and tree
        #expect(try s.ok("tasks", "--label", "docs", in: repo).contains(other))
        #expect(!(try s.ok("tasks", "--label", "docs", in: repo)).contains(kid))
        #expect(try s.ok("tasks", "--milestone", m, in: repo).contains(kid))
        #expect(try s.ok("tasks", "--status", "waiting", in: repo).contains(epic))
        let tree = try s.ok("tasks", "--tree", in: repo).split(separator: "\n").map(String.init)
        let epicLine = tree.firstIndex { $0.hasPrefix(epic) }!
        #expect(tree[epicLine + 1].hasPrefix("  " + kid))
        #expect(try s.ok("tasks", "--status", "ready", in: repo).contains(kid))
        #expect(!(try s.ok("tasks", "--status", "ready", in: repo)).contains(epic))

        // start, block, reopen, cancel
        let started = s.json(try s.ok("task", "start", kid, "--json", in: repo))
        #expect(started["status"] as? String == "in_progress")
        #expect(started["branch"] as? String == "main")
        #expect(try s.effective(kid, in: repo) == "in_progress")
        try s.ok("task", "block", kid, "--reason", "waiting for review", in: repo)
        #expect(try s.effective(kid, in: repo) == "blocked")
        #expect(try s.ok("task", "show", kid, in: repo).contains("waiting for review"))
        try s.ok("task", "reopen", kid, in: repo)
        #expect(try s.effective(kid, in: repo) == "open")
        try s.ok("task", "cancel", other, "--reason", "not needed", in: repo)
        #expect(try s.effective(other, in: repo) == "cancelled")
        #expect(!(try s.ok("tasks", in: repo)).contains(other))
        #expect(try s.ok("tasks", "--all", in: repo).contains(other))

        // dependencies
        let d = try s.ok("task", "add", "Needs other", in: repo)
        try s.ok("task", "dep", "add", d, kid, in: repo)
        #expect(try s.tasks(in: repo)[d]?["waiting_on"] as? [String] == [kid])
        try s.ok("task", "dep", "rm", d, kid, in: repo)
        #expect(try s.tasks(in: repo)[d]?["ready"] as? Bool == true)

        // goals and milestones
        let g = try s.ok("goal", "add", "Ship a great tool", in: repo)
        let goals =
            try JSONSerialization.jsonObject(with: Data(try s.ok("goal", "list", "--json", in: repo).utf8))
            as? [[String: Any]]
        #expect(goals?.first?["id"] as? String == g)
        #expect(try s.ok("goal", "list", in: repo).contains("Ship a great tool"))
        let ms =
            try JSONSerialization.jsonObject(with: Data(try s.ok("milestone", "list", "--json", in: repo).utf8))
            as? [[String: Any]]
        #expect(ms?.first?["id"] as? String == m)
        #expect(ms?.first?["tasks"] as? Int == 1)

        // the journal saw every mutation, with before and after
        let log =
            try JSONSerialization.jsonObject(with: Data(try s.ok("log", "-n", "50", "--json", in: repo).utf8))
            as? [[String: Any]] ?? []
        #expect(log.count == 14)
        let newest = log.first ?? [:]
        #expect((newest["command"] as? String)?.hasPrefix("codex-state goal add") == true)
        #expect(newest["actor"] as? String == "tester")
        let blockRecord = log.first { ($0["command"] as? String)?.contains("task block") == true }
        let change = (blockRecord?["changes"] as? [[String: Any]])?.first
        #expect((change?["before"] as? [String: Any])?["status"] as? String == "in_progress")
        #expect((change?["after"] as? [String: Any])?["status"] as? String == "blocked")
        #expect(try s.ok("log", "--task", kid, in: repo).contains("~ task \(kid): blocker, status"))
        #expect(try s.ok("log", "--task", kid, in: repo).contains("task block"))
    }

    @Test func nextExplainsAndRanks() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        let low = try s.ok("task", "add", "Low", "--priority", "3", in: repo)
        let high = try s.ok("task", "add", "High", "--priority", "1", in: repo)
        let unblocker = try s.ok("task", "add", "Unblocker", "--priority", "3", in: repo)
        try s.ok("task", "add", "Waits", "--dep", unblocker, in: repo)
        let out = try s.ok("next", "-n", "3", "--explain", in: repo)
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines[0].hasPrefix("1. \(high)"))
        #expect(out.contains("priority:   1"))
        #expect(out.contains("unblocks:   1"))
        #expect(out.contains("resume:     no"))
        let json = s.json(try s.ok("next", "-n", "3", "--json", in: repo))
        let ids = (json["candidates"] as? [[String: Any]] ?? []).compactMap {
            ($0["task"] as? [String: Any])?["id"] as? String
        }
        #expect(ids == [high, unblocker, low])
        let terms = (json["candidates"] as? [[String: Any]])?[1]["terms"] as? [String: Any]
        #expect(terms?["unblocks"] as? Int == 1)
        // Work in progress here comes first.
        try s.ok("task", "start", low, in: repo)
        let resumed = s.json(try s.ok("next", "--json", in: repo))
        let first = (resumed["candidates"] as? [[String: Any]])?.first
        #expect((first?["task"] as? [String: Any])?["id"] as? String == low)
        #expect((first?["terms"] as? [String: Any])?["resume"] as? Bool == true)
        // Another actor is not offered it.
        let other = try s.run(Sandbox.binary, ["next", "--json"], in: repo, env: ["CODEX_STATE_ACTOR": "someone-else"])
        #expect(!other.stdout.contains("\"id\": \"\(low)\"") || !other.stdout.contains("\"resume\": true"))
        // A claim takes the best ready task and says so.
        let claim = s.json(try s.ok("next", "--claim", "--json", in: repo))
        #expect(claim["claimed"] as? String == high)
        let shown = s.json(try s.ok("task", "show", high, "--json", in: repo))
        #expect(
            ((shown["task"] as? [String: Any])?["claim"] as? [String: Any])?["expires"] as? String
                == "2026-01-15T11:00:00Z")
    }

    @Test func emptyStatesSayWhatToDo() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        #expect(try s.ok("tasks", in: repo).contains("No tasks yet"))
        #expect(try s.ok("next", in: repo).contains("Nothing to do"))
        #expect(try s.ok("log", in: repo).contains("codex-state init"))
        let noneReady = try s.cs("next", "--claim", in: repo)
        #expect(noneReady.status == 1)
        #expect(noneReady.stderr.contains("no task is ready"))
    }
}
