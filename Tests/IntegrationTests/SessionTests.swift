import Foundation
import GitKit
import StateModel
import Testing
import Workspace

@Suite struct SessionTests {
    /// A repository with codex-state initialised and committed (with whatever else `init`
    /// adds, such as `.gitattributes`), on `main`. Without the hooks: these tests drive
    /// `switchSession` themselves, as the post-checkout hook does (HookTests covers the hook).
    func project(_ s: Sandbox) throws -> String {
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "codex-state", in: repo)
        return repo
    }

    /// Session file names in a worktree, sorted.
    func sessionFiles(_ dir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir + "/.codex-state/sessions")
            .filter { $0.hasSuffix(".json") }.sorted()
    }

    func record(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> SessionRecord {
        let data = try #require(FileManager.default.contents(atPath: path), sourceLocation: sourceLocation)
        return try JSONDecoder().decode(SessionRecord.self, from: data)
    }

    /// A workspace as a hook process would open it, with the sandbox's environment.
    func workspace(_ s: Sandbox, _ dir: String, now: String? = nil) throws -> Workspace {
        var env = s.env
        if let now { env["CODEX_STATE_NOW"] = now }
        return try Workspace(directory: dir, environment: env)
    }

    /// `<YYYYMMDDTHHMMSSZ>_<safe slug>_<s-10 hex>.json`.
    func isWellNamed(_ name: String) -> Bool {
        guard let parts = SessionNaming.parse(fileName: name) else { return false }
        let timeOK = parts.time.utf8.enumerated().allSatisfy { i, c in
            i == 8 ? c == 0x54 : i == 15 ? c == 0x5A : (c >= 0x30 && c <= 0x39)
        }
        let slugOK = parts.slug.utf8.allSatisfy {
            ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E
        }
        return timeOK && slugOK && !parts.slug.contains("..") && parts.slug.count <= SessionNaming.slugLimit
    }

    @Test func startEndWritesOneCanonicalFileWithCommitsFilesAndTasks() throws {
        let s = try Sandbox()
        let repo = try project(s)
        let existing = try s.ok("task", "add", "Existing", in: repo)
        let other = try s.ok("task", "add", "Other", in: repo)
        try s.git("commit", "-q", "-am", "two tasks", in: repo)
        let headStart = try s.git("rev-parse", "HEAD", in: repo)

        let started = try s.ok("session", "start", "--summary", "Plan the work", in: repo)
        #expect(started.hasPrefix("Started session s-"))
        #expect(FileManager.default.fileExists(atPath: repo + "/.git/codex-state/open-session.json"))
        #expect(try s.git("status", "--porcelain", in: repo).isEmpty)  // nothing in the working tree

        let created = try s.ok("task", "add", "Created in session", in: repo)
        try s.ok("task", "start", existing, in: repo)
        try s.ok("task", "edit", other, "--priority", "1", in: repo)
        try s.commit("src/a.swift", "let a = 1\n", "Add a", in: repo)
        try s.commit("docs/b.md", "# b\n", "Add b", in: repo)
        try s.ok("complete", existing, in: repo)
        let headEnd = try s.git("rev-parse", "HEAD", in: repo)

        let end = try s.run(
            Sandbox.binary,
            [
                "session", "end", "--summary", "Did A and B", "--follow-up", "Write tests", "--follow-up", "Docs",
                "--decision", "Use X",
            ], in: repo, env: ["CODEX_STATE_NOW": "2026-01-15T10:30:00Z"])
        #expect(end.ok, "\(end.stderr)")
        let files = try sessionFiles(repo)
        try #require(files.count == 1)
        let name = files[0]
        #expect(name.hasPrefix("20260115T103000Z_main_s-") && isWellNamed(name))
        #expect(end.stdout.hasPrefix(".codex-state/sessions/" + name + "\n"))
        #expect(!FileManager.default.fileExists(atPath: repo + "/.git/codex-state/open-session.json"))

        let path = repo + "/.codex-state/sessions/" + name
        let r = try record(path)
        #expect(try CanonicalJSON.encode(r) == Array(try #require(s.bytes(path))))
        #expect(r.schema == 1 && r.branch == "main" && r.actor == "tester" && r.source == "cli")
        #expect(r.closedBy == "session-end")
        #expect(name.hasSuffix("_\(r.id).json"))
        #expect(r.headStart == headStart && r.headEnd == headEnd)
        #expect(r.started == Timestamp(iso8601: "2026-01-15T09:00:00Z"))
        #expect(r.ended == Timestamp(iso8601: "2026-01-15T10:30:00Z"))
        #expect(r.summary == "Did A and B")
        #expect(r.followUps == ["Write tests", "Docs"] && r.decisions == ["Use X"])
        #expect(r.commits.map(\.subject) == ["Add b", "Add a"])
        #expect(r.commits.first?.sha == headEnd && r.commitsOmitted == 0)
        #expect(r.files == ["docs/b.md", "src/a.swift"] && r.filesOmitted == 0)
        #expect(r.tasksCreated == [SessionTask(id: created, title: "Created in session")])
        #expect(r.tasksStarted.map(\.id) == [existing])
        #expect(r.tasksCompleted.map(\.id) == [existing])
        #expect(r.tasksUpdated.map(\.id) == [other])

        // The end is journaled, with no entity changes: the state file is not touched.
        let log = try JSONSerialization.jsonObject(with: Data(try s.ok("log", "-n", "1", "--json", in: repo).utf8))
        let last = try #require((log as? [[String: Any]])?.first)
        #expect((last["command"] as? String)?.contains("session end") == true)
        #expect((last["changes"] as? [Any])?.isEmpty == true)
        #expect(last["state_before"] as? String == last["state_after"] as? String)

        // Ending again: nothing is open, nothing is overwritten.
        let bytes = s.bytes(path)
        let again = try s.cs("session", "end", "--summary", "again", in: repo)
        #expect(again.status == 1)
        #expect(again.stderr.contains("no session is open"))
        #expect(try sessionFiles(repo) == files)
        #expect(s.bytes(path) == bytes)
    }

    @Test func commitsAndFilesAreCappedAndCounted() throws {
        let s = try Sandbox()
        let repo = try project(s)
        try s.ok("session", "start", in: repo)
        for i in 0..<205 { try s.write(repo + "/many/f\(i).txt", "\(i)\n") }
        try s.git("add", "many", in: repo)
        try s.git("commit", "-q", "-m", "many files", in: repo)
        for i in 0..<(SessionRecord.commitLimit + 2) {
            try s.git("commit", "-q", "--allow-empty", "-m", "empty \(i)", in: repo)
        }
        let out = try s.ok("session", "end", "--json", in: repo)
        let r = try record(repo + "/" + (s.json(out)["file"] as? String ?? ""))
        #expect(r.commits.count == SessionRecord.commitLimit)
        #expect(r.commitsOmitted == 3)
        #expect(r.commits.first?.subject == "empty \(SessionRecord.commitLimit + 1)")
        #expect(r.files.count == SessionRecord.fileLimit && r.filesOmitted == 5)
        #expect(r.files == r.files.sorted())
        let show = try s.ok("session", "show", r.id, in: repo)
        #expect(show.contains("commits (53):") && show.contains("… and 3 more") && show.contains("… and 5 more"))
    }

    @Test func idleCheckoutSessionsWriteNothing() throws {
        let s = try Sandbox()
        let repo = try project(s)
        let base = try s.git("rev-parse", "HEAD", in: repo)
        try s.git("checkout", "-q", "-b", "feature", in: repo)

        // main -> feature: nothing was open; a hook session opens on feature.
        let first = try workspace(s, repo).switchSession(
            fromBranch: "main", toBranch: "feature", head: base, previousHead: base)
        #expect(first.closed == nil && !first.kept)
        #expect(first.session.branch == "feature" && first.session.source == "checkout-hook")
        #expect(first.session.headStart == base)

        // feature -> main with no activity: discarded, nothing written, nothing journaled.
        try s.git("checkout", "-q", "main", in: repo)
        let journal = repo + "/.git/codex-state/journal.jsonl"
        let journalBefore = s.bytes(journal)
        let second = try workspace(s, repo).switchSession(
            fromBranch: "feature", toBranch: "main", head: base, previousHead: base)
        #expect(second.closed == .discarded(first.session))
        #expect(try sessionFiles(repo).isEmpty)
        #expect(s.bytes(journal) == journalBefore)

        // Checking out the branch already checked out keeps its session.
        let same = try workspace(s, repo).switchSession(fromBranch: "main", toBranch: "main", head: base)
        #expect(same.kept && same.session == second.session && same.closed == nil)

        // A commit on main is activity: switching away writes the main session.
        try s.commit("x.txt", "x\n", "Work on main", in: repo)
        let tip = try s.git("rev-parse", "HEAD", in: repo)
        try s.git("checkout", "-q", "feature", in: repo)
        let third = try workspace(s, repo, now: "2026-01-15T11:00:00Z").switchSession(
            fromBranch: "main", toBranch: "feature", head: base, previousHead: tip)
        guard case .written(let entry)? = third.closed else {
            Issue.record("expected a written session, got \(String(describing: third.closed))")
            return
        }
        // Written while feature is checked out: into the clone's archive, not feature's tree.
        #expect(entry.file == repo + "/.git/codex-state/sessions/20260115T110000Z_main_\(second.session.id).json")
        #expect(entry.record.closedBy == "checkout-hook" && entry.record.source == "checkout-hook")
        #expect(entry.record.headStart == base && entry.record.headEnd == tip)
        #expect(entry.record.commits.map(\.subject) == ["Work on main"] && entry.record.files == ["x.txt"])
        #expect(try sessionFiles(repo).isEmpty)

        // A task touched on feature, no commit: also activity.
        let t = try s.ok("task", "add", "Feature task", in: repo)
        try s.git("checkout", "-q", "main", in: repo)
        let fourth = try workspace(s, repo, now: "2026-01-15T12:00:00Z").switchSession(
            fromBranch: "feature", toBranch: "main", head: tip, previousHead: base)
        guard case .written(let featureEntry)? = fourth.closed else {
            Issue.record("expected a written session, got \(String(describing: fourth.closed))")
            return
        }
        #expect(featureEntry.record.tasksCreated.map(\.id) == [t] && featureEntry.record.commits.isEmpty)

        // `session start` over an idle hook session drops it quietly and opens its own.
        let start = s.json(try s.ok("session", "start", "--json", in: repo))
        let closed = start["closed"] as? [String: Any]
        #expect(closed?["outcome"] as? String == "discarded" && closed?["id"] as? String == fourth.session.id)
        #expect((start["session"] as? [String: Any])?["source"] as? String == "cli")
        // Back on main, main's session arrived in its working tree; feature's waits for feature.
        #expect(try sessionFiles(repo) == ["20260115T110000Z_main_\(second.session.id).json"])
        #expect(try s.ok("session", "list", "--all", in: repo).contains(fourth.closed.map { _ in "feature" } ?? "?"))
    }

    @Test func linkedWorktreesEachHoldTheirOwnOpenSession() throws {
        let s = try Sandbox()
        let repo = try project(s)
        let wt = s.path("wt")
        try s.git("worktree", "add", "-q", "-b", "side", wt, in: repo)

        try s.ok("session", "start", "--summary", "main work", in: repo)
        try s.ok("session", "start", "--summary", "side work", in: wt)
        #expect(FileManager.default.fileExists(atPath: repo + "/.git/codex-state/open-session.json"))
        #expect(FileManager.default.fileExists(atPath: repo + "/.git/worktrees/wt/codex-state/open-session.json"))
        let mainOpen = try #require(s.json(try s.ok("session", "list", "--json", in: repo))["open"] as? [String: Any])
        let sideOpen = try #require(s.json(try s.ok("session", "list", "--json", in: wt))["open"] as? [String: Any])
        #expect(mainOpen["branch"] as? String == "main" && sideOpen["branch"] as? String == "side")
        #expect(mainOpen["id"] as? String != sideOpen["id"] as? String)

        // The journal is shared by the clone, but each session counts only its own worktree.
        let t = try s.ok("task", "add", "In main", in: repo)
        try s.commit("side.txt", "side\n", "Side commit", in: wt)
        let sideEnd = try s.ok("session", "end", "--json", in: wt)
        let side = try record(wt + "/" + (s.json(sideEnd)["file"] as? String ?? ""))
        #expect(side.branch == "side" && side.tasksCreated.isEmpty)
        #expect(side.commits.map(\.subject) == ["Side commit"])
        #expect(try sessionFiles(repo).isEmpty)
        // The main worktree's session is still open, and sees its own task.
        #expect(s.json(try s.ok("session", "list", "--json", in: repo))["open"] is [String: Any])
        let mainEnd = try s.ok("session", "end", "--json", in: repo)
        let main = try record(repo + "/" + (s.json(mainEnd)["file"] as? String ?? ""))
        #expect(main.tasksCreated.map(\.id) == [t] && main.commits.isEmpty && main.summary == "main work")
    }

    @Test func unusualBranchNamesBecomeSafeSlugs() throws {
        let s = try Sandbox()
        let repo = try project(s)
        // Names git accepts: slashes, unicode, upper case, dots.
        for (i, name) in ["feature/über-cool", "UPPER/Case", "release/1.2.3", "a/b", "a-b"].enumerated() {
            try s.git("checkout", "-q", "-b", name, "main", in: repo)
            try s.ok("session", "start", in: repo)
            try s.commit("f\(i).txt", "\(i)\n", "on \(name)", in: repo)
            let file = s.json(try s.ok("session", "end", "--json", in: repo))["file"] as? String ?? ""
            let fileName = String(file.split(separator: "/").last ?? "")
            #expect(isWellNamed(fileName), "\(name) -> \(fileName)")
            #expect(file == ".codex-state/sessions/" + fileName)
            let listed = s.json(try s.ok("session", "list", "--branch", name, "--json", in: repo))
            #expect((listed["sessions"] as? [[String: Any]])?.map { $0["file"] as? String } == [file])
        }
        // a/b and a-b never share a slug.
        let slugs = try sessionFiles(repo).compactMap { SessionNaming.parse(fileName: $0)?.slug }
        #expect(Set(slugs).count == slugs.count)
        #expect(slugs.contains("a-b"))

        // Names git refuses can still reach the API (a hook given odd input): still safe names.
        try s.git("checkout", "-q", "main", in: repo)
        let head = try s.git("rev-parse", "HEAD", in: repo)
        for (i, name) in ["a..b", "my branch", "../../etc/passwd", ".hidden", String(repeating: "long/", count: 30)]
            .enumerated()
        {
            let now = "2026-01-16T0\(i):00:00Z"
            let ws = try workspace(s, repo, now: now)
            _ = try ws.switchSession(fromBranch: "main", toBranch: name, head: head)
            let end = try ws.endSession(summary: "on \(name)", decisions: [], followUps: [], command: "test")
            let fileName = String(end.entry.file.split(separator: "/").last ?? "")
            #expect(isWellNamed(fileName), "\(name.debugDescription) -> \(fileName)")
            let path = end.entry.file.hasPrefix("/") ? end.entry.file : repo + "/" + end.entry.file
            #expect(FileManager.default.fileExists(atPath: path))
            #expect(try workspace(s, repo).lastSession(onBranch: name)?.id == end.entry.record.id)
        }
        #expect(!FileManager.default.fileExists(atPath: s.root + "/etc"))
        #expect(!FileManager.default.fileExists(atPath: repo + "/.codex-state/etc"))
    }

    @Test func startWhileOpenNamesTheSessionAndReplaceEndsIt() throws {
        let s = try Sandbox()
        let repo = try project(s)
        let first = s.json(try s.ok("session", "start", "--json", in: repo))
        let id = try #require((first["session"] as? [String: Any])?["id"] as? String)
        let again = try s.cs("session", "start", in: repo)
        #expect(again.status == 1)
        #expect(again.stderr.contains(id) && again.stderr.contains("--replace"))
        #expect(again.stderr.split(separator: "\n").count == 1)

        let replaced = try s.run(
            Sandbox.binary, ["session", "start", "--replace", "--json"], in: repo,
            env: ["CODEX_STATE_NOW": "2026-01-15T09:30:00Z"])
        #expect(replaced.ok, "\(replaced.stderr)")
        let closed = try #require(s.json(replaced.stdout)["closed"] as? [String: Any])
        #expect(closed["id"] as? String == id && closed["outcome"] as? String == "written")
        let file = try #require(closed["file"] as? String)
        #expect(try record(repo + "/" + file).closedBy == "session-start")

        #expect(try s.cs("session", "end", in: repo).ok)
        let twice = try s.cs("session", "end", in: repo)
        #expect(twice.status == 1 && twice.stderr.contains("no session is open"))
        #expect(try sessionFiles(repo).count == 2)

        // Usage errors exit 2.
        #expect(try s.cs("session", "start", "--summary", " ", in: repo).status == 2)
        #expect(try s.cs("session", "list", "--all", "--branch", "main", in: repo).status == 2)
    }

    @Test func listShowsNewestFirstMarksTheOpenOneAndShowFindsByPrefixOrFile() throws {
        let s = try Sandbox()
        let repo = try project(s)
        func session(_ summary: String, at time: String) throws -> String {
            let r = try s.run(
                Sandbox.binary, ["session", "start", "--replace", "--summary", summary], in: repo,
                env: ["CODEX_STATE_NOW": time])
            #expect(r.ok, "\(r.stderr)")
            let end = try s.run(
                Sandbox.binary, ["session", "end", "--json"], in: repo, env: ["CODEX_STATE_NOW": time])
            #expect(end.ok, "\(end.stderr)")
            return (s.json(end.stdout)["session"] as? [String: Any])?["id"] as? String ?? ""
        }
        let older = try session("older", at: "2026-01-15T09:00:00Z")
        let newer = try session("newer", at: "2026-01-15T10:00:00Z")
        try s.git("checkout", "-q", "-b", "feature", in: repo)
        let onFeature = try session("feature work", at: "2026-01-15T11:00:00Z")
        try s.git("checkout", "-q", "main", in: repo)
        try s.ok("session", "start", "--summary", "in progress", in: repo)

        let list = s.json(try s.ok("session", "list", "--json", in: repo))
        let items = try #require(list["sessions"] as? [[String: Any]])
        #expect(items.map { $0["id"] as? String } == [newer, older])
        let open = try #require(list["open"] as? [String: Any])
        #expect(open["summary"] as? String == "in progress" && open["source"] as? String == "cli")
        #expect(Set(open.keys) == ["id", "branch", "head_start", "actor", "started", "source", "summary"])
        let item = items[0]
        #expect(
            Set(item.keys) == [
                "id", "file", "branch", "head_start", "head_end", "actor", "started", "ended", "source", "summary",
                "counts",
            ])
        #expect((item["counts"] as? [String: Int])?["commits"] == 0)
        let all = try #require(
            s.json(try s.ok("session", "list", "--all", "--json", in: repo))["sessions"] as? [[String: Any]])
        #expect(all.map { $0["id"] as? String } == [onFeature, newer, older])
        let text = try s.ok("session", "list", in: repo)
        let lines = text.split(separator: "\n")
        #expect(lines.first?.hasPrefix("* s-") == true && lines.first?.contains("open since") == true)
        #expect(lines.count == 3 && lines[1].contains(newer) && lines[2].contains(older))
        #expect(try s.ok("session", "list", "-n", "1", "--branch", "feature", in: repo).contains(onFeature))

        // show: by unique prefix, by file name, by path; text and JSON.
        let shown = try s.ok("session", "show", String(newer.dropFirst(2).prefix(8)), in: repo)
        #expect(shown.hasPrefix("session \(newer)") && shown.contains("summary:    newer"))
        let name = try #require(try sessionFiles(repo).first { $0.hasSuffix("_\(older).json") })
        #expect(try s.ok("session", "show", name, in: repo).contains("summary:    older"))
        let json = s.json(try s.ok("session", "show", "--json", ".codex-state/sessions/" + name, in: repo))
        #expect(json["file"] as? String == ".codex-state/sessions/" + name)
        #expect((json["session"] as? [String: Any])?["id"] as? String == older)
        let openID = try #require(open["id"] as? String)
        let stillOpen = try s.cs("session", "show", openID, in: repo)
        #expect(stillOpen.status == 1 && stillOpen.stderr.contains("still open"))
        #expect(try s.cs("session", "show", "s-ffffffffff", in: repo).status == 1)
    }

    @Test func lastSessionFallsBackToTheBranchItWasCreatedFrom() throws {
        let s = try Sandbox()
        let repo = try project(s)
        try s.ok("session", "start", in: repo)
        let mainSession = s.json(try s.ok("session", "end", "--summary", "on main", "--json", in: repo))
        let mainID = (mainSession["session"] as? [String: Any])?["id"] as? String
        #expect(try workspace(s, repo).lastSession(onBranch: "main")?.id == mainID)

        try s.git("checkout", "-q", "-b", "feature", in: repo)  // reflog: "Created from HEAD"
        try s.git("branch", "other", "main", in: repo)  // reflog: "Created from main"
        #expect(try workspace(s, repo).lastSession(onBranch: "feature")?.id == mainID)
        #expect(try workspace(s, repo).lastSession(onBranch: "other")?.id == mainID)
        #expect(try workspace(s, repo).lastSession(onBranch: nil) == nil)

        // Once the branch has a session of its own, that one wins.
        try s.ok("session", "start", in: repo)
        let feature = s.json(
            try s.run(
                Sandbox.binary, ["session", "end", "--summary", "on feature", "--json"], in: repo,
                env: ["CODEX_STATE_NOW": "2026-01-15T10:00:00Z"]
            ).stdout)
        #expect(
            try workspace(s, repo).lastSession(onBranch: "feature")?.id
                == (feature["session"] as? [String: Any])?["id"] as? String)
    }

    @Test func checkoutSessionsWorkOnBranchesWithoutStateAndFollowRewrites() throws {
        let s = try Sandbox()
        let repo = try project(s)
        let initial = try s.git("rev-parse", "HEAD~1", in: repo)
        try s.git("checkout", "-q", "-b", "old", initial, in: repo)  // predates `init`
        #expect(!FileManager.default.fileExists(atPath: repo + "/.codex-state"))
        let opened = try workspace(s, repo).switchSession(fromBranch: "main", toBranch: "old", head: initial)
        #expect(opened.session.branch == "old")
        // `commit --amend` rewrites the start commit: post-rewrite moves the session's start
        // along, so the rewritten commit does not count as work of the session.
        try s.git("commit", "-q", "--amend", "--allow-empty", "-m", "initial, reworded", in: repo)
        let amended = try s.git("rev-parse", "HEAD", in: repo)
        let ws = try workspace(s, repo)
        #expect(try ws.remapOpenSession([initial: amended]))
        let remapped = try #require(try ws.openSession())
        #expect(remapped.headStart == amended)
        #expect(try !ws.remapOpenSession(["0000000000000000000000000000000000000000": initial]))
        try s.git("checkout", "-q", "main", in: repo)
        let main = try s.git("rev-parse", "HEAD", in: repo)
        let closed = try workspace(s, repo).switchSession(
            fromBranch: "old", toBranch: "main", head: main, previousHead: amended)
        #expect(closed.closed == .discarded(remapped))
        #expect(try sessionFiles(repo).isEmpty)
    }

    @Test func sessionsNeedInitAndADamagedOpenSessionNeverBlocksACheckout() throws {
        let s = try Sandbox()
        let bare = try s.repo("plain")
        let r = try s.cs("session", "start", in: bare)
        #expect(r.status == 1 && r.stderr.contains("codex-state init"))

        let repo = try project(s)
        try s.ok("session", "start", in: repo)
        let open = repo + "/.git/codex-state/open-session.json"
        try s.write(open, "{not json")
        let end = try s.cs("session", "end", in: repo)
        #expect(end.status == 1 && end.stderr.contains("open-session.json"))
        let list = try s.cs("session", "list", in: repo)
        #expect(list.ok && list.stderr.contains("warning: skipped") && list.stdout.contains("No ended sessions"))
        let head = try s.git("rev-parse", "HEAD", in: repo)
        let sw = try workspace(s, repo).switchSession(fromBranch: "main", toBranch: "main", head: head)
        #expect(sw.warnings.count == 1 && sw.warnings[0].contains(".broken"))
        #expect(sw.session.branch == "main")
        #expect(FileManager.default.fileExists(atPath: open + ".broken"))
    }

    /// The session a branch switch opens is written without flushing (it holds nothing anyone
    /// typed): after a power cut the file may be empty. The next checkout sets it aside with a
    /// warning and opens a session on the new branch; git is never held up.
    @Test func anEmptyOpenSessionAfterAPowerCutIsSetAsideByTheNextCheckout() throws {
        let s = try Sandbox()
        let repo = try project(s)
        try s.ok("hooks", "install", in: repo)
        try s.git("branch", "topic", in: repo)
        let switched = try s.run("git", ["checkout", "-q", "topic"], in: repo)
        #expect(switched.ok && !switched.stderr.contains("warning"), "\(switched.stderr)")
        let open = repo + "/.git/codex-state/open-session.json"
        #expect(try s.read(open).contains("\"branch\": \"topic\""))
        try s.write(open, "")
        let back = try s.run("git", ["checkout", "-q", "main"], in: repo)
        #expect(back.ok)
        #expect(back.stderr.contains("open-session.json was not readable") && back.stderr.contains(".broken"))
        #expect(try s.read(open).contains("\"branch\": \"main\""))
    }
}
