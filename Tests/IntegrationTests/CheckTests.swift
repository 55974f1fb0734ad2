import Foundation
import GitKit
import StateModel
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `codex-state check` on real repositories: drift made the way it happens (rebases, trailers,
/// merges, hand edits), shallow clones, CI, and inputs it must refuse cleanly.
@Suite struct CheckTests {
    static let stateFile = ".codex-state/project_state.json"

    /// An initialised repository (merge driver and hooks, as `init` does), committed, with
    /// `codex-state` on PATH so git can run the merge driver and the hooks.
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

    /// `check --format json` (plus `args`): the run and its findings.
    func check(
        _ s: Sandbox, _ repo: String, _ args: String..., env: [String: String] = [:],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> (run: Run, findings: [[String: Any]]) {
        let r = try s.run(Sandbox.binary, ["check", "--format", "json"] + args, in: repo, env: env)
        if r.status == 2 { Issue.record("check could not run: \(r.stderr)", sourceLocation: sourceLocation) }
        let findings = s.json(r.stdout, sourceLocation: sourceLocation)["findings"] as? [[String: Any]] ?? []
        return (r, findings)
    }

    func codes(_ findings: [[String: Any]]) -> [String] { findings.compactMap { $0["code"] as? String }.sorted() }

    /// A hand edit of the state file that stays canonical: decode, change, encode.
    func edit(_ repo: String, _ change: (inout ProjectState) -> Void) throws {
        let url = URL(fileURLWithPath: repo + "/" + Self.stateFile)
        var state = try StateCodec.decode(Array(try Data(contentsOf: url)))
        change(&state)
        try Data(try StateCodec.encode(state)).write(to: url)
    }

    /// The text of 1-based `line` of the state file.
    func line(_ s: Sandbox, _ repo: String, _ line: Any?) throws -> String {
        guard let n = line as? Int else { return "" }
        let lines = try s.read(repo + "/" + Self.stateFile).split(separator: "\n", omittingEmptySubsequences: false)
        return n >= 1 && n <= lines.count ? String(lines[n - 1]) : ""
    }

    // MARK: - Acceptance

    @Test func realisticDriftIsReportedOnceEachAndACleanRepositoryReportsNothing() throws {
        let (s, repo) = try world()
        let a = try s.ok("task", "add", "Dropped by a rebase", in: repo)
        let b = try s.ok("task", "add", "Named by a trailer", in: repo)
        let c = try s.ok("task", "add", "Deleted by hand", in: repo)
        let d = try s.ok("task", "add", "Waits on the deleted one", "--dep", c, in: repo)
        let e = try s.ok("task", "add", "Cycle one", in: repo)
        let f = try s.ok("task", "add", "Cycle two", "--dep", e, in: repo)
        let g = try s.ok("task", "add", "Renamed on two branches", in: repo)
        try s.git("commit", "-q", "-am", "plan", in: repo)

        let clean = try check(s, repo)
        #expect(clean.run.status == 0, "\(clean.run.stdout)")
        #expect(clean.findings.isEmpty)
        #expect(try s.ok("check", in: repo).hasPrefix("check: no findings (HEAD "))

        // A leftover conflict record: both branches renamed g; the merge driver kept ours.
        try s.git("checkout", "-q", "-b", "other", in: repo)
        _ = try s.run(
            Sandbox.binary, ["task", "edit", g, "--title", "Their title"], in: repo,
            env: ["CODEX_STATE_NOW": "2026-01-15T09:05:00Z"])
        try s.git("commit", "-q", "-am", "their rename", in: repo)
        try s.git("checkout", "-q", "main", in: repo)
        _ = try s.run(
            Sandbox.binary, ["task", "edit", g, "--title", "Our title"], in: repo,
            env: ["CODEX_STATE_NOW": "2026-01-15T09:10:00Z"])
        try s.git("commit", "-q", "-am", "our rename", in: repo)
        try s.git("merge", "-q", "--no-edit", "other", in: repo)
        try s.git("branch", "-q", "-D", "other", in: repo)

        // A completion whose commit an interactive rebase dropped.
        try s.commit("a.txt", "a\n", "work for a", in: repo)
        try s.ok("complete", a, "--commit", "HEAD", in: repo)
        try s.git("commit", "-q", "-am", "state: a done", in: repo)
        let editor = s.path("drop.sh")
        try s.write(editor, "#!/bin/sh\nsed -i -e '/ work for a$/d' \"$1\"\n")
        chmod(editor, 0o755)
        let rebase = try s.run(
            "git", ["rebase", "-i", "HEAD~2"], in: repo, env: ["GIT_SEQUENCE_EDITOR": editor, "GIT_EDITOR": "true"])
        #expect(rebase.ok, "\(rebase.stderr)")

        // A commit that says it did b, while b is open.
        try s.commit("b.txt", "b\n", "Implement b\n\nCodex-Task: \(b)", in: repo)

        // Hand edits: delete c (d still waits on it), and make e wait on f (f waits on e).
        try edit(repo) { state in
            state.tasks[c] = nil
            state.tasks[e]?.deps = [f]
        }
        try s.git("commit", "-q", "-am", "hand edits", in: repo)

        // A hand edit that is only formatting.
        let file = repo + "/" + Self.stateFile
        let text = try s.read(file)
        let range = try #require(text.range(of: "\"priority\": 2,"))
        try s.write(file, text.replacingCharacters(in: range, with: "\"priority\":2,"))

        let drift = try check(s, repo)
        #expect(drift.run.status == 1)
        #expect(codes(drift.findings) == ["CS010", "CS022", "CS025", "CS031", "CS040", "CS050"])
        func finding(_ code: String) -> [String: Any] { drift.findings.first { $0["code"] as? String == code } ?? [:] }
        #expect(try line(s, repo, finding("CS010")["line"]).contains("\"priority\":2,"))
        #expect(try line(s, repo, finding("CS022")["line"]).contains("\"\(c)\""))
        #expect(finding("CS022")["entity"] as? String == d)
        let closing = try line(s, repo, finding("CS025")["line"])
        #expect(closing.contains("\"\(e)\"") || closing.contains("\"\(f)\""))
        #expect(
            (finding("CS025")["message"] as? String)?.contains("\(min(e, f)) -> \(max(e, f)) -> \(min(e, f))") == true)
        #expect(finding("CS031")["entity"] as? String == a)
        #expect(try line(s, repo, finding("CS031")["line"]).contains("\"completion\""))
        #expect((finding("CS031")["message"] as? String)?.contains("a rebase, amend or reset dropped") == true)
        #expect(finding("CS040")["entity"] as? String == b)
        #expect(try line(s, repo, finding("CS040")["line"]).contains("\"status\": \"open\""))
        #expect(finding("CS050")["entity"] as? String == g)
        #expect(finding("CS050")["severity"] as? String == "warning")
        #expect(try line(s, repo, finding("CS050")["line"]).contains("\"conflicts\""))
        for f in drift.findings {
            #expect(f["file"] as? String == Self.stateFile)
            #expect(!(f["fix"] as? String ?? "").isEmpty)
        }

        // The same findings as text and as GitHub annotations.
        let text2 = try s.cs("check", in: repo)
        #expect(text2.status == 1)
        #expect(text2.stdout.contains("\(Self.stateFile):\(finding("CS022")["line"] as? Int ?? 0): error: CS022 "))
        #expect(
            text2.stdout.hasSuffix(
                "check: 5 errors, 1 warning (HEAD \(try s.git("rev-parse", "--short=7", "HEAD", in: repo)) on main; 6 tasks, 9 commits read for trailers)\n"
            ))
        let github = try s.cs("check", "--format", "github", in: repo)
        #expect(github.status == 1)
        let annotations = github.stdout.split(separator: "\n").filter { $0.hasPrefix("::") }
        #expect(annotations.count == 6)
        #expect(annotations.filter { $0.hasPrefix("::warning file=\(Self.stateFile),line=") }.count == 1)
        #expect(
            annotations.contains {
                $0.hasPrefix(
                    "::error file=\(Self.stateFile),line=\(finding("CS031")["line"] as? Int ?? 0),title=CS031 completion-not-on-head::task \(a) "
                )
            })

        // --fix takes care of the formatting and nothing else.
        let fixed = try check(s, repo, "--fix")
        #expect(codes(fixed.findings) == ["CS022", "CS025", "CS031", "CS040", "CS050"])
        #expect(s.json(fixed.run.stdout)["fixed"] as? Bool == true)
        #expect(try s.git("diff", "--stat", in: repo).isEmpty)  // canonical again: as committed
    }

    @Test func aShallowCloneWarnsOnceAndReportsNoFalseDrift() throws {
        let s = try Sandbox()
        let src = try s.repo("src")
        try s.ok("init", "--no-hooks", in: src)
        let a = try s.ok("task", "add", "Old work", in: src)
        try s.git("add", "-A", in: src)
        try s.git("commit", "-q", "-m", "plan", in: src)
        try s.commit("a.txt", "a\n", "work", in: src)
        try s.ok("complete", a, "--commit", "HEAD", in: src)
        try s.git("commit", "-q", "-am", "state: done", in: src)
        for i in 1...3 { try s.commit("n\(i).txt", "\(i)\n", "later \(i)", in: src) }
        #expect(try check(s, src).findings.isEmpty)

        try s.git("clone", "-q", "--depth", "1", "file://" + src, s.path("shallow"), in: s.root)
        let shallow = s.path("shallow")
        let r = try check(s, shallow, env: ["CI": "true"])
        #expect(r.run.status == 0, "\(r.run.stdout)")
        #expect(codes(r.findings) == ["CS062"])
        #expect(r.findings.first?["severity"] as? String == "warning")
        #expect((r.findings.first?["message"] as? String)?.contains(a) == true)
        #expect((r.findings.first?["fix"] as? String)?.contains("fetch-depth: 0") == true)
        #expect(s.json(r.run.stdout)["shallow"] as? Bool == true)
        #expect(try check(s, shallow, "--strict", env: ["CI": "true"]).run.status == 1)
        let github = try s.cs("check", "--format", "github", in: shallow, env: ["CI": "true"])
        #expect(github.stdout.hasPrefix("::warning title=CS062 shallow-clone::shallow clone"))

        try s.git("fetch", "-q", "--unshallow", in: shallow)
        let full = try check(s, shallow, "--strict", env: ["CI": "true"])
        #expect(full.run.status == 0)
        #expect(full.findings.isEmpty)
    }

    @Test func ciSkipsTheMergeDriverButNotTheAttributesLine() throws {
        let (s, src) = try world()
        try s.git("clone", "-q", src, s.path("clone"), in: s.root)
        let clone = s.path("clone")
        let plain = try check(s, clone)
        #expect(plain.run.status == 0)
        #expect(codes(plain.findings) == ["CS060"])
        #expect((plain.findings.first?["fix"] as? String)?.contains("codex-state init") == true)
        #expect(try check(s, clone, "--strict").run.status == 1)
        for ci in ["true", "1", "TRUE"] {
            let r = try check(s, clone, "--strict", env: ["CI": ci])
            #expect(r.run.status == 0)
            #expect(r.findings.isEmpty)
            #expect(s.json(r.run.stdout)["ci"] as? Bool == true)
        }
        // The committed .gitattributes concerns every clone, CI included.
        try s.write(clone + "/.gitattributes", "")
        #expect(codes(try check(s, clone, env: ["CI": "true"]).findings) == ["CS061"])
        try s.ok("init", "--no-hooks", in: clone)
        #expect(try check(s, clone).findings.isEmpty)
    }

    @Test func aRecoveredCompletionIsAWarningNamingReanchor() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        let a = try s.ok("task", "add", "Feature", in: repo)
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "plan", in: repo)
        try s.git("checkout", "-q", "-b", "feature", in: repo)
        try s.commit("f.txt", "feature\n", "implement feature", in: repo)
        try s.ok("complete", a, "--commit", "HEAD", in: repo)
        try s.git("commit", "-q", "-am", "state: done", in: repo)
        try s.git("checkout", "-q", "main", in: repo)
        try s.commit("m.txt", "main\n", "main moves", in: repo)
        try s.git("checkout", "-q", "feature", in: repo)
        try s.git("rebase", "-q", "main", in: repo)
        let r = try check(s, repo)
        #expect(r.run.status == 0)
        #expect(codes(r.findings) == ["CS032"])
        #expect((r.findings.first?["fix"] as? String)?.hasPrefix("codex-state reanchor \(a)") == true)
        #expect(try check(s, repo, "--strict").run.status == 1)
        try s.ok("reanchor", in: repo)
        #expect(try check(s, repo, "--strict").findings.isEmpty)
    }

    @Test func workOnAnUnmergedBranchIsDrift() throws {
        let (s, repo) = try world()
        let a = try s.ok("task", "add", "On feature", in: repo)
        try s.git("commit", "-q", "-am", "plan", in: repo)
        try s.git("checkout", "-q", "-b", "feature/x", in: repo)
        try s.commit("x.txt", "x\n", "feature work", in: repo)
        try s.ok("complete", a, "--commit", "HEAD", in: repo)
        // The uncommitted state file travels with the checkout.
        try s.git("checkout", "-q", "main", in: repo)
        let r = try check(s, repo)
        #expect(codes(r.findings) == ["CS031"])
        #expect((r.findings.first?["message"] as? String)?.contains("branch feature/x") == true)
    }

    @Test func aCompletionByACommitTheCloneLacks() throws {
        let (s, repo) = try world()
        let a = try s.ok("task", "add", "Elsewhere", in: repo)
        try s.ok("complete", a, "--commit", "HEAD", in: repo)
        let head = try s.git("rev-parse", "HEAD", in: repo)
        let file = repo + "/" + Self.stateFile
        try s.write(file, try s.read(file).replacingOccurrences(of: head, with: String(repeating: "e", count: 40)))
        let r = try check(s, repo)
        #expect(r.run.status == 1)
        #expect(codes(r.findings) == ["CS030"])
        #expect((r.findings.first?["message"] as? String)?.contains("this clone does not have") == true)
    }

    // MARK: - Git facts

    /// The commit-graph reader answers exactly as libgit2's walk does: merges, an octopus, an
    /// unmerged branch, commits made after the graph was written, and a split graph chain.
    @Test func commitGraphAncestryMatchesTheWalk() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        for i in 1...5 { try s.commit("m\(i)", "\(i)\n", "main \(i)", in: repo) }
        for b in ["a", "b", "c"] {
            try s.git("checkout", "-q", "-b", b, "main~2", in: repo)
            try s.commit(b, b + "\n", "on \(b)", in: repo)
        }
        try s.git("checkout", "-q", "main", in: repo)
        try s.git("merge", "-q", "--no-edit", "a", "b", in: repo)  // an octopus merge
        try s.git("checkout", "-q", "-b", "loose", "main~3", in: repo)
        try s.commit("x", "x\n", "never merged", in: repo)
        try s.git("checkout", "-q", "main", in: repo)
        try s.git("commit-graph", "write", "--reachable", in: repo)
        try s.commit("late", "late\n", "after the graph", in: repo)
        try s.git("checkout", "-q", "c", in: repo)
        try s.commit("c2", "c2\n", "c after the graph", in: repo)
        try s.git("checkout", "-q", "main", in: repo)
        try s.git("merge", "-q", "--no-edit", "c", in: repo)

        let all = Set(
            try s.git("rev-list", "--all", in: repo).split(separator: "\n").compactMap { ObjectID(hex: String($0)) })
        let candidates = all.union([try #require(ObjectID(hex: String(repeating: "d", count: 40)))])
        let git = try Repository.discover(from: repo)
        #expect(try git.ancestryMethod == .commitGraph)
        for rev in ["main", "main~1", "a", "loose", "c"] {
            let head = try git.resolveCommit(rev)
            let walked = try git.ancestry(of: candidates, head: head, using: .walk)
            #expect(try git.ancestry(of: candidates, head: head) == walked, "\(rev)")
            // As git answers it, one commit at a time.
            for c in all {
                let isAncestor = try s.run("git", ["merge-base", "--is-ancestor", c.hex, head.hex], in: repo).ok
                #expect(walked[c] == (isAncestor ? .ancestor : .notAncestor), "\(c.short) in \(rev)")
            }
            // One candidate at a time (the level cut-off stops below each).
            for c in all {
                #expect(try git.ancestry(of: [c], head: head) == [c: walked[c]], "\(c.short) alone in \(rev)")
            }
        }
        // A split graph (a chain of files) gives the same answers.
        try s.git("commit-graph", "write", "--reachable", "--split=no-merge", in: repo)
        #expect(FileManager.default.fileExists(atPath: repo + "/.git/objects/info/commit-graphs/commit-graph-chain"))
        let split = try Repository.discover(from: repo)
        #expect(try split.ancestryMethod == .commitGraph)
        let head = try split.resolveCommit("main")
        #expect(
            try split.ancestry(of: candidates, head: head) == split.ancestry(of: candidates, head: head, using: .walk))
        // Git told not to use the graph: neither does the walk.
        try s.git("config", "core.commitGraph", "false", in: repo)
        #expect(try Repository.discover(from: repo).ancestryMethod == .walk)
    }

    /// Commit dates that lie (a clock set years back on one machine, many commits in one second
    /// on another) must not change an answer: the walk's stop rule trusts dates, so each "no"
    /// it gives is confirmed exactly. Every pair is checked against git, in every push order.
    @Test func ancestryIgnoresSkewedCommitDates() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        func commit(_ name: String, at date: String) throws {
            try s.write(repo + "/" + name, name + "\n")
            _ = try s.run("git", ["add", name], in: repo)
            let r = try s.run(
                "git", ["commit", "-qm", name], in: repo,
                env: ["GIT_COMMITTER_DATE": date, "GIT_AUTHOR_DATE": date])
            #expect(r.ok, "\(r.stderr)")
        }
        for i in 1...4 { try commit("m\(i)", at: "2026-01-15T09:00:00Z") }
        try s.git("checkout", "-q", "-b", "skewed", "main~3", in: repo)
        for i in 1...8 { try commit("s\(i)", at: "2001-0\(i % 9 + 1)-01T00:00:00Z") }  // years back
        try s.git("checkout", "-q", "main", in: repo)
        for i in 5...7 { try commit("m\(i)", at: "2026-01-15T09:00:00Z") }
        _ = try s.run(
            "git", ["merge", "-q", "--no-edit", "skewed"], in: repo,
            env: ["GIT_COMMITTER_DATE": "2026-01-15T09:00:00Z"])
        try s.git("checkout", "-q", "-b", "ahead", "main~2", in: repo)
        try commit("f1", at: "2030-01-01T00:00:00Z")  // a clock set years ahead
        try s.git("checkout", "-q", "main", in: repo)

        let all = try s.git("rev-list", "--all", in: repo).split(separator: "\n").compactMap {
            ObjectID(hex: String($0))
        }
        let git = try Repository.discover(from: repo)
        for rev in ["main", "main~1", "skewed", "ahead"] {
            let head = try git.resolveCommit(rev)
            let walked = try git.ancestry(of: Set(all), head: head, using: .walk)
            for c in all {
                let isAncestor = try s.run("git", ["merge-base", "--is-ancestor", c.hex, head.hex], in: repo).ok
                #expect(walked[c] == (isAncestor ? .ancestor : .notAncestor), "\(c.short) in \(rev)")
                #expect(
                    try git.ancestry(of: [c, all[0]], head: head, using: .walk)[c] == walked[c], "\(c.short) in \(rev)")
            }
        }
    }

    @Test func shallowClonesAreWalkedAsFarAsTheyGo() throws {
        let s = try Sandbox()
        let src = try s.repo("src")
        for i in 1...6 { try s.commit("f\(i)", "\(i)\n", "commit \(i)\n\nCodex-Task: t-000000000\(i)", in: src) }
        try s.git("clone", "-q", "--depth", "3", "file://" + src, s.path("shallow"), in: s.root)
        let git = try Repository.discover(from: s.path("shallow"))
        #expect(try git.isShallow)
        let head = try git.resolveCommit("HEAD")
        let recent = try git.recentCommits(from: head, limit: 10, containing: "codex-task")
        #expect(recent.scanned == 3)
        #expect(recent.matches.count == 3)
        let inClone = try git.resolveCommit("HEAD~2")
        let beyond = try #require(ObjectID(hex: try s.git("rev-parse", "HEAD~4", in: src)))
        #expect(try git.ancestryMethod == .shallowWalk)
        let answers = try git.ancestry(of: [inClone, beyond], head: head)
        #expect(answers[inClone] == .ancestor)
        #expect(answers[beyond] == .missing)
    }

    // MARK: - Bad input

    @Test func conflictMarkersAndUnmergedFiles() throws {
        let (s, repo) = try world()
        let a = try s.ok("task", "add", "Shared", in: repo)
        try s.git("commit", "-q", "-am", "plan", in: repo)
        // Without the driver, git merges the file as text and conflicts.
        try s.git("config", "--remove-section", "merge.codex-state", in: repo)
        try s.git("checkout", "-q", "-b", "other", in: repo)
        try s.ok("task", "edit", a, "--title", "Theirs", in: repo)
        try s.git("commit", "-q", "-am", "theirs", in: repo)
        try s.git("checkout", "-q", "main", in: repo)
        try s.ok("task", "edit", a, "--title", "Ours", in: repo)
        try s.git("commit", "-q", "-am", "ours", in: repo)
        #expect(try !s.run("git", ["merge", "-q", "other"], in: repo).ok)
        let unmerged = try check(s, repo, env: ["CI": "true"])
        #expect(unmerged.run.status == 1)
        #expect(codes(unmerged.findings) == ["CS006"])
        let text = try s.cs("check", in: repo, env: ["CI": "true"])
        #expect(text.stdout.contains("\(Self.stateFile):1: error: CS006 unmerged: "))
        // Staged with the markers still in it: the markers are the finding.
        try s.git("add", Self.stateFile, in: repo)
        let markers = try check(s, repo, env: ["CI": "true"])
        #expect(markers.run.status == 1)
        #expect(codes(markers.findings) == ["CS002"])
        let markerLine = try #require(markers.findings.first?["line"] as? Int)
        #expect(try line(s, repo, markerLine).hasPrefix("<<<<<<< "))
    }

    @Test func invalidFilesAreFindingsNotCrashes() throws {
        let (s, repo) = try world()
        let file = repo + "/" + Self.stateFile
        let good = try s.read(file)
        for (content, code) in [
            ("{\"schema\": 1,\n\"tasks\": [\n", "CS001"), ("", "CS001"), ("[]\n", "CS004"),
            (good.replacingOccurrences(of: "\"schema\": 1", with: "\"schema\": 7"), "CS003"),
            (good.replacingOccurrences(of: "\"tasks\": {}", with: "\"tasks\": {},\n  \"extra\": 1"), "CS005"),
        ] {
            try s.write(file, content)
            let r = try check(s, repo)
            #expect(r.run.status == 1, "\(content): \(r.run.stderr)")
            #expect(codes(r.findings) == [code], "\(content)")
        }
        // --fix refuses what it would lose.
        let r = try check(s, repo, "--fix")
        #expect(codes(r.findings) == ["CS005"])
        #expect(try s.read(file).contains("\"extra\": 1"))
    }

    @Test func githubAnnotationsAreEscaped() throws {
        let (s, repo) = try world()
        let a = try s.ok("task", "add", "Odd dependency", in: repo)
        try edit(repo) { $0.tasks[a]?.deps = ["t-50%,x:y\nz"] }
        let r = try s.cs("check", "--format", "github", in: repo)
        #expect(r.status == 1)
        let first = try #require(r.stdout.split(separator: "\n").first)
        #expect(first.hasPrefix("::error file=\(Self.stateFile),line="))
        // A malformed id is a schema error (issue 9), shown escaped; the annotation escapes '%'.
        #expect(first.contains(",title=CS004 schema-invalid::"))
        #expect(first.contains("tasks.\(a).deps[0]: 't-50%25,x:y\\nz' is not a task id"))
        #expect(first.contains("%0Afix: correct the field"))
    }

    @Test func cannotRunIsExitTwo() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        let missing = try s.cs("check", in: repo)
        #expect(missing.status == 2)
        #expect(
            missing.stderr
                == "codex-state: error: check: \(repo)/\(Self.stateFile) does not exist; run 'codex-state init' first\n"
        )
        #expect(missing.stdout.isEmpty)
        let outside = try s.cs("check", in: s.path("home"))
        #expect(outside.status == 2)
        #expect(outside.stderr.contains("not a git repository"))
        let flag = try s.cs("check", "--bogus", in: repo)
        #expect(flag.status == 2)
        #expect(flag.stderr.contains("--bogus"))
        let format = try s.cs("check", "--format", "yaml", in: repo)
        #expect(format.status == 2)
        let both = try s.cs("check", "--json", "--format", "github", in: repo)
        #expect(both.status == 2)
        #expect(both.stderr.contains("--json conflicts with --format github"))
    }

    @Test func anUnreadableStateFileIsExitTwo() throws {
        let (s, repo) = try world()
        let file = repo + "/" + Self.stateFile
        var runAs: [String] = []
        if getuid() == 0 {
            // root reads anything: run as nobody over a tree nobody owns, minus the file.
            _ = try s.run("chown", ["-R", "65534:65534", s.root], in: s.root)
            _ = try s.run("chown", ["0:0", file], in: s.root)
            runAs = ["--reuid=65534", "--regid=65534", "--clear-groups", Sandbox.binary]
        }
        chmod(file, 0o600)
        defer { chmod(file, 0o644) }
        if runAs.isEmpty { chmod(file, 0o000) }
        let r = try s.run(runAs.isEmpty ? Sandbox.binary : "setpriv", runAs + ["check"], in: repo, env: ["CI": "true"])
        #expect(r.status == 2, "\(r.stdout) \(r.stderr)")
        #expect(r.stderr.contains("project_state.json: cannot read: Permission denied"))
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    @Test func anUnbornBranchAndADetachedHead() throws {
        let s = try Sandbox()
        let repo = try s.repo(commit: false)
        try s.ok("init", "--no-hooks", in: repo)
        try s.ok("task", "add", "First", in: repo)
        let unborn = try s.cs("check", in: repo)
        #expect(unborn.status == 0, "\(unborn.stdout)")
        #expect(unborn.stdout.contains("unborn branch main"))
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "first", in: repo)
        try s.git("checkout", "-q", "--detach", in: repo)
        let detached = try s.cs("check", in: repo)
        #expect(detached.status == 0)
        #expect(detached.stdout.contains("(detached)"))
    }
}
