import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The Python interpreter that has the official MCP SDK (PyPI `mcp`), or nil with the reason.
enum PythonMCP {
    static let python: String? = {
        let candidates = [ProcessInfo.processInfo.environment["MCP_PYTHON"], "python3"].compactMap { $0 }
        for p in candidates {
            let proc = Process()
            proc.executableURL = URL(fileURLWithPath: p.hasPrefix("/") ? p : "/usr/bin/env")
            proc.arguments = (p.hasPrefix("/") ? [] : [p]) + ["-c", "import mcp"]
            proc.standardOutput = FileHandle.nullDevice
            proc.standardError = FileHandle.nullDevice
            guard (try? proc.run()) != nil else { continue }
            proc.waitUntilExit()
            if proc.terminationStatus == 0 { return p }
        }
        FileHandle.standardError.write(
            Data(
                "\n*** SKIPPED: the MCP client tests need the official MCP Python SDK (pip install mcp); .ci/run installs it ***\n\n"
                    .utf8))
        return nil
    }()

    /// Starts `codex-state mcp` through the SDK's stdio client, runs `calls` and prints what came back.
    static let client = """
        import asyncio, json, os, sys
        from mcp import ClientSession, StdioServerParameters
        from mcp.client.stdio import stdio_client

        async def main():
            binary, cwd, calls_path, out_path = sys.argv[1:5]
            extra = json.loads(sys.argv[5]) if len(sys.argv) > 5 else []
            calls = json.load(open(calls_path))
            params = StdioServerParameters(command=binary, args=["mcp"] + extra, cwd=cwd,
                env={"CODEX_STATE_NOW": "2026-01-15T09:00:00Z", "GIT_CONFIG_NOSYSTEM": "1",
                     "CODEX_STATE_SEMANTIC_MODEL": os.environ.get("CODEX_STATE_SEMANTIC_MODEL", "none")})
            out = {"results": []}
            async with stdio_client(params) as (r, w):
                async with ClientSession(r, w) as s:
                    init = await s.initialize()
                    out["instructions"] = init.instructions
                    tools = await s.list_tools()
                    out["tools"] = [t.model_dump(mode="json", exclude_none=True, by_alias=True) for t in tools.tools]
                    for name, args in calls:
                        res = await s.call_tool(name, args)
                        texts = [c.text for c in res.content if getattr(c, "type", "") == "text"]
                        out["results"].append({"error": bool(res.is_error), "text": "".join(texts[:1]),
                                               "warnings": texts[1:]})
            json.dump(out, open(out_path, "w"))

        asyncio.run(main())
        """
}

@Suite(.enabled(if: PythonMCP.python != nil))
struct MCPServerTests {
    struct Outcome {
        var instructions: String
        var tools: [[String: Any]]
        var results: [(error: Bool, text: String)]
        /// The text items after a result's first: the warnings the CLI prints on stderr.
        var warnings: [[String]]
    }

    func session(
        _ s: Sandbox, in dir: String, _ calls: [(String, [String: Any])], extra: [String] = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Outcome {
        try s.write(s.path("client.py"), PythonMCP.client)
        let callsJSON = try JSONSerialization.data(withJSONObject: calls.map { [$0.0, $0.1] as [Any] })
        try s.write(s.path("calls.json"), String(decoding: callsJSON, as: UTF8.self))
        let extraJSON = String(decoding: try JSONSerialization.data(withJSONObject: extra), as: UTF8.self)
        let r = try s.run(
            PythonMCP.python ?? "python3",
            [s.path("client.py"), Sandbox.binary, dir, s.path("calls.json"), s.path("out.json"), extraJSON], in: dir)
        #expect(r.ok, "MCP client: \(r.stderr)", sourceLocation: sourceLocation)
        let obj = s.json(try s.read(s.path("out.json")), sourceLocation: sourceLocation)
        return Outcome(
            instructions: obj["instructions"] as? String ?? "",
            tools: obj["tools"] as? [[String: Any]] ?? [],
            results: (obj["results"] as? [[String: Any]] ?? []).map {
                ($0["error"] as? Bool ?? true, $0["text"] as? String ?? "")
            },
            warnings: (obj["results"] as? [[String: Any]] ?? []).map { $0["warnings"] as? [String] ?? [] })
    }

    func project() throws -> (Sandbox, String, a: String, b: String) {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--name", "demo", in: repo)
        let a = try s.ok("task", "add", "Write the parser", "--priority", "1", in: repo)
        let b = try s.ok("task", "add", "Write the docs", "--dep", a, in: repo)
        return (s, repo, a, b)
    }

    @Test func toolsAreLeanAnnotatedAndInstructed() throws {
        let (s, repo, _, _) = try project()
        let o = try session(s, in: repo, [])
        let names = o.tools.compactMap { $0["name"] as? String }
        #expect(
            names == [
                "preamble", "tasks", "next", "task_show", "task_add", "task_update", "complete", "remember", "recall",
            ])
        let bytes = try JSONSerialization.data(withJSONObject: o.tools, options: [.sortedKeys]).count
        #expect(bytes / 4 <= 1500, "tool definitions cost \(bytes / 4) tokens")
        for t in o.tools {
            let readOnly = (t["annotations"] as? [String: Any])?["readOnlyHint"] as? Bool
            let name = t["name"] as? String ?? ""
            #expect(
                readOnly == ["preamble", "tasks", "task_show", "recall"].contains(name),
                "\(name): readOnlyHint \(readOnly as Any)")
        }
        #expect(o.instructions.contains("preamble") && o.instructions.contains("complete"))
        #expect(!o.instructions.contains("codex next"))
        #expect(o.instructions.split(separator: "\n").count <= 6)
    }

    @Test func everyToolWorksOverTheSameTransactions() throws {
        let (s, repo, a, b) = try project()
        let o = try session(
            s, in: repo,
            [
                ("preamble", [:]),
                ("tasks", ["status": "ready"]),
                ("next", ["claim": true]),
                ("task_show", ["id": String(a.prefix(6))]),
                ("task_add", ["title": "Review", "deps": [b], "acceptance": ["two approvals"], "priority": 3]),
                (
                    "task_update",
                    ["id": b, "note": "needs examples", "add_labels": ["docs"], "title": "Write the user docs"]
                ),
                ("complete", ["id": a, "note": "merged"]),
                ("tasks", ["all": true]),
            ], extra: ["--actor", "agent-1"])
        #expect(o.results.allSatisfy { !$0.error }, "\(o.results.filter(\.error))")
        guard o.results.count == 8 else { return }
        #expect(o.results[0].text.contains("Write the parser"))
        #expect(s.json(o.results[1].text)["tasks"].map { ($0 as? [[String: Any]])?.count } == 1)
        #expect(s.json(o.results[2].text)["claimed"] as? String == a)
        #expect((s.json(o.results[3].text)["task"] as? [String: Any])?["id"] as? String == a)
        let added = s.json(o.results[4].text)["id"] as? String ?? ""
        #expect(s.json(o.results[6].text)["status"] as? String == "done")
        // No commit named: the commit that first holds the record anchors it (docs/state-format.md).
        #expect(s.json(o.results[6].text)["commit"] is NSNull)
        // As `complete --json`: what the completion made ready.
        let unblocked = s.json(o.results[6].text)["unblocked"] as? [[String: String]]
        #expect(unblocked == [["id": b, "title": "Write the user docs"]], "\(o.results[6].text)")

        // The CLI sees exactly what the tools did.
        let tasks = try s.tasks(in: repo)
        #expect(tasks[a]?["effective_status"] as? String == "done")
        #expect(tasks[b]?["title"] as? String == "Write the user docs")
        #expect(tasks[b]?["labels"] as? [String] == ["docs"])
        #expect(tasks[added]?["deps"] as? [String] == [b])
        #expect(tasks[added]?["priority"] as? Int == 3)
        let shown = s.json(try s.ok("task", "show", a, "--json", in: repo))
        #expect(((shown["task"] as? [String: Any])?["started"] as? [String: Any])?["actor"] as? String == "agent-1")
        let log = try s.ok("log", in: repo)
        #expect(log.contains("codex-state mcp complete"))
    }

    @Test func errorsAreToolErrorsAndTheServerLives() throws {
        let (s, repo, a, b) = try project()
        // Two ids that share a first character make an ambiguous prefix when one exists.
        let o = try session(
            s, in: repo,
            [
                ("task_show", ["id": "zzzzzz"]),
                ("task_show", [:]),
                ("task_show", ["id": 42]),
                ("task_add", ["title": "x", "priority": "high"]),
                ("task_add", ["title": "x", "priority": 9]),
                ("task_update", ["id": a, "add_deps": [b]]),
                ("task_update", ["id": a, "status": "done"]),
                ("task_update", ["id": a]),
                ("next", ["claim": "yes"]),
                ("tasks", ["colour": "red"]),
                ("tasks", ["status": "finished"]),
                ("nope", [:]),
                ("task_show", ["id": a]),
            ])
        guard o.results.count == 13 else {
            Issue.record("\(o.results)")
            return
        }
        for r in o.results.dropLast() { #expect(r.error, "\(r.text)") }
        #expect(!o.results[12].error)
        #expect(o.results[0].text.contains("zzzzzz"))
        #expect(o.results[1].text == "task_show: missing required argument 'id'")
        #expect(o.results[2].text == "task_show: 'id' must be a string, not a number")
        #expect(o.results[3].text.contains("'priority' must be an integer"))
        #expect(o.results[4].text.contains("'priority' must be 0 to 4, not 9"))
        #expect(o.results[5].text.lowercased().contains("cycle"), "\(o.results[5].text)")
        #expect(o.results[6].text.contains("complete tool"))
        #expect(o.results[7].text.contains("nothing to change"))
        #expect(o.results[8].text.contains("'claim' must be true or false"))
        #expect(o.results[9].text.contains("unknown argument 'colour'"))
        #expect(o.results[10].text.contains("unknown --status 'finished'"))
        #expect(o.results[11].text.contains("unknown tool 'nope'"))
        // The CLI's own message for the same mistake.
        let cli = try s.cs("task", "show", "zzzzzz", in: repo)
        #expect(cli.stderr.contains(o.results[0].text))
        // Nothing was written by the failed calls.
        #expect(try s.tasks(in: repo).count == 2)
    }

    /// A task started while it still waits on others: the tool says so, as `task start` does.
    @Test func startingAWaitingTaskWarns() throws {
        let (s, repo, a, b) = try project()
        let o = try session(s, in: repo, [("task_update", ["id": b, "status": "in_progress"]), ("tasks", [:])])
        guard o.results.count == 2 else { return }
        #expect(!o.results[0].error, "\(o.results[0].text)")
        #expect(s.json(o.results[0].text)["effective_status"] as? String == "in_progress")
        #expect(o.warnings[0] == ["codex-state: warning: \(b) still waits on \(a) (open)"], "\(o.warnings)")
        #expect(o.warnings[1].isEmpty)
    }

    /// Starting a task through `task_update` is a claim, as `task start` is: decided under the
    /// clone-wide claim lock, and refused while someone else has it in progress in another
    /// worktree (two agents over MCP must not start the same task).
    @Test func startingThroughTaskUpdateRespectsAnotherWorktreesClaim() throws {
        let (s, repo, a, _) = try project()
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "plan", in: repo)
        let wt = s.path("wt")
        try s.git("worktree", "add", "-q", "-b", "side", wt, in: repo)
        let started = try s.run(Sandbox.binary, ["task", "start", a], in: wt, env: ["CODEX_STATE_ACTOR": "bob"])
        #expect(started.ok, "\(started.stderr)")
        let o = try session(s, in: repo, [("task_update", ["id": a, "status": "in_progress"])])
        guard o.results.count == 1 else { return }
        #expect(o.results[0].error, "\(o.results[0].text)")
        #expect(o.results[0].text.contains("in progress"), "\(o.results[0].text)")
        #expect(o.results[0].text.contains("bob"), "\(o.results[0].text)")
        let file = try s.read(repo + "/.codex-state/project_state.json")
        #expect(!file.contains("\"in_progress\""), "the refused start was written")
    }

    /// The `tasks` tool filters as `tasks` does: lists combine as the CLI's repeated options.
    @Test func tasksToolTakesTheCLIsFilters() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        try s.ok("milestone", "add", "Beta", in: repo)
        let both = try s.ok(
            "task", "add", "Parse TOML", "--label", "a", "--label", "b", "--milestone", "Beta", in: repo)
        let onlyA = try s.ok("task", "add", "Parse YAML", "--label", "a", in: repo)
        let c = try s.ok("task", "add", "Write docs", "--body", "mention the TOML parser", in: repo)
        try s.ok("task", "start", c, in: repo)
        let calls: [(String, [String: Any])] = [
            ("tasks", ["label": ["a", "b"]]),
            ("tasks", ["status": ["ready", "in_progress"]]),
            ("tasks", ["search": "toml"]),
            ("tasks", ["search": ["toml", "docs"]]),
            ("tasks", ["by": ["tester"]]),
            ("tasks", ["milestone": "beta"]),
            ("tasks", ["status": ["ready", "finished"]]),
            ("tasks", ["stale": true, "everywhere": true]),
        ]
        let o = try session(s, in: repo, calls)
        guard o.results.count == calls.count else { return }
        func ids(_ i: Int) -> Set<String> {
            #expect(!o.results[i].error, "\(calls[i]): \(o.results[i].text)")
            let listed = s.json(o.results[i].text)["tasks"] as? [[String: Any]] ?? []
            return Set(listed.compactMap { $0["id"] as? String })
        }
        #expect(ids(0) == [both])  // every label
        #expect(ids(1) == [both, onlyA, c])  // any status
        #expect(ids(2) == [both, c])
        #expect(ids(3) == [c])  // every search
        #expect(ids(4) == [c])
        #expect(ids(5) == [both])  // milestone by title
        #expect(o.results[6].error && o.results[6].text.contains("unknown --status 'finished'"))
        #expect(ids(7).isEmpty)  // nothing stale

    }

    @Test func ambiguousPrefixIsAToolError() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        var ids: [String] = []
        for i in 0..<40 { ids.append(try s.ok("task", "add", "Task \(i)", in: repo)) }
        let byFirst = Dictionary(grouping: ids, by: { $0.prefix(5) })
        guard let shared = byFirst.first(where: { $0.value.count > 1 })?.key else { return }
        let o = try session(s, in: repo, [("task_show", ["id": String(shared)])])
        #expect(o.results.first?.error == true)
        #expect(o.results.first?.text.contains("ambiguous") == true, "\(o.results)")
    }

    @Test func repositoryFromRepoOptionAndOutsideARepository() throws {
        let (s, repo, _, _) = try project()
        let elsewhere = s.path("elsewhere")
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        let good = try session(s, in: elsewhere, [("tasks", [:])], extra: ["--repo", repo])
        #expect(good.results.first?.error == false)
        let bad = try session(s, in: elsewhere, [("tasks", [:]), ("tasks", [:])])
        #expect(bad.results.count == 2 && bad.results.allSatisfy(\.error), "\(bad.results)")
    }

    /// A client that writes a call and hangs up: the call completes or not, the server exits,
    /// nothing is lost.
    @Test func clientDisconnectingMidCall() throws {
        let (s, repo, a, _) = try project()
        let messages = [
            #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#,
            #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            #"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"complete","arguments":{"id":"\#(a)"}}}"#,
            #"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"task_add","arguments":{"title":"#,
        ].joined(separator: "\n")
        let r = try s.run(Sandbox.binary, ["mcp"], in: repo, stdin: messages)
        #expect(r.status == 0, "exit \(r.status): \(r.stderr)")
        let check = try s.cs("check", in: repo)
        #expect(!check.stdout.contains("CS00"), "\(check.stdout)")
        #expect(try s.tasks(in: repo).count == 2)
    }
}
