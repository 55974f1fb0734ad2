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

@Suite struct SafetyTests {
    @Test func helpAndVersionExitZero() throws {
        let s = try Sandbox()
        for args in [["--help"], ["-h"], ["--version"], ["task", "add", "--help"], ["help", "next"]] {
            let r = try s.run(Sandbox.binary, args, in: s.root)
            #expect(r.ok, "\(args): \(r.stderr)")
            #expect(!r.stdout.isEmpty)
            #expect(r.stderr.isEmpty)
        }
    }

    @Test func anotherActorsClaimIsRespectedUntilItExpires() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        let a = try s.ok("task", "add", "A", in: repo)
        let claim = s.json(
            try s.run(
                Sandbox.binary, ["next", "--claim", "--json", "--lease", "30"], in: repo,
                env: ["CODEX_STATE_ACTOR": "bob"]
            ).stdout)
        #expect(claim["claimed"] as? String == a)
        let refused = try s.cs("task", "start", a, in: repo)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("claimed by bob until 2026-01-15T09:30:00Z"))
        // After the lease, anyone may take it over; before it, --force does.
        let later = try s.cs("task", "start", a, in: repo, env: ["CODEX_STATE_NOW": "2026-01-15T09:31:00Z"])
        #expect(later.ok, "\(later.stderr)")
        let b = try s.ok("task", "add", "B", in: repo)
        _ = try s.run(Sandbox.binary, ["task", "start", b], in: repo, env: ["CODEX_STATE_ACTOR": "bob"])
        _ = try s.run(Sandbox.binary, ["next", "--claim"], in: repo, env: ["CODEX_STATE_ACTOR": "carol"])
        #expect(try s.cs("task", "start", b, "--force", in: repo).ok)
    }

    @Test func reCompletingKeepsTheEarlierAnchor() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        let a = try s.ok("task", "add", "A", in: repo)
        let first = try s.git("rev-parse", "HEAD", in: repo)
        try s.ok("complete", a, "--commit", "HEAD", in: repo)
        try s.commit("f", "x\n", "more", in: repo)
        try s.ok("complete", a, "--commit", "HEAD", in: repo)
        let shown = try s.ok("task", "show", a, in: repo)
        #expect(shown.contains("re-completed; was completed by tester at commit \(first)"))
    }

    @Test func unknownFieldsAreNeverSilentlyDropped() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        let a = try s.ok("task", "add", "A", in: repo)
        let file = repo + "/.codex-state/project_state.json"
        let edited = try s.read(file).replacingOccurrences(
            of: "\"title\": \"A\"", with: "\"title\": \"A\",\n      \"estimate\": 3")
        try s.write(file, edited)
        // Reading is fine; a write that would lose the field is refused and changes nothing.
        #expect(try s.tasks(in: repo)[a] != nil)
        let r = try s.cs("task", "add", "B", in: repo)
        #expect(r.status == 1)
        #expect(r.stderr.contains("unknown field 'tasks.\(a).estimate'"))
        #expect(try s.read(file) == edited)
        // An explicit null is the same as absent: nothing to lose, the rewrite is canonical.
        try s.write(file, edited.replacingOccurrences(of: "\"estimate\": 3", with: "\"body\": null"))
        #expect(try s.cs("task", "add", "B", in: repo).ok)
        #expect(!(try s.read(file)).contains("null"))
    }

    @Test func heldLockTimesOutWithAClearMessage() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        let file = repo + "/.codex-state/project_state.json"
        let before = s.bytes(file)
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = [repo + "/.git/codex-state/lock", "sleep", "5"]
        try holder.run()
        defer { holder.terminate() }
        usleep(300_000)
        let r = try s.cs("task", "add", "x", in: repo, env: ["CODEX_STATE_LOCK_TIMEOUT": "0.3"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("lock"))
        #expect(r.stderr.contains("try again"))
        #expect(s.bytes(file) == before)
        let bad = try s.cs("task", "add", "x", in: repo, env: ["CODEX_STATE_LOCK_TIMEOUT": "soon"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("CODEX_STATE_LOCK_TIMEOUT='soon'"))
    }
}
