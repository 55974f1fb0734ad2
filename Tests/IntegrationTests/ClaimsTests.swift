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
    /// The tasks the first clone added, in the order `next` ranks them (all ready, none
    /// depending on another).
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
        // In the order `next --claim` takes them (same priority and age: by id).
        tasks.sort()
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

        // check reports the claim on the finished task (CS095), not the live or the expired one.
        let check = try s.cs("check", "--format", "json", in: dir)
        let findings = (s.json(check.stdout)["findings"] as? [[String: Any]] ?? []).filter {
            ($0["code"] as? String)?.hasPrefix("CS09") == true && $0["code"] as? String != "CS090"
        }
        #expect(findings.map { $0["code"] as? String } == ["CS095"], "\(check.stdout)")
        #expect(findings.first?["entity"] as? String == c)

        // prune deletes the expired and the finished ones, only.
        let dry = try s.ok("claims", "prune", "--dry-run", in: dir)
        #expect(dry.contains("would delete refs/codex-state/claims/\(b) (expired)"))
        #expect(try fleet.refs().count == 3)
        let pruned = s.json(try s.ok("claims", "prune", "--json", in: dir))
        #expect((pruned["pruned"] as? [[String: Any]] ?? []).map { $0["result"] as? String } == ["deleted", "deleted"])
        #expect(try fleet.refs().keys.sorted() == [a])
    }

    /// Plants a live claim of bob on the first task and six hostile references: a huge object,
    /// JSON that is not a record, a name that is no task id, a record naming another task,
    /// escape codes in the actor, a record of a later format.
    static func plantHostile(_ fleet: Fleet) throws {
        let (a, b) = (fleet.tasks[0], fleet.tasks[1])
        let live = "2026-01-15T11:00:00Z"
        try fleet.plant("refs/codex-state/claims/\(a)", Fleet.record(task: a, actor: "bob", expires: live))
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
    }

    @Test func hostileClaimReferencesAreListedAsSkippedAndPruned() throws {
        let s = try Sandbox()
        let fleet = try Fleet(s, clones: 1, tasks: 2)
        let dir = fleet.clones[0]
        let a = fleet.tasks[0]
        try Self.plantHostile(fleet)
        let text = try s.cs("claims", in: dir)
        #expect(text.ok, "\(text.stderr)")
        #expect(!text.stdout.contains("\u{1B}") && !text.stderr.contains("\u{1B}"))
        // `claims` shows the skipped references itself: no warning line about them.
        #expect(!text.stderr.contains("skipped"), "\(text.stderr)")
        let report = s.json(try s.ok("claims", "--json", in: dir))
        #expect((report["claims"] as? [[String: Any]] ?? []).map { $0["task"] as? String } == [a])
        let skipped = report["skipped"] as? [[String: Any]] ?? []
        #expect(skipped.count == 6)
        #expect(
            skipped.filter { $0["prunable"] as? Bool == false }.map { $0["ref"] as? String } == [
                "refs/codex-state/claims/t-000000000e"
            ])
        #expect(try s.ok("claims", "--json", in: dir).contains("100000 bytes (at most 4096)"))
        // check reports the unreadable ones (CS096), once each.
        let check = try s.cs("check", "--format", "json", in: dir)
        let cs091 = (s.json(check.stdout)["findings"] as? [[String: Any]] ?? []).filter {
            $0["code"] as? String == "CS096"
        }
        #expect(!cs091.isEmpty, "\(check.stdout)")
        let pruned = try s.ok("claims", "prune", in: dir)
        #expect(try fleet.refs().keys.sorted() == [a, "t-000000000e"].sorted(), "\(pruned)")
        // Nothing the remote sent was written anywhere but the cache: the clone's files are the
        // state, its index and the cache, and no path outside it was created.
        #expect(!FileManager.default.fileExists(atPath: s.path("etc")))
        #expect(!FileManager.default.fileExists(atPath: dir + "/not-a-task"))
    }

    @Test func hostileClaimReferencesAreSkippedByReadsWithOneWarning() throws {
        let s = try Sandbox()
        let fleet = try Fleet(s, clones: 1, tasks: 2)
        let dir = fleet.clones[0]
        try Self.plantHostile(fleet)
        let r = try s.cs("tasks", in: dir)
        #expect(r.ok)
        let warnings = r.stderr.split(separator: "\n").filter { $0.contains("skipped") }
        #expect(warnings.count == 1, "\(r.stderr)")
        #expect(warnings.first?.contains("skipped 6 claim reference(s) on origin") == true, "\(r.stderr)")
        #expect(!r.stderr.contains("\u{1B}"))
        // bob's live claim is shown, and the task is not offered.
        let places = try ClaimsAcrossClonesTests.places(s, dir)
        #expect(places[fleet.tasks[0]] == "remote:bob", "\(places)")
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
        // Named on the command line, a name git would not take is the command's error, not a warning.
        for args in [["next", "--remote=--upload-pack=touch pwned"], ["next", "--claim", "--remote=a\u{1B}[31mb"]] {
            let explicit = try s.run(Sandbox.binary, args, in: dir)
            #expect(explicit.status != 0, "\(args): \(explicit)")
            #expect(explicit.stderr.hasPrefix("codex-state: error: --remote '"), "\(explicit.stderr)")
            #expect(explicit.stderr.contains("not a valid remote name"))
            #expect(explicit.stderr.filter { $0 == "\n" }.count == 1 && !explicit.stderr.contains("\u{1B}"))
            #expect(explicit.stdout.isEmpty)
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/pwned"))
        try s.git("config", "--unset", "codex-state.claimsRemote", in: dir)
        let none = try s.cs("claims", in: dir)
        #expect(none.status == 1)
        #expect(none.stderr.contains("no claims remote"))
    }
}

/// Claims across clones (issue 22): concurrent claims, lost races, expiry and takeover,
/// release, refusing and unreachable servers; over file://, git daemon and smart HTTP.
@Suite struct ClaimsAcrossClonesTests {
    /// `next --claim --json` in `dir` as `actor`: the claimed task, or nil when it failed.
    static func claim(_ s: Sandbox, _ dir: String, actor: String, env: [String: String] = [:]) throws -> (
        id: String?, run: Run
    ) {
        let r = try s.cs("next", "--claim", "--json", in: dir, env: env.merging(["CODEX_STATE_ACTOR": actor]) { $1 })
        return (r.ok ? s.json(r.stdout)["claimed"] as? String : nil, r)
    }

    /// Where `tasks --json` in `dir` says each task is in progress, by task.
    static func places(_ s: Sandbox, _ dir: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for (id, t) in try s.tasks(in: dir) where t["effective_status"] as? String == "in_progress" {
            out[id] = ((t["elsewhere"] as? [String: Any])?["place"] as? String) ?? "here"
        }
        return out
    }

    @Test(arguments: [(GitTransport.file, 8), (.daemon, 4), (.http, 4)])
    func clonesClaimingAtOnceGetDistinctTasksAndEverySeesEveryClaim(_ transport: GitTransport, _ count: Int) throws {
        let s = try Sandbox()
        let fleet = try Fleet(s, clones: count, tasks: count + 2, transport: transport)
        let sandbox = s
        let clones = fleet.clones
        let results = try simultaneously(count) { i in
            try Self.claim(sandbox, clones[i], actor: "agent\(i)")
        }
        for (i, r) in results.enumerated() { #expect(r.id != nil, "clone \(i): \(r.run.stderr)") }
        let claimed = results.compactMap(\.id)
        #expect(Set(claimed).count == count, "\(claimed)")
        // Every claim is on the remote, each naming its claimer.
        let refs = try fleet.refs()
        #expect(Set(refs.keys) == Set(claimed))
        for (i, id) in results.map(\.id).enumerated() {
            guard let id else { continue }
            #expect(try fleet.record(id)["actor"] as? String == "agent\(i)")
        }
        // Every clone sees every claim at its next read: its own here, the others' on the remote.
        for (i, dir) in clones.enumerated() {
            let places = try Self.places(s, dir)
            for (j, id) in results.map(\.id).enumerated() {
                guard let id else { continue }
                #expect(places[id] == (i == j ? "here" : "remote:agent\(j)"), "clone \(i) on \(id): \(places)")
            }
            let offered =
                try s.json(s.ok("next", "-n", "10", "--json", in: dir))["candidates"] as? [[String: Any]] ?? []
            let ids = Set(offered.compactMap { ($0["task"] as? [String: Any])?["id"] as? String })
            #expect(ids.isDisjoint(with: Set(claimed).subtracting([results[i].id ?? ""])), "clone \(i) offers \(ids)")
        }
    }

    @Test func aLostPushTakesTheNextBestTaskInTheSameCommand() throws {
        let s = try Sandbox()
        let fleet = try Fleet(s, clones: 2, tasks: 3)
        let (a, b) = (fleet.clones[0], fleet.clones[1])
        // b lists the claims before a claims, and keeps that listing for a minute.
        try s.git("config", "codex-state.claimsCacheSeconds", "60", in: b)
        _ = try s.ok("tasks", in: b)
        let first = try Self.claim(s, a, actor: "alice")
        #expect(first.id == fleet.tasks[0], "\(first.run.stderr)")
        // b's listing does not show a's claim: b picks the same task, loses the push, and takes
        // the next one without failing.
        let second = try Self.claim(s, b, actor: "bob")
        #expect(second.id == fleet.tasks[1], "\(second.run.stderr)")
        #expect(try fleet.refs().keys.sorted() == [fleet.tasks[0], fleet.tasks[1]].sorted())
        // Nothing of the lost claim was written in b: its own state has the first task open and
        // its journal one claim.
        let tasks = try s.tasks(in: b)
        #expect(tasks[fleet.tasks[0]]?["status"] as? String == "open")
        let place = (tasks[fleet.tasks[0]]?["elsewhere"] as? [String: Any])?["place"] as? String
        #expect(place == "remote:alice")
        let log = s.json("{\"ops\":" + (try s.ok("log", "--json", in: b)) + "}")["ops"] as? [[String: Any]] ?? []
        #expect(log.filter { ($0["command"] as? String)?.contains("--claim") == true }.count == 1)
    }

    @Test func anExpiredClaimIsTakenOverByExactlyOneOfSeveralClones() throws {
        let s = try Sandbox()
        let fleet = try Fleet(s, clones: 5, tasks: 1)
        let task = fleet.tasks[0]
        let first = try s.cs("next", "--claim", "--lease", "1", in: fleet.clones[0])
        #expect(first.ok, "\(first.stderr)")
        let old = try fleet.refs()[task]
        // Five minutes later the claim expired: four clones try to take the task at once.
        let later = ["CODEX_STATE_NOW": "2026-01-15T09:05:00Z"]
        let sandbox = s
        let takers = Array(fleet.clones.dropFirst())
        let results = try simultaneously(takers.count) { i in
            try Self.claim(sandbox, takers[i], actor: "taker\(i)", env: later)
        }
        let winners = results.indices.filter { results[$0].id == task }
        #expect(winners.count == 1, "\(results.map { $0.run.stderr })")
        for (i, r) in results.enumerated() where !winners.contains(i) {
            #expect(r.run.status == 1)
            #expect(r.run.stderr.contains("no task is ready to claim"), "\(r.run.stderr)")
        }
        let now = try fleet.refs()[task]
        #expect(now != old)
        if let w = winners.first { #expect(try fleet.record(task)["actor"] as? String == "taker\(w)") }
    }

    @Test func completeCancelAndBlockReleaseTheClaim() throws {
        let s = try Sandbox()
        let fleet = try Fleet(s, clones: 2, tasks: 3)
        let dir = fleet.clones[0]
        for _ in 0..<3 { #expect(try Self.claim(s, dir, actor: "alice").id != nil) }
        #expect(try fleet.refs().count == 3)
        try s.ok("complete", fleet.tasks[0], in: dir)
        try s.ok("task", "cancel", fleet.tasks[1], "--reason", "not needed", in: dir)
        try s.ok("task", "block", fleet.tasks[2], "--reason", "waiting on the vendor", in: dir)
        #expect(try fleet.refs().isEmpty)
        // The other clone sees none of them in progress any more.
        #expect(try Self.places(s, fleet.clones[1]).isEmpty)
    }

    @Test func taskStartRespectsAnotherClonesClaimUnlessForced() throws {
        let s = try Sandbox()
        let fleet = try Fleet(s, clones: 2, tasks: 1)
        let task = fleet.tasks[0]
        #expect(try Self.claim(s, fleet.clones[0], actor: "alice").id == task)
        let refused = try s.cs("task", "start", task, in: fleet.clones[1], env: ["CODEX_STATE_ACTOR": "bob"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("in progress in remote:alice"), "\(refused.stderr)")
        #expect(try fleet.record(task)["actor"] as? String == "alice")
        let forced = try s.cs("task", "start", task, "--force", in: fleet.clones[1], env: ["CODEX_STATE_ACTOR": "bob"])
        #expect(forced.ok, "\(forced.stderr)")
        #expect(try fleet.record(task)["actor"] as? String == "bob")
        // alice's clone now sees bob's claim.
        #expect(try Self.places(s, fleet.clones[0])[task] == "here")
    }

    @Test(arguments: GitTransport.allCases)
    func aServerRefusingTheReferencesIsSaidOnceAndClaimsStayLocal(_ transport: GitTransport) throws {
        let s = try Sandbox()
        let fleet = try Fleet(s, clones: 1, tasks: 2, transport: transport)
        let hook = fleet.bare + "/hooks/pre-receive"
        try s.write(
            hook,
            "#!/bin/sh\nwhile read o n r; do case $r in refs/codex-state/*) echo no custom refs >&2; exit 1;; esac; done\n"
        )
        chmod(hook, 0o755)
        let dir = fleet.clones[0]
        for _ in 0..<2 {
            let r = try Self.claim(s, dir, actor: "alice")
            #expect(r.id != nil, "\(r.run.stderr)")
            let lines = r.run.stderr.split(separator: "\n").filter { $0.contains("claims") }
            #expect(lines.count == 1, "\(r.run.stderr)")
            #expect(lines.first?.contains("origin refuses refs/codex-state/claims/*") == true, "\(r.run.stderr)")
        }
        #expect(try fleet.refs().isEmpty)
        #expect(try s.ok("claims", in: dir).contains("the remote refused a claim reference"))
    }

    @Test func anUnreachableRemoteLeavesTheClaimLocalWithinTheTimeout() throws {
        let s = try Sandbox()
        let fleet = try Fleet(s, clones: 1, tasks: 1)
        let dir = fleet.clones[0]
        let silent = try SilentPort()
        try s.git("remote", "set-url", "origin", "git://127.0.0.1:\(silent.port)/remote.git", in: dir)
        let start = Date()
        let r = try Self.claim(s, dir, actor: "alice", env: ["CODEX_STATE_REMOTE_TIMEOUT": "1"])
        #expect(r.id == fleet.tasks[0], "\(r.run.stderr)")
        #expect(Date().timeIntervalSince(start) < 5)
        #expect(r.run.stderr.split(separator: "\n").filter { $0.contains("claims") }.count == 1, "\(r.run.stderr)")
    }
}

/// The other surfaces over the same read model and write path: the MCP tools, the preamble, the
/// hooks.
@Suite struct ClaimsSurfacesTests {
    @Test(.enabled(if: PythonMCP.python != nil))
    func theMCPToolsSeeRemoteClaimsAndPublishTheirOwn() throws {
        let s = try Sandbox()
        let fleet = try Fleet(s, clones: 2, tasks: 3)
        let (a, b) = (fleet.clones[0], fleet.clones[1])
        #expect(try ClaimsAcrossClonesTests.claim(s, a, actor: "alice").id == fleet.tasks[0])
        let o = try MCPServerTests().session(
            s, in: b,
            [
                ("tasks", [:]),
                ("next", [:]),
                ("preamble", [:]),
                ("next", ["claim": true]),
                ("complete", ["id": fleet.tasks[1]]),
            ], extra: ["--actor", "bob"])
        #expect(o.results.allSatisfy { !$0.error }, "\(o.results.filter(\.error))")
        #expect(o.results[0].text.contains("remote:alice"), "\(o.results[0].text)")
        #expect(!o.results[1].text.contains(fleet.tasks[0]), "\(o.results[1].text)")
        #expect(
            !o.results[2].text.contains(fleet.tasks[0]) || o.results[2].text.contains("remote:alice"),
            "\(o.results[2].text)")
        #expect(o.results[3].text.contains(fleet.tasks[1]), "\(o.results[3].text)")
        // bob's claim went to the remote, and its completion released it.
        #expect(try fleet.refs().keys.sorted() == [fleet.tasks[0]])
    }

    @Test func thePreambleDoesNotOfferARemoteClaim() throws {
        let s = try Sandbox()
        let fleet = try Fleet(s, clones: 2, tasks: 2)
        let (a, b) = (fleet.clones[0], fleet.clones[1])
        #expect(try ClaimsAcrossClonesTests.claim(s, a, actor: "alice").id == fleet.tasks[0])
        let preamble = try s.ok("preamble", in: b)
        let ready = preamble.components(separatedBy: "\n").filter { $0.contains(fleet.tasks[0]) }
        #expect(ready.allSatisfy { $0.contains("remote:alice") }, "\(preamble)")
        #expect(preamble.contains(fleet.tasks[1]), "\(preamble)")
    }

    @Test func aHookNeverReachesTheClaimsRemote() throws {
        let s = try Sandbox()
        let fleet = try Fleet(s, clones: 1, tasks: 1)
        let dir = fleet.clones[0]
        #expect(try ClaimsAcrossClonesTests.claim(s, dir, actor: "alice").id == fleet.tasks[0])
        // The remote goes silent: a hook answers at once, from what is cached, and says nothing
        // about the remote.
        let silent = try SilentPort()
        try s.git("remote", "set-url", "origin", "git://127.0.0.1:\(silent.port)/remote.git", in: dir)
        let start = Date()
        let hook = try s.cs("hook", "post-checkout", "0", "0", "1", in: dir, env: ["CODEX_STATE_REMOTE_TIMEOUT": "3"])
        #expect(Date().timeIntervalSince(start) < 2.5, "\(hook.stderr)")
        #expect(!hook.stderr.contains("claims"), "\(hook.stderr)")
    }
}
