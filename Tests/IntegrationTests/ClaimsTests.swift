import Foundation
import GitServers
import Testing

/// A bare repository (`served/remote.git`) and clones of it, each with the state and the claims
/// remote set (`codex-state.claimsRemote origin`, listings never cached unless a test says).
final class Fleet {
    let s: Sandbox
    let served: String
    let bare: String
    let servers: LoopbackServers
    var clones: [String] = []
    /// The tasks the first clone added, in order (all ready, none depending on another).
    var tasks: [String] = []

    init(_ s: Sandbox, clones count: Int, tasks taskCount: Int, transport: GitTransport = .file) throws {
        self.s = s
        served = s.path("served")
        bare = served + "/remote.git"
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        try s.git("init", "-q", "--bare", bare, in: s.root)
        servers = LoopbackServers(root: served, environment: s.env)
        let url = try servers.url(transport, "remote.git")
        let first = try s.repo("clone0")
        try s.ok("init", in: first)
        for i in 0..<taskCount { tasks.append(try s.ok("task", "add", "Task \(i)", "--priority", "2", in: first)) }
        try s.git("add", "-A", in: first)
        try s.git("commit", "-q", "-m", "state", in: first)
        try s.git("remote", "add", "origin", url, in: first)
        try s.git("push", "-q", "origin", "main", in: first)
        clones.append(first)
        for i in 1..<max(count, 1) {
            let dir = s.path("clone\(i)")
            try s.git("clone", "-q", url, dir, in: s.root)
            try s.ok("init", in: dir)
            clones.append(dir)
        }
        for dir in clones {
            try s.git("config", "codex-state.claimsRemote", "origin", in: dir)
            try s.git("config", "codex-state.claimsCacheSeconds", "0", in: dir)
        }
    }

    /// What the bare repository holds under refs/codex-state/claims/, by task.
    func refs() throws -> [String: String] {
        let out = try s.git("for-each-ref", "--format=%(refname) %(objectname)", "refs/codex-state/claims/", in: bare)
        var refs: [String: String] = [:]
        for line in out.split(separator: "\n") {
            let parts = line.split(separator: " ")
            refs[String(parts[0].dropFirst("refs/codex-state/claims/".count))] = String(parts[1])
        }
        return refs
    }

    /// The record a reference holds on the bare repository.
    func record(_ task: String) throws -> [String: Any] {
        s.json(try s.git("cat-file", "blob", "refs/codex-state/claims/\(task)", in: bare))
    }

    /// Puts `content` on the bare repository under `ref`, as another clone (or a hostile one)
    /// would.
    func plant(_ ref: String, _ content: String) throws {
        let scratch = s.path("scratch")
        if !FileManager.default.fileExists(atPath: scratch) { try s.git("init", "-q", scratch, in: s.root) }
        let oid = try s.run("git", ["hash-object", "-w", "--stdin"], in: scratch, stdin: content).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try s.git("push", "-q", "-f", bare, "\(oid):\(ref)", in: scratch)
    }

    /// A claim record of another clone, as codex-state writes it.
    static func record(task: String, actor: String, clone: String = "c-00000000000000aa", expires: String) -> String {
        #"{"actor":"\#(actor)","branch":"main","claimed":"2026-01-15T08:00:00Z","clone":"\#(clone)","commit":null,"expires":"\#(expires)","format":1,"nonce":"0123456789abcdef","task":"\#(task)"}"#
            + "\n"
    }
}

@Suite struct ClaimsTests {
    @Test func claimsListsTheRemotesClaimsWithTheirTasksStatusHere() throws {
        let s = try Sandbox()
        let fleet = try Fleet(s, clones: 1, tasks: 3)
        let dir = fleet.clones[0]
        let (a, b, c) = (fleet.tasks[0], fleet.tasks[1], fleet.tasks[2])
        try fleet.plant(
            "refs/codex-state/claims/\(a)", Fleet.record(task: a, actor: "bob", expires: "2026-01-15T11:00:00Z"))
        try fleet.plant(
            "refs/codex-state/claims/\(b)", Fleet.record(task: b, actor: "carol", expires: "2026-01-15T08:30:00Z"))
        try s.ok("complete", c, in: dir)
        try fleet.plant(
            "refs/codex-state/claims/\(c)", Fleet.record(task: c, actor: "dave", expires: "2026-01-15T11:00:00Z"))
        let text = try s.ok("claims", in: dir)
        #expect(text.contains("\(a)  bob  until 2026-01-15T11:00:00Z  clone c-00000000000000aa"))
        #expect(text.contains("\(b)  carol  expired 2026-01-15T08:30:00Z"))
        #expect(text.contains("[prunable: expired]"))
        #expect(text.contains("[prunable: done]"))
        let json = s.json(try s.ok("claims", "--json", in: dir))
        let claims = json["claims"] as? [[String: Any]] ?? []
        #expect(claims.map { $0["task"] as? String } == [a, b, c].sorted())
        let byTask = Dictionary(uniqueKeysWithValues: claims.map { ($0["task"] as? String ?? "", $0) })
        #expect(byTask[a]?["live"] as? Bool == true)
        #expect(byTask[a]?["prunable"] is NSNull)
        #expect(byTask[b]?["prunable"] as? String == "expired")
        #expect(byTask[c]?["prunable"] as? String == "done")
        #expect(byTask[c]?["task_status"] as? String == "done")
        #expect(json["current"] as? Bool == true)

        // check reports the claim on the finished task (CS090), not the live or the expired one.
        let check = try s.cs("check", "--format", "json", in: dir)
        let findings = (s.json(check.stdout)["findings"] as? [[String: Any]] ?? []).filter {
            ($0["code"] as? String)?.hasPrefix("CS09") == true
        }
        #expect(findings.map { $0["code"] as? String } == ["CS090"], "\(check.stdout)")
        #expect(findings.first?["entity"] as? String == c)

        // prune deletes the expired and the finished ones, only.
        let dry = try s.ok("claims", "prune", "--dry-run", in: dir)
        #expect(dry.contains("would delete refs/codex-state/claims/\(b) (expired)"))
        #expect(try fleet.refs().count == 3)
        let pruned = s.json(try s.ok("claims", "prune", "--json", in: dir))
        #expect((pruned["pruned"] as? [[String: Any]] ?? []).map { $0["result"] as? String } == ["deleted", "deleted"])
        #expect(try fleet.refs().keys.sorted() == [a])
    }

    @Test func hostileClaimReferencesAreSkippedWithOneWarningAndPruned() throws {
        let s = try Sandbox()
        let fleet = try Fleet(s, clones: 1, tasks: 2)
        let dir = fleet.clones[0]
        let (a, b) = (fleet.tasks[0], fleet.tasks[1])
        let live = "2026-01-15T11:00:00Z"
        try fleet.plant("refs/codex-state/claims/\(a)", Fleet.record(task: a, actor: "bob", expires: live))
        // A huge object, JSON that is not a record, a name that is no task id, a record naming
        // another task, escape codes in the actor, a record of a later format.
        try fleet.plant("refs/codex-state/claims/t-000000000a", String(repeating: "x", count: 100_000))
        try fleet.plant("refs/codex-state/claims/t-000000000b", "{\"format\":1}")
        try fleet.plant("refs/codex-state/claims/not-a-task", Fleet.record(task: a, actor: "x", expires: live))
        try fleet.plant("refs/codex-state/claims/t-000000000c", Fleet.record(task: b, actor: "x", expires: live))
        try fleet.plant(
            "refs/codex-state/claims/t-000000000d",
            Fleet.record(task: "t-000000000d", actor: "evil\u{1B}[2J", expires: live))
        try fleet.plant(
            "refs/codex-state/claims/t-000000000e",
            Fleet.record(task: "t-000000000e", actor: "x", expires: live).replacingOccurrences(
                of: "\"format\":1", with: "\"format\":7"))
        let r = try s.cs("tasks", in: dir)
        #expect(r.ok)
        let warnings = r.stderr.split(separator: "\n").filter { $0.contains("skipped") }
        #expect(warnings.count == 1, "\(r.stderr)")
        #expect(warnings.first?.contains("skipped 6 claim reference(s) on origin") == true, "\(r.stderr)")
        #expect(!r.stderr.contains("\u{1B}"))
        let report = s.json(try s.ok("claims", "--json", in: dir))
        #expect((report["claims"] as? [[String: Any]] ?? []).map { $0["task"] as? String } == [a])
        let skipped = report["skipped"] as? [[String: Any]] ?? []
        #expect(skipped.count == 6)
        #expect(
            skipped.filter { $0["prunable"] as? Bool == false }.map { $0["ref"] as? String } == [
                "refs/codex-state/claims/t-000000000e"
            ])
        #expect(try s.ok("claims", "--json", in: dir).contains("100000 bytes (at most 4096)"))
        let pruned = try s.ok("claims", "prune", in: dir)
        let left = try fleet.refs().keys.sorted()
        #expect(left == [a, "t-000000000e"].sorted(), "\(pruned)")
        // Nothing the remote sent was written anywhere but the cache.
        #expect(!FileManager.default.fileExists(atPath: s.path("etc")))
    }

    @Test func anUnreachableRemoteCostsOneBoundedAttemptThenBacksOff() throws {
        let s = try Sandbox()
        let fleet = try Fleet(s, clones: 1, tasks: 1)
        let dir = fleet.clones[0]
        let silent = try SilentPort()
        try s.git("remote", "set-url", "origin", "http://127.0.0.1:\(silent.port)/remote.git", in: dir)
        let env = ["CODEX_STATE_REMOTE_TIMEOUT": "1"]
        var start = Date()
        let first = try s.cs("tasks", in: dir, env: env)
        #expect(first.ok)
        #expect(Date().timeIntervalSince(start) < 5)
        #expect(first.stdout.contains(fleet.tasks[0]))
        let lines = first.stderr.split(separator: "\n").filter { $0.contains("claims") }
        #expect(lines.count == 1, "\(first.stderr)")
        #expect(lines.first?.contains("no answer within 1 s") == true, "\(first.stderr)")
        // The next command does not wait again: it says when the remote failed.
        start = Date()
        let second = try s.cs("next", in: dir, env: env)
        #expect(second.ok)
        #expect(Date().timeIntervalSince(start) < 1)
        #expect(second.stderr.contains("could not be reached at 2026-01-15T09:00:00Z"), "\(second.stderr)")
        // A refused connection fails at once.
        try s.git("remote", "set-url", "origin", "git://127.0.0.1:\(try GitServers.freePort())/remote.git", in: dir)
        start = Date()
        let third = try s.cs("claims", "--refresh", in: dir, env: env)
        #expect(third.ok)
        #expect(Date().timeIntervalSince(start) < 3)
        #expect(third.stderr.contains("warning: claims:"))
    }

    @Test func aBadSettingIsOneLineNamingIt() throws {
        let s = try Sandbox()
        let fleet = try Fleet(s, clones: 1, tasks: 1)
        let dir = fleet.clones[0]
        let r = try s.cs("claims", in: dir, env: ["CODEX_STATE_REMOTE_TIMEOUT": "soon"])
        #expect(r.status == 1)
        #expect(
            r.stderr == "codex-state: error: CODEX_STATE_REMOTE_TIMEOUT='soon': expected a positive number of seconds\n"
        )
        try s.git("config", "codex-state.claimsRemote", "--upload-pack=touch pwned", in: dir)
        let bad = try s.cs("claims", in: dir)
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("not a valid remote name"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/pwned"))
        try s.git("config", "--unset", "codex-state.claimsRemote", in: dir)
        let none = try s.cs("claims", in: dir)
        #expect(none.status == 1)
        #expect(none.stderr.contains("no claims remote"))
    }
}
