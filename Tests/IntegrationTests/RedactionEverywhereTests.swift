import Foundation
import GRDB
import Testing

/// Redaction of every string the tool stores (issue 19, item 3): labels (CLI and MCP), the actor
/// (`--actor`, `CODEX_STATE_ACTOR`, an MCP client's name), memory paths, a branch name, milestone,
/// goal and project names, session records. The same secrets in a title were already redacted;
/// in these fields they reached the committed state file, the journal and the index. Every file
/// the tool wrote — in `.codex-state/` and in its git directory — is searched byte for byte.
@Suite struct RedactionEverywhereTests {
    static let github = "ghp" + "_" + "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
    static let aws = "AKIA" + "IOSFODNN7EXAMPLE"
    static let slack = "xoxb" + "-123456789012-1234567890123-" + "AbCdEfGhIjKlMnOpQrStUvWx"
    static let gitlab = "glpat" + "-" + "xYz12AbC34dEf56GhI78"
    static let secrets = [github, aws, slack, gitlab]

    /// Every file under `dirs` holding any of the secrets (bytes, so SQLite pages count too), and
    /// every row of the index. The index's render cache is left out: it holds what `tasks`
    /// printed, whose header names git's branch as git has it (not a stored field).
    static func leaks(in dirs: [String]) throws -> [String] {
        var out: [String] = []
        for dir in dirs {
            guard let walker = FileManager.default.enumerator(atPath: dir) else { continue }
            for case let rel as String in walker {
                let path = dir + "/" + rel
                if rel.hasSuffix(".sqlite") {
                    out += try rows(path).filter { row in secrets.contains { row.contains($0) } }.map {
                        "\(rel) row \($0.prefix(120))"
                    }
                    continue
                }
                if rel.hasSuffix(".sqlite-wal") || rel.hasSuffix(".sqlite-shm") { continue }
                // A file named after a field (a session file after its branch) counts too.
                for secret in secrets where rel.lowercased().contains(secret.lowercased()) {
                    out.append("the name \(rel) holds \(secret.prefix(6))…")
                }
                guard let data = FileManager.default.contents(atPath: path) else { continue }
                for secret in secrets where data.range(of: Data(secret.utf8)) != nil {
                    out.append("\(rel) holds \(secret.prefix(6))…")
                }
            }
        }
        return out
    }

    /// Every row of every table of an SQLite file but the render cache, as text.
    static func rows(_ path: String) throws -> [String] {
        let db = try DatabaseQueue(path: path)
        return try db.read { db in
            var out: [String] = []
            let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
            for table in tables where table != "rendered" {
                for row in try Row.fetchAll(db, sql: "SELECT * FROM \"\(table)\"") {
                    out.append(
                        row.databaseValues.map { v -> String in
                            if let d = Data.fromDatabaseValue(v) { return String(decoding: d, as: UTF8.self) }
                            return v.description
                        }.joined(separator: " "))
                }
            }
            return out
        }
    }

    @Test func noFieldCarriesASecretIntoTheFileTheJournalOrTheIndex() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", "--name", "demo " + Self.gitlab, in: repo)
        try s.git("switch", "-q", "-c", "feature/" + Self.aws, in: repo)
        let env = ["CODEX_STATE_ACTOR": "bot " + Self.slack]
        func cs(_ args: String...) throws -> String {
            let r = try s.run(Sandbox.binary, args, in: repo, env: env)
            #expect(r.ok, "\(args): \(r.stderr)")
            return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let a = try cs("task", "add", "Plain title", "--label", "key-" + Self.github)
        _ = try cs("task", "add", "Second", "--actor", "me " + Self.aws, "--label", "ok")
        _ = try cs("task", "start", a)
        _ = try cs("task", "edit", a, "--add-label", Self.slack, "--note", "fine")
        _ = try cs("milestone", "add", "Ship " + Self.github)
        _ = try cs("goal", "add", "Reach " + Self.aws)
        _ = try cs("remember", "Keys live in the vault", "--kind", "decision", "--path", "conf/" + Self.github)
        _ = try cs("session", "start")
        _ = try cs("complete", a, "--note", "done")
        _ = try cs("session", "end")
        _ = try cs("tasks", "--all")
        if let python = PythonMCP.python {
            let client = """
                import asyncio, sys
                from mcp import ClientSession, StdioServerParameters, types
                from mcp.client.stdio import stdio_client
                async def main():
                    params = StdioServerParameters(command=sys.argv[1], args=["mcp"], cwd=sys.argv[2],
                        env={"CODEX_STATE_NOW": "2026-01-15T09:00:00Z", "GIT_CONFIG_NOSYSTEM": "1"})
                    async with stdio_client(params) as (r, w):
                        info = types.Implementation(name="agent " + sys.argv[3], version="1")
                        async with ClientSession(r, w, client_info=info) as s:
                            await s.initialize()
                            res = await s.call_tool("task_add", {"title": "Via MCP", "labels": [sys.argv[3]]})
                            assert not res.is_error, res
                            res = await s.call_tool("remember", {"text": "MCP memory", "kind": "note",
                                                                 "paths": [sys.argv[3]]})
                            assert not res.is_error, res
                asyncio.run(main())
                """
            try s.write(s.path("client.py"), client)
            let r = try s.run(python, [s.path("client.py"), Sandbox.binary, repo, "mcp-" + Self.gitlab], in: repo)
            #expect(r.ok, "\(r.stderr)")
        }
        let leaks = try Self.leaks(in: [repo + "/.codex-state", repo + "/.git/codex-state"])
        #expect(leaks.isEmpty, "\(leaks)")
        let file = try s.read(repo + "/.codex-state/project_state.json")
        #expect(file.contains("[REDACTED:github-token]") && file.contains("[REDACTED:slack-token]"))
        // Who did it is still one actor: the redacted name claims and completes its own task.
        let shown = s.json(try cs("task", "show", a, "--json"))["task"] as? [String: Any]
        #expect((shown?["completion"] as? [String: Any])?["actor"] as? String == "bot [REDACTED:slack-token]")
        // The journal says which rules fired, never the secret.
        let log = try cs("log", "--json")
        #expect(log.contains("aws-access-key") && !log.contains(Self.aws))
    }
}
