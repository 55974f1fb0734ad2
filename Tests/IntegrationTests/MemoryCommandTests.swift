import Foundation
import Testing

/// Project memory through the real binary in real repositories: recall across sessions, branch
/// semantics and the merge driver, private memories, forgetting, bad input and redaction.
@Suite struct MemoryCommandTests {
    static let stateFile = ".codex-state/project_state.json"

    /// An initialised repository (merge driver configured, `codex-state` on PATH for git).
    func world() throws -> (Sandbox, String) { try MergeDriverTests().world() }

    func commitState(_ s: Sandbox, _ repo: String, _ message: String) throws {
        try s.git("add", Self.stateFile, in: repo)
        try s.git("commit", "-q", "-m", message, in: repo)
    }

    func memories(_ s: Sandbox, _ repo: String, _ extra: String...) throws -> [[String: Any]] {
        let r = try s.run(Sandbox.binary, ["memories", "--json"] + extra, in: repo)
        #expect(r.ok, "\(r.stderr)")
        return s.json(r.stdout)["memories"] as? [[String: Any]] ?? []
    }

    func recall(_ s: Sandbox, _ repo: String, _ query: String) throws -> [[String: Any]] {
        let r = try s.run(Sandbox.binary, ["recall", query, "--json"], in: repo)
        #expect(r.ok, "\(r.stderr)")
        return s.json(r.stdout)["results"] as? [[String: Any]] ?? []
    }

    func text(_ result: [String: Any]) -> String? { (result["memory"] as? [String: Any])?["text"] as? String }

    @Test func aLaterSessionRecallsTheDecisionFirst() throws {
        let (s, repo) = try world()
        let postgres = try s.ok(
            "remember", "Postgres 16 is the primary database; MySQL was rejected", "--kind", "decision", "--why",
            "JSONB, partial indexes", in: repo)
        try s.ok("remember", "`any` is banned in TypeScript (use `unknown`)", "--kind", "constraint", in: repo)
        try s.ok(
            "remember", "EADDRINUSE on :3000 in tests: a dev server from the last run; kill it in globalTeardown",
            "--kind", "note", "--path", "test/setup.ts", "--commit", "HEAD", in: repo)
        // A fresh process is a fresh session: nothing but the files carries the facts over.
        let hits = try recall(s, repo, "what database do we use")
        #expect((hits.first?["memory"] as? [String: Any])?["id"] as? String == postgres)
        #expect((hits.first?["matched"] as? [String])?.contains("database") == true)
        #expect(text(try recall(s, repo, "EADDRINUSE").first ?? [:])?.hasPrefix("EADDRINUSE") == true)
        #expect(text(try recall(s, repo, "test/setup.ts").first ?? [:])?.hasPrefix("EADDRINUSE") == true)
        let head = try s.git("rev-parse", "HEAD", in: repo)
        let byCommit = try recall(s, repo, String(head.prefix(12))).first?["memory"] as? [String: Any]
        #expect(byCommit?["commits"] as? [String] == [head])
        let badCommit = try s.cs("remember", "x y z", "--kind", "note", "--commit", "no-such-rev", in: repo)
        #expect(badCommit.status == 1 && badCommit.stderr.contains("--commit 'no-such-rev'"))
        // The preamble of the next session carries the constraint byte-exact, and the decision.
        let preamble = try s.ok("preamble", in: repo)
        #expect(preamble.contains("```text\n`any` is banned in TypeScript (use `unknown`)\n```"))
        #expect(preamble.contains(postgres))
        let json = s.json(try s.ok("preamble", "--format", "json", in: repo))
        let constraints = json["constraints"] as? [[String: Any]] ?? []
        #expect(constraints.first?["text"] as? String == "`any` is banned in TypeScript (use `unknown`)")
        let plain = try s.ok("recall", "typescript any", in: repo)
        #expect(plain.contains("`any` is banned in TypeScript") && plain.contains("matched: typescript, any (strict)"))
    }

    @Test func aDecisionOnAFeatureBranchIsCurrentOnlyThereUntilMerged() throws {
        let (s, repo) = try world()
        try s.git("checkout", "-q", "-b", "feature", in: repo)
        let feature = try s.ok("remember", "Feature flags live in LaunchDarkly", "--kind", "decision", in: repo)
        try commitState(s, repo, "remember on feature")
        try s.git("checkout", "-q", "main", in: repo)
        let onMain = try s.ok("remember", "Deploys go through ArgoCD", "--kind", "decision", in: repo)
        try commitState(s, repo, "remember on main")
        #expect(try memories(s, repo).map { $0["id"] as? String } == [onMain])

        // The file carried over without the commits: recorded elsewhere, not current here.
        try s.git("checkout", "feature", "--", Self.stateFile, in: repo)
        #expect(try memories(s, repo).isEmpty)
        let all = try memories(s, repo, "--history")
        #expect(all.first { $0["id"] as? String == feature }?["status"] as? String == "elsewhere")
        #expect(try recall(s, repo, "LaunchDarkly").isEmpty)
        try s.git("checkout", "HEAD", "--", Self.stateFile, in: repo)

        try s.git("merge", "-q", "--no-edit", "feature", in: repo)
        let merged = try memories(s, repo)
        #expect(Set(merged.compactMap { $0["id"] as? String }) == [feature, onMain])
        #expect(merged.allSatisfy { $0["status"] as? String == "current" })
    }

    @Test func supersedingOneMemoryOnTwoBranchesLeavesAConflictRecordAndBothSuccessors() throws {
        let (s, repo) = try world()
        let old = try s.ok("remember", "Cache with memcached", "--kind", "decision", in: repo)
        try commitState(s, repo, "old decision")
        try s.git("checkout", "-q", "-b", "feature", in: repo)
        let theirs = try s.ok("remember", "Cache with Redis 7", "--kind", "decision", "--supersedes", old, in: repo)
        try commitState(s, repo, "redis")
        try s.git("checkout", "-q", "main", in: repo)
        let ours = try s.ok(
            "remember", "Cache in process (no server)", "--kind", "decision", "--supersedes", old, in: repo)
        try commitState(s, repo, "in process")
        try s.git("merge", "-q", "--no-edit", "feature", in: repo)
        let current = Set(try memories(s, repo).compactMap { $0["id"] as? String })
        #expect(current == [ours, theirs])
        let conflicts = try s.ok("conflicts", in: repo)
        #expect(conflicts.contains(old) && conflicts.contains("superseded_by"))
        let check = try s.cs("check", in: repo)
        #expect(check.stdout.contains("CS050"))
        try s.ok("conflicts", "resolve", old, in: repo)
        #expect(try s.ok("conflicts", in: repo).contains(old) == false)
    }

    @Test func privateMemoriesStayOutOfTheRepository() throws {
        let (s, repo) = try world()
        // The preamble is cached; a private memory (outside the state file) must still reach it.
        #expect(!(try s.ok("preamble", in: repo)).contains("Constraints"))
        try s.ok("remember", "Never run migrations from my laptop", "--kind", "constraint", "--private", in: repo)
        #expect(try s.ok("preamble", in: repo).contains("\nNever run migrations from my laptop\n"))
        let id = try s.ok("remember", "I prefer tabs in my scratch scripts", "--kind", "note", "--private", in: repo)
        #expect(try s.read(repo + "/" + Self.stateFile).contains(id) == false)
        #expect(try s.git("status", "--porcelain", in: repo).isEmpty)
        let listed = try memories(s, repo, "--kind", "note")
        #expect(listed.first?["id"] as? String == id && listed.first?["private"] as? Bool == true)
        #expect(text(try recall(s, repo, "tabs scratch").first ?? [:]) == "I prefer tabs in my scratch scripts")
        let forgot = try s.ok("forget", id, in: repo)
        #expect(forgot.contains("private: nothing of it was committed"))
        #expect(try memories(s, repo, "--kind", "note").isEmpty)
    }

    @Test func forgetLeavesATombstoneAndSaysWhatGitStillHas() throws {
        let (s, repo) = try world()
        let id = try s.ok("remember", "The staging box is 10.0.0.7", "--kind", "note", in: repo)
        try commitState(s, repo, "note")
        let out = try s.ok("forget", String(id.prefix(8)), in: repo)
        #expect(out.contains("git history still holds") && out.contains("git filter-repo"))
        let file = try s.read(repo + "/" + Self.stateFile)
        #expect(!file.contains("10.0.0.7") && file.contains(id) && file.contains("\"forgotten\""))
        #expect(try memories(s, repo, "--history").first?["status"] as? String == "forgotten")
        #expect(try recall(s, repo, "staging").isEmpty)
    }

    @Test func badInputIsRefusedClearlyAndNothingIsLost() throws {
        let (s, repo) = try world()
        try s.ok("remember", "Keep me", "--kind", "note", in: repo)
        let before = try s.read(repo + "/" + Self.stateFile)

        let empty = try s.cs("remember", "  ", "--kind", "note", in: repo)
        #expect(empty.status == 1 && empty.stderr.contains("memory text must not be empty"))
        let big = try s.run(
            Sandbox.binary, ["remember", "-", "--kind", "note"], in: repo,
            stdin: String(repeating: "0123456789abcdef", count: 65_536))
        // Standard input is read up to the field limit, not past it (docs/threat-model.md).
        #expect(big.status == 1 && big.stderr.contains("more than 65536 bytes") && big.stderr.contains("limit"))
        let invalid = try s.run(
            "/bin/sh", ["-c", "printf 'bad \\377\\376 bytes' | \"$0\" remember - --kind note", Sandbox.binary], in: repo
        )
        #expect(invalid.status == 1 && invalid.stderr.contains("not valid UTF-8"))
        let kind = try s.cs("remember", "x", "--kind", "rule", in: repo)
        #expect(kind.status == 2 && kind.stderr.contains("--kind must be decision, constraint or note"))
        for query in ["\"", "*", "-", "\" * - ( ) :"] {
            let r = try s.cs("recall", query, in: repo)
            #expect(r.status == 1 && r.stderr.contains("has no words to search for"), "\(query)")
        }
        for query in ["NEAR", "NOT", "\"Keep", "keep*", "-keep", "AND OR"] {
            let r = try s.cs("recall", "--", query, in: repo)
            #expect(r.ok, "\(query): \(r.stderr)")
        }
        let duplicate = try s.cs("remember", "keep me.", "--kind", "note", in: repo)
        #expect(duplicate.status == 1 && duplicate.stderr.contains("nearly the same as"))
        #expect(try s.read(repo + "/" + Self.stateFile) == before)
    }

    @Test func aSecretInADecisionIsRedactedEverywhereAndJournaled() throws {
        let (s, repo) = try world()
        let key = "AKIA" + "IOSFODNN7EXAMPLE"
        let r = try s.cs(
            "remember", "CI deploys with \(key)", "--kind", "decision", "--why", "token: Zx9" + "Yw8Vu7Ts6", in: repo)
        #expect(r.ok && r.stderr.contains("redacted 2 secret(s) (aws-access-key, secret-assignment)"))
        let file = try s.read(repo + "/" + Self.stateFile)
        #expect(!file.contains(key) && file.contains("CI deploys with [REDACTED:aws-access-key]"))
        let gitDir = try s.git("rev-parse", "--git-common-dir", in: repo)
        let journal = try s.read((gitDir.hasPrefix("/") ? gitDir : repo + "/" + gitDir) + "/codex-state/journal.jsonl")
        #expect(
            !journal.contains(key)
                && journal.contains("\"redactions\":[{\"allowed\":false,\"line\":1,\"rule\":\"aws-access-key\"}"))
        // The explicit way to keep a fixture.
        let fixture = "test fixture \(key) codex-state:allow-secret"
        try s.ok("remember", fixture, "--kind", "note", in: repo)
        #expect(try s.read(repo + "/" + Self.stateFile).contains(fixture))
    }

    @Test func checkReportsAConstraintEditedByHand() throws {
        let (s, repo) = try world()
        let id = try s.ok("remember", "Never force-push main", "--kind", "constraint", in: repo)
        let path = repo + "/" + Self.stateFile
        try s.write(
            path, try s.read(path).replacingOccurrences(of: "Never force-push main", with: "Force-push main if needed"))
        let r = try s.cs("check", in: repo)
        #expect(r.status == 1)
        #expect(r.stdout.contains("CS080") && r.stdout.contains(id) && r.stdout.contains("no longer matches its hash"))
    }
}

/// Redaction on the task write path: the same transaction, the same rules.
@Suite struct TaskRedactionTests {
    @Test func aSecretInATaskNeverReachesTheFileOrTheJournal() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        let token = "ghp" + "_" + "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
        let r = try s.cs(
            "task", "add", "Rotate \(token)", "--accept", "postgres://app:" + "s3cretPw@db/app", in: repo)
        #expect(r.ok && r.stderr.contains("redacted 2 secret(s) (database-url-password, github-token)"))
        let id = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let file = try s.read(repo + "/.codex-state/project_state.json")
        #expect(!file.contains(token) && file.contains("Rotate [REDACTED:github-token]"))
        #expect(file.contains("postgres://app:[REDACTED:database-url-password]@db/app"))
        try s.ok("task", "edit", id, "--note", "password=Hunter2Hunter2", in: repo)
        #expect(try s.read(repo + "/.codex-state/project_state.json").contains("password=[REDACTED:secret-assignment]"))
        let log = try s.ok("log", "--json", in: repo)
        #expect(!log.contains(token) && !log.contains("Hunter2Hunter2"))
    }
}

/// Audit and undo: every operation journaled with who, what ran it, branch and HEAD; `undo`
/// through the same transaction path, refusing when a later change touched the same fields.
@Suite struct UndoTests {
    func log(_ s: Sandbox, _ repo: String, _ args: String...) throws -> [[String: Any]] {
        let r = try s.run(Sandbox.binary, ["log", "--json"] + args, in: repo)
        return (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]]) ?? []
    }

    @Test func undoRestoresTheFieldsOfOneOperationAndKeepsLaterOnes() throws {
        let (s, repo) = try MergeDriverTests().world()
        let id = try s.ok("task", "add", "Write the parser", "--priority", "3", in: repo)
        try s.ok("task", "edit", id, "--title", "Write the TOML parser", in: repo)
        let retitle = try #require(try log(s, repo).first?["op"] as? String)
        try s.ok("task", "edit", id, "--priority", "1", in: repo)
        let out = try s.ok("undo", retitle, in: repo)
        #expect(out.hasPrefix("undid \(retitle)") && out.contains("task \(id)"))
        let task = s.json(try s.ok("task", "show", id, "--json", in: repo))["task"] as? [String: Any]
        #expect(task?["title"] as? String == "Write the parser" && task?["priority"] as? Int == 1)
        // The undo is an operation too: journaled, and undoing it redoes.
        let latest = try #require(try log(s, repo).first)
        #expect((latest["command"] as? String)?.contains("undo") == true && latest["client"] as? String == "cli")
        try s.ok("undo", in: repo)
        let again = s.json(try s.ok("task", "show", id, "--json", in: repo))["task"] as? [String: Any]
        #expect(again?["title"] as? String == "Write the TOML parser")
    }

    @Test func undoRefusesWhenALaterOperationTouchedTheSameField() throws {
        let (s, repo) = try MergeDriverTests().world()
        let id = try s.ok("task", "add", "A", in: repo)
        try s.ok("task", "edit", id, "--title", "B", in: repo)
        let first = try #require(try log(s, repo).first?["op"] as? String)
        try s.ok("task", "edit", id, "--title", "C", in: repo)
        let before = try s.read(repo + "/.codex-state/project_state.json")
        let r = try s.cs("undo", String(first.prefix(9)), in: repo)
        #expect(r.status == 1 && r.stderr.contains("a later change touched the same fields (title)"))
        #expect(try s.read(repo + "/.codex-state/project_state.json") == before)
    }

    @Test func undoOfRememberAndForgetAndOneFactsHistory() throws {
        let (s, repo) = try MergeDriverTests().world()
        let id = try s.ok("remember", "Use Postgres 16", "--kind", "decision", in: repo)
        try s.ok("forget", id, in: repo)
        try s.ok("undo", in: repo)  // the forget
        let listed = s.json(try s.ok("memories", "--json", in: repo))["memories"] as? [[String: Any]] ?? []
        #expect(listed.first?["text"] as? String == "Use Postgres 16")
        let history = try log(s, repo, "--memory", String(id.prefix(8)))
        #expect(history.count == 3)
        #expect(history.allSatisfy { ($0["head"] as? String)?.count == 40 && $0["branch"] as? String != nil })
        let text = try s.ok("log", "--memory", id, in: repo)
        #expect(text.contains("remember") && text.contains("forget") && text.contains("[op-"))
        // Private memories undo through their own store.
        let p = try s.ok("remember", "my private note", "--kind", "note", "--private", in: repo)
        try s.ok("undo", in: repo)
        #expect(!(try s.ok("memories", in: repo)).contains(p))
        #expect(try log(s, repo, "--memory", p).first?["private"] as? Bool == true)
    }
}

/// The cross-session experiment over MCP: facts stored in one session (CLI and MCP) are in the
/// next session's preamble and answers.
@Suite(.enabled(if: PythonMCP.python != nil))
struct MemoryMCPTests {
    @Test func factsStoredInOneSessionAreRecalledInTheNext() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        let rule = "`any` is banned in TypeScript; use `unknown`"
        try s.ok("remember", rule, "--kind", "constraint", in: repo)
        let mcp = MCPServerTests()
        let first = try mcp.session(
            s, in: repo,
            [
                (
                    "remember",
                    ["text": "Postgres 16 is the primary database", "kind": "decision", "why": "JSONB"]
                ),
                ("remember", ["text": "Sessions live in Redis", "kind": "decision"]),
                ("remember", ["text": "x", "kind": "rule"]),
            ])
        #expect(first.results.prefix(2).allSatisfy { !$0.error }, "\(first.results)")
        #expect(first.results.last?.error == true && first.results.last?.text.contains("kind must be") == true)
        let postgres = (s.json(first.results.first?.text ?? "{}")["memory"] as? [String: Any])?["id"] as? String
        #expect(postgres != nil)
        let journal = try s.ok("log", "-n", "1", "--json", in: repo)
        #expect(journal.contains("\"client\" : \"mcp\"") || journal.contains("\"client\": \"mcp\""))

        let next = try mcp.session(s, in: repo, [("preamble", [:]), ("recall", ["query": "what database do we use"])])
        #expect(next.results.allSatisfy { !$0.error }, "\(next.results)")
        #expect(next.results.first?.text.contains("\n" + rule + "\n") == true)
        let results = s.json(next.results.last?.text ?? "{}")["results"] as? [[String: Any]] ?? []
        #expect((results.first?["memory"] as? [String: Any])?["id"] as? String == postgres)
    }
}

/// `codex-state journal`: one deterministic Markdown page per day.
@Suite struct DailyJournalTests {
    @Test func aDaysPageListsTheWorkAndNothingPrivate() throws {
        let (s, repo) = try MergeDriverTests().world()
        let t = try s.ok("task", "add", "Write the parser", in: repo)
        try s.ok("task", "start", t, in: repo)
        try s.ok("remember", "Postgres 16 is the primary database", "--kind", "decision", "--why", "JSONB", in: repo)
        try s.ok("remember", "my private preference", "--kind", "note", "--private", in: repo)
        let gone = try s.ok("remember", "the staging password rotation day", "--kind", "note", in: repo)
        try s.ok("forget", gone, in: repo)
        let path = try s.ok("journal", "--date", "2026-01-15", in: repo)
        #expect(path == repo + "/docs/ai-journal/2026-01-15.md")
        let page = try s.read(path)
        #expect(page.hasPrefix("# AI journal: 2026-01-15\n"))
        #expect(page.contains("## Tasks started\n- `\(t)` \"Write the parser\" (@tester on `main`)"))
        #expect(page.contains("\"Postgres 16 is the primary database\" · why: \"JSONB\""))
        #expect(!page.contains("private preference") && !page.contains("staging password"))
        #expect(page.contains("note `\(gone)` (forgotten since)"))
        // Deterministic: the same inputs, the same bytes.
        #expect(try s.ok("journal", "--date", "2026-01-15", "--stdout", in: repo) + "\n" == page)
        let empty = try s.ok("journal", "--date", "2025-12-31", "--stdout", in: repo)
        #expect(empty.hasSuffix("Nothing was recorded on this day."))
        let bad = try s.cs("journal", "--date", "yesterday", in: repo)
        #expect(bad.status == 1 && bad.stderr.contains("expected a date like"))
    }
}
