import Foundation
import Testing

/// The merge driver as git runs it: configured by `codex-state init`, invoked by the real `git
/// merge` and `git rebase`, with `codex-state` found on `PATH` as in a user's shell.
@Suite struct MergeDriverTests {
    static let stateFile = ".codex-state/project_state.json"

    /// A repository with codex-state initialised (driver and hooks, as `init` does) and
    /// committed on `main`.
    func world() throws -> (Sandbox, String) {
        let s = try Sandbox()
        let bin = URL(fileURLWithPath: Sandbox.binary).deletingLastPathComponent().path
        s.env["PATH"] = bin + ":" + (s.env["PATH"] ?? "/usr/bin:/bin")
        let repo = try s.repo()
        try s.ok("init", in: repo)
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "codex-state init", in: repo)
        return (s, repo)
    }

    /// Runs codex-state as `actor` at `time` (minutes after 09:00).
    @discardableResult
    func act(
        _ s: Sandbox, _ repo: String, _ actor: String, _ minute: Int, _ args: String...,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> String {
        let r = try s.run(
            Sandbox.binary, args, in: repo,
            env: [
                "CODEX_STATE_ACTOR": actor, "CODEX_STATE_NOW": "2026-01-15T09:\(minute < 10 ? "0" : "")\(minute):00Z",
            ])
        if !r.ok {
            Issue.record(
                "codex-state \(args.joined(separator: " ")) failed: \(r.stderr)", sourceLocation: sourceLocation)
        }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func task(_ s: Sandbox, _ repo: String, _ id: String) throws -> [String: Any] {
        s.json(try s.ok("task", "show", id, "--json", in: repo))["task"] as? [String: Any] ?? [:]
    }

    func commitState(_ s: Sandbox, _ repo: String, _ message: String) throws {
        try s.git("add", Self.stateFile, in: repo)
        try s.git("commit", "-q", "-m", message, in: repo)
    }

    // MARK: - Configuration

    @Test func initConfiguresTheDriverOnceAndKeepsOtherAttributes() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.write(repo + "/.gitattributes", "*.png binary")  // no final newline
        try s.ok("init", in: repo)
        let attributes = repo + "/.gitattributes"
        #expect(try s.read(attributes) == "*.png binary\n.codex-state/project_state.json merge=codex-state\n")
        #expect(
            try s.git("config", "--local", "merge.codex-state.driver", in: repo)
                == "codex-state merge-driver %O %A %B %P")
        #expect(!(try s.git("config", "--local", "merge.codex-state.name", in: repo)).isEmpty)
        #expect(
            try s.git("check-attr", "merge", Self.stateFile, in: repo)
                == ".codex-state/project_state.json: merge: codex-state")
        let status = s.json(try s.ok("merge-driver", "--status", "--json", in: repo))
        #expect(status["configured"] as? Bool == true)
        #expect(status["attribute"] as? String == "codex-state")
        #expect(status["gitattributes_line"] as? Bool == true)

        // Idempotent: nothing duplicated, nothing rewritten.
        let before = s.bytes(attributes)
        let configBefore = s.bytes(repo + "/.git/config")
        try s.ok("init", in: repo)
        #expect(s.bytes(attributes) == before)
        #expect(s.bytes(repo + "/.git/config") == configBefore)
        #expect(
            try s.git("config", "--local", "--get-all", "merge.codex-state.driver", in: repo).split(separator: "\n")
                .count == 1)

        // Removal takes out exactly what init added.
        let removed = try s.ok("merge-driver", "--uninstall", in: repo)
        #expect(removed.contains("removed merge.codex-state.driver"))
        #expect(try s.read(attributes) == "*.png binary\n")
        #expect(try s.run("git", ["config", "--local", "merge.codex-state.driver"], in: repo).status == 1)
        let off = s.json(try s.ok("merge-driver", "--status", "--json", in: repo))
        #expect(off["configured"] as? Bool == false)
        #expect(off["driver"] is NSNull)
        #expect(try s.ok("merge-driver", "--status", in: repo).contains("NOT configured"))
        try s.ok("merge-driver", "--install", in: repo)
        #expect(s.json(try s.ok("merge-driver", "--status", "--json", in: repo))["configured"] as? Bool == true)

        // A repository without .gitattributes gets one holding only the line.
        let other = try s.repo("other")
        try s.ok("init", in: other)
        #expect(try s.read(other + "/.gitattributes") == ".codex-state/project_state.json merge=codex-state\n")
        try s.ok("merge-driver", "--uninstall", in: other)
        #expect(!FileManager.default.fileExists(atPath: other + "/.gitattributes"))
    }

    @Test func aFullPathToTheBinaryCountsAsConfigured() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        let custom = "/opt/tools/codex-state merge-driver %O %A %B %P"
        try s.git("config", "merge.codex-state.driver", custom, in: repo)
        try s.ok("init", in: repo)
        #expect(try s.git("config", "--local", "merge.codex-state.driver", in: repo) == custom)
        try s.git("config", "merge.codex-state.driver", "cat %A", in: repo)
        #expect(s.json(try s.ok("merge-driver", "--status", "--json", in: repo))["driver_valid"] as? Bool == false)
        try s.ok("init", in: repo)
        #expect(
            try s.git("config", "--local", "merge.codex-state.driver", in: repo)
                == "codex-state merge-driver %O %A %B %P")
    }

    // MARK: - Merging with git

    @Test func branchesEditingOneTaskMergeWithNothingLost() throws {
        let (s, repo) = try world()
        let shared = try act(s, repo, "alice", 1, "task", "add", "Shared", "--label", "core", "--accept", "works")
        let reprio = try act(s, repo, "alice", 1, "task", "add", "Reprioritised", "--priority", "3")
        try commitState(s, repo, "plan")

        try s.git("checkout", "-q", "-b", "feature", in: repo)
        let featureTask = try act(s, repo, "bob", 10, "task", "add", "From feature")
        try act(s, repo, "bob", 11, "task", "edit", shared, "--body", "Details from bob", "--add-label", "api")
        try s.commit("code.swift", "// done\n", "Implement", in: repo)
        let doneAt = try s.git("rev-parse", "HEAD", in: repo)
        try act(s, repo, "bob", 12, "complete", reprio, "--commit", "HEAD", "--note", "shipped")
        try commitState(s, repo, "feature state")

        try s.git("checkout", "-q", "main", in: repo)
        let mainTask = try act(s, repo, "alice", 20, "task", "add", "From main")
        try act(s, repo, "alice", 21, "task", "edit", shared, "--priority", "0", "--note", "alice's note")
        try act(s, repo, "alice", 22, "task", "edit", reprio, "--priority", "1")
        try commitState(s, repo, "main state")

        let merge = try s.run("git", ["merge", "--no-edit", "feature"], in: repo)
        #expect(merge.ok, "\(merge.stdout) \(merge.stderr)")
        let text = try s.read(repo + "/" + Self.stateFile)
        #expect(!text.contains("<<<<<<<") && !text.contains(">>>>>>>"))
        #expect(try s.git("status", "--porcelain", "--untracked-files=no", in: repo).isEmpty)

        let tasks = try s.tasks(in: repo)
        #expect(Set(tasks.keys) == [shared, reprio, featureTask, mainTask])
        let sh = try task(s, repo, shared)
        #expect(sh["title"] as? String == "Shared")
        #expect(sh["body"] as? String == "Details from bob")
        #expect(sh["labels"] as? [String] == ["api", "core"])
        #expect(sh["acceptance"] as? [String] == ["works"])
        #expect(sh["priority"] as? Int == 0)
        #expect((sh["notes"] as? [[String: Any]])?.map { $0["text"] as? String } == ["alice's note"])
        #expect((sh["updated"] as? [String: Any])?["at"] as? String == "2026-01-15T09:21:00Z")
        #expect((sh["updated"] as? [String: Any])?["actor"] as? String == "alice")
        #expect(sh["conflicts"] == nil)
        let rp = try task(s, repo, reprio)
        #expect(rp["status"] as? String == "done")
        #expect(rp["priority"] as? Int == 1)
        let completion = rp["completion"] as? [String: Any]
        #expect(completion?["commit"] as? String == doneAt)
        #expect(completion?["branch"] as? String == "feature")
        #expect(completion?["note"] as? String == "shipped")
        #expect(completion?["actor"] as? String == "bob")
        #expect(tasks[reprio]?["effective_status"] as? String == "done")
        #expect(try task(s, repo, featureTask)["title"] as? String == "From feature")
        #expect(try task(s, repo, mainTask)["title"] as? String == "From main")
        #expect(s.json(try s.ok("conflicts", "--json", in: repo))["count"] as? Int == 0)
        #expect(!(try s.ok("tasks", "--all", in: repo)).contains("!conflict"))
        // The merged file is canonical: rewriting it changes no byte.
        let merged = s.bytes(repo + "/" + Self.stateFile)
        try s.ok("task", "edit", shared, "--title", "Shared", in: repo)
        #expect(s.bytes(repo + "/" + Self.stateFile) == merged)
    }

    @Test func bothSidesEditingTheTitleLeaveAConflictRecordUntilResolved() throws {
        let (s, repo) = try world()
        let id = try act(s, repo, "alice", 1, "task", "add", "Original")
        try commitState(s, repo, "plan")
        try s.git("checkout", "-q", "-b", "feature", in: repo)
        try act(s, repo, "bob", 5, "task", "edit", id, "--title", "Bob's title")
        try commitState(s, repo, "bob")
        try s.git("checkout", "-q", "main", in: repo)
        try act(s, repo, "alice", 9, "task", "edit", id, "--title", "Alice's title")
        try commitState(s, repo, "alice")

        let merge = try s.run("git", ["merge", "--no-edit", "feature"], in: repo)
        #expect(merge.ok, "\(merge.stderr)")
        #expect(merge.stderr.contains("1 field conflict kept for review"), "\(merge.stderr)")
        // The post-merge hook points at them.
        #expect(merge.stderr.contains("the merge kept 1 task(s) with conflict records"), "\(merge.stderr)")

        let t = try task(s, repo, id)
        #expect(t["title"] as? String == "Alice's title")
        let shown = s.json(try s.ok("task", "show", id, "--json", in: repo))
        let record = (shown["conflicts"] as? [[String: Any]])?.first
        #expect(record?["field"] as? String == "title")
        #expect(record?["kept"] as? String == "Alice's title")
        #expect(record?["other"] as? String == "Bob's title")
        #expect(record?["winner"] as? String == "ours")
        #expect(record?["rule"] as? String == "later_update")
        #expect((record?["other_updated"] as? [String: Any])?["actor"] as? String == "bob")
        #expect(record?["at"] as? String == "2026-01-15T09:00:00Z")
        #expect((t["conflicts"] as? [[String: Any]])?.count == 1)
        let showText = try s.ok("task", "show", id, in: repo)
        #expect(showText.contains("conflicts:  1 unresolved"))
        #expect(showText.contains("\"Bob's title\""))
        #expect(try s.ok("tasks", in: repo).contains("!conflict"))
        #expect(try s.tasks(in: repo)[id]?["conflicts"] as? Int == 1)
        let listed = s.json(try s.ok("conflicts", "--json", in: repo))
        #expect(listed["count"] as? Int == 1)
        #expect(try s.ok("conflicts", in: repo).contains("task \(id)"))

        // Resolving with the other value restores Bob's title, through a journaled transaction.
        let bad = try s.cs("task", "resolve", id, "--take", "theirs", in: repo)
        #expect(bad.status == 2)
        let missing = try s.cs("task", "resolve", id, "--field", "priority", in: repo)
        #expect(missing.status == 1 && missing.stderr.contains("conflicts on: title"))
        #expect(
            try act(s, repo, "alice", 30, "task", "resolve", id, "--take", "other").contains("took the other value"))
        let after = try task(s, repo, id)
        #expect(after["title"] as? String == "Bob's title")
        #expect(after["conflicts"] == nil)
        #expect((s.json(try s.ok("task", "show", id, "--json", in: repo))["conflicts"] as? [Any])?.isEmpty == true)
        #expect(!(try s.ok("tasks", in: repo)).contains("!conflict"))
        #expect(try s.tasks(in: repo)[id]?["conflicts"] as? Int == 0)
        #expect(try s.ok("log", "-n", "1", in: repo).contains("task resolve"))
        #expect(!(try s.read(repo + "/" + Self.stateFile)).contains("\"conflicts\""))
        let again = try s.cs("task", "resolve", id, in: repo)
        #expect(again.status == 1 && again.stderr.contains("no unresolved merge conflicts"))
    }

    @Test func aMergeThatWouldCloseADependencyCycleKeepsTheGraphAcyclic() throws {
        let (s, repo) = try world()
        let a = try act(s, repo, "alice", 1, "task", "add", "A")
        let b = try act(s, repo, "alice", 1, "task", "add", "B")
        try commitState(s, repo, "plan")
        try s.git("checkout", "-q", "-b", "feature", in: repo)
        try act(s, repo, "bob", 5, "task", "dep", "add", b, a)
        try commitState(s, repo, "b waits on a")
        try s.git("checkout", "-q", "main", in: repo)
        try act(s, repo, "alice", 6, "task", "dep", "add", a, b)
        try commitState(s, repo, "a waits on b")
        #expect(try s.run("git", ["merge", "--no-edit", "feature"], in: repo).ok)

        #expect(try task(s, repo, a)["deps"] as? [String] == [b])
        #expect(try task(s, repo, b)["deps"] as? [String] == [])
        let record = (try task(s, repo, b)["conflicts"] as? [[String: Any]])?.first
        #expect(record?["rule"] as? String == "cycle")
        #expect(record?["other"] as? [String] == [a])
        #expect(try s.ok("next", in: repo).contains(b))
        // Taking the dropped edge back is refused while it would close the cycle.
        let file = repo + "/" + Self.stateFile
        let before = s.bytes(file)
        let r = try s.cs("task", "resolve", b, "--take", "other", in: repo)
        #expect(r.status == 1 && r.stderr.contains("cycle"), "\(r.stderr)")
        #expect(s.bytes(file) == before)
    }

    @Test func branchesThatEachCreatedTheFileMergeWithoutABase() throws {
        let s = try Sandbox()
        let bin = URL(fileURLWithPath: Sandbox.binary).deletingLastPathComponent().path
        s.env["PATH"] = bin + ":" + (s.env["PATH"] ?? "/usr/bin:/bin")
        let repo = try s.repo()
        try s.ok("init", in: repo)
        let x = try act(s, repo, "alice", 1, "task", "add", "On main")
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "main state", in: repo)
        try s.git("checkout", "-q", "--orphan", "other", in: repo)
        try s.git("rm", "-rq", "--cached", ".", in: repo)
        for f in ["README", Self.stateFile] { try FileManager.default.removeItem(atPath: repo + "/" + f) }
        try s.ok("init", in: repo)
        let y = try act(s, repo, "bob", 2, "task", "add", "On other")
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "other state", in: repo)
        try s.git("checkout", "-q", "main", in: repo)
        let merge = try s.run("git", ["merge", "--no-edit", "--allow-unrelated-histories", "other"], in: repo)
        #expect(merge.ok, "\(merge.stderr)")
        #expect(Set(try s.tasks(in: repo).keys) == [x, y])
    }

    @Test func rebaseUsesTheDriverToo() throws {
        let (s, repo) = try world()
        let id = try act(s, repo, "alice", 1, "task", "add", "Shared")
        try commitState(s, repo, "plan")
        try s.git("checkout", "-q", "-b", "feature", in: repo)
        try act(s, repo, "bob", 5, "task", "edit", id, "--title", "Renamed on feature")
        try commitState(s, repo, "rename")
        try s.git("checkout", "-q", "main", in: repo)
        try act(s, repo, "alice", 6, "task", "edit", id, "--priority", "4", "--add-label", "later")
        try commitState(s, repo, "deprioritise")
        try s.git("checkout", "-q", "feature", in: repo)
        let r = try s.run("git", ["rebase", "-q", "main"], in: repo)
        #expect(r.ok, "\(r.stderr)")
        let t = try task(s, repo, id)
        #expect(t["title"] as? String == "Renamed on feature")
        #expect(t["priority"] as? Int == 4)
        #expect(t["labels"] as? [String] == ["later"])
        #expect(t["conflicts"] == nil)
    }

    @Test func aSideTheDriverCannotReadLeavesGitsOwnConflict() throws {
        let (s, repo) = try world()
        let id = try act(s, repo, "alice", 1, "task", "add", "Shared")
        try commitState(s, repo, "plan")
        try s.git("checkout", "-q", "-b", "feature", in: repo)
        let file = repo + "/" + Self.stateFile
        try s.write(file, try s.read(file).replacingOccurrences(of: "\"schema\": 1", with: "\"schema\": 2"))
        try commitState(s, repo, "from the future")
        try s.git("checkout", "-q", "main", in: repo)
        try act(s, repo, "alice", 3, "task", "edit", id, "--priority", "0")
        try commitState(s, repo, "main edit")
        let ours = s.bytes(file)
        let merge = try s.run("git", ["merge", "--no-edit", "feature"], in: repo)
        #expect(!merge.ok)
        #expect(merge.stdout.contains("CONFLICT"), "\(merge.stdout)")
        #expect(merge.stderr.contains("cannot merge .codex-state/project_state.json: theirs"), "\(merge.stderr)")
        #expect(merge.stderr.contains("schema version 2 is newer"))
        #expect(s.bytes(file) == ours)
        #expect(try s.git("ls-files", "-u", in: repo).contains(Self.stateFile))
        // Ours is valid JSON in the working tree, but writing it would bury theirs: refused.
        let write = try s.cs("task", "add", "During the merge", in: repo)
        #expect(write.status == 1)
        #expect(write.stderr.contains("unmerged"))
        #expect(s.bytes(file) == ours)
    }

    // MARK: - Calling the driver directly

    @Test func badInputExitsNonZeroAndLeavesOursByteIdentical() throws {
        let (s, repo) = try world()
        try s.ok("task", "add", "Something", in: repo)
        let valid = try s.read(repo + "/" + Self.stateFile)
        let dir = s.path("merge")
        try FileManager.default.createDirectory(atPath: dir + "/a-directory", withIntermediateDirectories: true)
        let cases: [(name: String, base: String?, theirs: String?, mentions: [String])] = [
            ("missing theirs", valid, nil, ["theirs", "unreadable", "No such file"]),
            ("theirs is a directory", valid, "<dir>", ["theirs", "unreadable"]),
            ("theirs not JSON", valid, "{\"schema\": 1, \"tasks\": {", ["theirs", "not valid JSON"]),
            (
                "theirs with markers", valid, "<<<<<<< HEAD\n{}\n=======\n{}\n>>>>>>> x\n",
                ["theirs", "conflict markers"]
            ),
            (
                "theirs from a newer schema", valid,
                valid.replacingOccurrences(of: "\"schema\": 1", with: "\"schema\": 7"),
                ["theirs", "schema version 7 is newer"]
            ),
            (
                "theirs with an unknown field", valid,
                valid.replacingOccurrences(of: "\"schema\": 1", with: "\"future\": true,\n  \"schema\": 1"),
                ["theirs", "unknown field 'future'"]
            ),
            ("base not JSON", "nope", valid, ["base", "not valid JSON"]),
        ]
        for c in cases {
            let ours = dir + "/ours"
            try s.write(ours, valid)
            try s.write(dir + "/base", c.base ?? "")
            var theirs = dir + "/theirs"
            switch c.theirs {
            case nil: theirs = dir + "/does-not-exist"
            case "<dir>"?: theirs = dir + "/a-directory"
            case let t?: try s.write(theirs, t)
            }
            let before = s.bytes(ours)
            let r = try s.cs("merge-driver", dir + "/base", ours, theirs, Self.stateFile, in: dir)
            #expect(r.status == 1, "\(c.name): exit \(r.status) \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(c.name): \(r.stderr)")
            #expect(r.stderr.contains(Self.stateFile), "\(c.name): \(r.stderr)")
            for m in c.mentions { #expect(r.stderr.contains(m), "\(c.name): '\(m)' not in \(r.stderr)") }
            #expect(s.bytes(ours) == before, "\(c.name) changed ours")
        }
        // Ours itself broken: also refused, untouched.
        try s.write(dir + "/ours", "not json")
        let r = try s.cs("merge-driver", dir + "/base", dir + "/ours", dir + "/theirs", in: dir)
        #expect(r.status == 1 && r.stderr.contains("ours"))
        #expect(try s.read(dir + "/ours") == "not json")

        // Usage errors exit 2.
        for args in [["merge-driver"], ["merge-driver", "a", "b"], ["merge-driver", "a", "b", "c", "d", "e"]] {
            let u = try s.run(Sandbox.binary, args, in: dir)
            #expect(u.status == 2, "\(args): \(u.status) \(u.stderr)")
            #expect(u.stderr.split(separator: "\n").count == 1)
        }
        #expect(try s.cs("merge-driver", "--status", "x", in: repo).status == 2)

        // An empty base (both sides added the file) and identical sides merge fine; ours, already
        // canonical, is not rewritten.
        try s.write(dir + "/ours", valid)
        try s.write(dir + "/theirs", valid)
        try s.write(dir + "/base", "")
        let ok = try s.cs("merge-driver", dir + "/base", dir + "/ours", dir + "/theirs", in: dir)
        #expect(ok.ok, "\(ok.stderr)")
        #expect(ok.stderr.isEmpty)
        #expect(try s.read(dir + "/ours") == valid)
    }

    // MARK: - Without the driver

    @Test func aCloneWithoutTheDriverFallsBackToGitsTextMerge() throws {
        let (s, origin) = try world()
        let first = try act(s, origin, "alice", 1, "task", "add", "First")
        let second = try act(s, origin, "alice", 1, "task", "add", "Second")
        try commitState(s, origin, "plan")
        let clone = s.path("clone")
        try s.git("clone", "-q", origin, clone, in: s.root)
        // .gitattributes came with the clone; the driver config did not.
        let status = s.json(try s.ok("merge-driver", "--status", "--json", in: clone))
        #expect(status["configured"] as? Bool == false)
        #expect(status["gitattributes_line"] as? Bool == true)
        #expect(status["attribute"] as? String == "codex-state")
        #expect(status["driver"] is NSNull)

        // Edits to different tasks: canonical formatting keeps them on distant lines, and git's
        // text merge succeeds.
        try s.git("checkout", "-q", "-b", "feature", in: clone)
        try act(s, clone, "bob", 5, "task", "edit", first, "--title", "First, renamed")
        try commitState(s, clone, "rename first")
        try s.git("checkout", "-q", "main", in: clone)
        try act(s, clone, "alice", 6, "task", "edit", second, "--priority", "0")
        try commitState(s, clone, "prioritise second")
        let clean = try s.run("git", ["merge", "--no-edit", "feature"], in: clone)
        #expect(clean.ok, "\(clean.stdout) \(clean.stderr)")
        #expect(try task(s, clone, first)["title"] as? String == "First, renamed")
        #expect(try task(s, clone, second)["priority"] as? Int == 0)

        // Different fields of the same task at different times: both sides rewrote its
        // `updated` line, so the text merge conflicts and leaves markers.
        try s.git("checkout", "-q", "feature", in: clone)
        try s.git("merge", "-q", "main", in: clone)
        try act(s, clone, "bob", 10, "task", "edit", first, "--body", "bob's body")
        try commitState(s, clone, "body")
        try s.git("checkout", "-q", "main", in: clone)
        try act(s, clone, "alice", 11, "task", "edit", first, "--priority", "1")
        try commitState(s, clone, "priority")
        let conflicted = try s.run("git", ["merge", "--no-edit", "feature"], in: clone)
        #expect(!conflicted.ok)
        let file = clone + "/" + Self.stateFile
        #expect(try s.read(file).contains("<<<<<<<"))
        let before = s.bytes(file)
        for args in [
            ["tasks"], ["next"], ["task", "show", first], ["task", "add", "x"], ["complete", first], ["conflicts"],
            ["task", "resolve", first], ["init"],
        ] {
            let r = try s.run(Sandbox.binary, args, in: clone)
            #expect(r.status == 1, "\(args): \(r.status)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
            #expect(r.stderr.contains("conflict markers"), "\(args): \(r.stderr)")
            #expect(s.bytes(file) == before, "\(args) touched the conflicted file")
        }

        // The fix: abort, let init configure the clone, merge again.
        try s.git("merge", "--abort", in: clone)
        try s.ok("init", in: clone)
        #expect(s.json(try s.ok("merge-driver", "--status", "--json", in: clone))["configured"] as? Bool == true)
        let fixed = try s.run("git", ["merge", "--no-edit", "feature"], in: clone)
        #expect(fixed.ok, "\(fixed.stderr)")
        let t = try task(s, clone, first)
        #expect(t["body"] as? String == "bob's body")
        #expect(t["priority"] as? Int == 1)
        #expect(t["conflicts"] == nil)
    }
}
