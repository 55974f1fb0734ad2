import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The MCP stdio stream itself (issue 19, items 1, 7 and 8): every reply is one whole line
/// whatever its size and however many calls are in flight, every request gets an answer (a
/// malformed one a JSON-RPC error), and a request is read in linear time up to a documented size.
@Suite struct MCPStreamTests {
    static let initialize =
        #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}"#
    static let initialized = #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#

    static func call(_ id: Int, _ name: String, _ arguments: String = "{}") -> String {
        #"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"\#(name)","arguments":\#(arguments)}}"#
    }

    /// A repository with `count` tasks whose titles are long, so that `tasks` over all of them is a
    /// reply far above a pipe's 64 KiB buffer. The tasks are added through one MCP session.
    static func project(tasks count: Int, titleLength: Int = 400) throws -> (Sandbox, String) {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        var lines = [initialize, initialized]
        for i in 0..<count {
            let title = "Task \(i) " + String(repeating: "x", count: titleLength)
            lines.append(call(2 + i, "task_add", #"{"title":"\#(title)"}"#))
        }
        let r = try s.run(Sandbox.binary, ["mcp"], in: repo, stdin: lines.joined(separator: "\n") + "\n")
        #expect(r.ok, "\(r.stderr)")
        #expect(try s.tasks(in: repo).count == count)
        return (s, repo)
    }

    /// Runs `codex-state mcp` on real pipes: writes `input` at once, waits `pause` seconds before
    /// reading anything (the replies fill the pipe, as with a client busy elsewhere), then reads
    /// every line until the server exits.
    static func rawSession(_ s: Sandbox, in dir: String, input: [UInt8], pause: Double = 1) throws -> (
        lines: [[UInt8]], status: Int32, stderr: String
    ) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Sandbox.binary)
        p.arguments = ["mcp"]
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        p.environment = s.env
        let stdin = Pipe()
        let stdout = Pipe()
        let errFile = s.path(".mcp-stderr-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: errFile, contents: nil)
        p.standardInput = stdin
        p.standardOutput = stdout
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errFile))
        try p.run()
        // The writer runs apart: a large request must not deadlock against the replies.
        let writer = Thread {
            try? stdin.fileHandleForWriting.write(contentsOf: Data(input))
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        usleep(UInt32(pause * 1_000_000))
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        var lines: [[UInt8]] = []
        for line in out.split(separator: 0x0A, omittingEmptySubsequences: true) { lines.append(Array(line)) }
        return (lines, p.terminationStatus, (try? String(contentsOfFile: errFile, encoding: .utf8)) ?? "")
    }

    static func object(_ line: [UInt8]) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any]
    }

    // MARK: - 1. One writer, whole messages

    /// Forty pipelined `tasks` calls, each reply about 100 KB, read only after a pause: every
    /// line is one whole JSON-RPC message and every call is answered once.
    @Test func pipelinedLargeRepliesAreWholeLinesOnARealPipe() throws {
        let (s, repo) = try Self.project(tasks: 160)
        let calls = (0..<40).map { Self.call(100 + $0, "tasks", #"{"all":true}"#) }
        let input = ([Self.initialize, Self.initialized] + calls).joined(separator: "\n") + "\n"
        let r = try Self.rawSession(s, in: repo, input: Array(input.utf8))
        #expect(r.status == 0, "\(r.stderr)")
        var answered: [Int] = []
        var broken = 0
        for line in r.lines {
            guard let obj = Self.object(line) else {
                broken += 1
                continue
            }
            guard let id = obj["id"] as? Int, id >= 100 else { continue }
            answered.append(id)
            let result = obj["result"] as? [String: Any]
            let text = ((result?["content"] as? [[String: Any]])?.first?["text"] as? String) ?? ""
            let listed = (Self.object(Array(text.utf8))?["tasks"] as? [Any])?.count
            #expect(listed == 160, "reply \(id): \(text.prefix(200))")
        }
        #expect(broken == 0, "\(broken) of \(r.lines.count) lines are not JSON (replies interleaved)")
        #expect(answered.sorted() == Array(100..<140))
        #expect(r.lines.map(\.count).max() ?? 0 > 65_536, "the replies must exceed a pipe's buffer")
    }

    /// The official MCP Python SDK pipelining the same calls concurrently gets every reply whole.
    @Test(.enabled(if: PythonMCP.python != nil)) func theSDKPipeliningLargeRepliesGetsEveryReply() throws {
        let (s, repo) = try Self.project(tasks: 160)
        let client = """
            import asyncio, json, sys
            from mcp import ClientSession, StdioServerParameters
            from mcp.client.stdio import stdio_client

            async def main():
                binary, cwd, out_path = sys.argv[1:4]
                params = StdioServerParameters(command=binary, args=["mcp"], cwd=cwd,
                    env={"CODEX_STATE_NOW": "2026-01-15T09:00:00Z", "GIT_CONFIG_NOSYSTEM": "1",
                         "CODEX_STATE_ACTOR": "sdk"})
                counts = []
                async with stdio_client(params) as (r, w):
                    async with ClientSession(r, w) as s:
                        await s.initialize()
                        async def one(i):
                            name, args = ("tasks", {"all": True}) if i % 4 else ("preamble", {})
                            res = await s.call_tool(name, args)
                            text = res.content[0].text
                            return len(json.loads(text)["tasks"]) if name == "tasks" else len(text)
                        counts = await asyncio.wait_for(asyncio.gather(*[one(i) for i in range(48)]), 120)
                json.dump(counts, open(out_path, "w"))

            asyncio.run(main())
            """
        try s.write(s.path("pipeline.py"), client)
        let r = try s.run(
            PythonMCP.python ?? "python3", [s.path("pipeline.py"), Sandbox.binary, repo, s.path("out.json")], in: repo)
        #expect(r.ok, "the SDK client failed: \(r.stderr.suffix(2000))")
        let counts = (try? JSONSerialization.jsonObject(with: Data(try s.read(s.path("out.json")).utf8))) as? [Int]
        #expect(counts?.count == 48)
        for (i, n) in (counts ?? []).enumerated() where i % 4 != 0 { #expect(n == 160, "call \(i): \(n) tasks") }
    }
}

extension MCPStreamTests {
    // MARK: - 8. Every request gets an answer

    /// JSON-RPC 2.0: a request whose id is not a string or a number gets an error with id null
    /// (the SDK took it for a notification and never answered); arguments that are not an object
    /// are invalid params (the SDK reported an internal error); unparseable JSON a parse error
    /// with id null. The server keeps serving after each.
    @Test func malformedRequestsGetJSONRPCErrors() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        let lines = [
            Self.initialize, Self.initialized,
            #"{"jsonrpc":"2.0","id":{"a":1},"method":"tools/call","params":{"name":"tasks","arguments":{}}}"#,
            #"{"jsonrpc":"2.0","id":[7],"method":"tools/list"}"#,
            #"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"tasks","arguments":["all"]}}"#,
            #"{"jsonrpc":"2.0","id":"four","method":"tools/call","params":{"name":"tasks","arguments":"all"}}"#,
            #"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":["tasks"]}"#,
            #"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"arguments":{}}}"#,
            #"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"tasks""#,
            #"{"jsonrpc":"2.0","id":null,"method":"tools/list"}"#,
            #"{"jsonrpc":"2.0","id":1.5,"method":"tools/list"}"#,
            #"{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"tasks","arguments":{}}}"#,
            #"{"jsonrpc":"2.0","method":"tools/call","params":{"name":"tasks","arguments":[]}}"#,
        ]
        let r = try Self.rawSession(s, in: repo, input: Array((lines.joined(separator: "\n") + "\n").utf8), pause: 0)
        #expect(r.status == 0, "\(r.stderr)")
        let replies = r.lines.compactMap(Self.object)
        #expect(replies.count == r.lines.count, "a reply is not JSON")
        func error(_ where: (Any?) -> Bool) -> [[String: Any]] {
            replies.filter { $0["error"] != nil && `where`($0["id"]) }.compactMap { $0["error"] as? [String: Any] }
        }
        // Object id, array id, unparseable, null id, fractional id: five errors with id null.
        let nullID = error { $0 is NSNull }
        #expect(nullID.count == 5, "\(replies)")
        #expect(nullID.filter { $0["code"] as? Int == -32600 }.count == 4, "\(nullID)")
        #expect(nullID.filter { $0["code"] as? Int == -32700 }.count == 1, "\(nullID)")
        for id in [3, 5, 6] {
            let e = error { ($0 as? Int) == id }
            #expect(e.first?["code"] as? Int == -32602, "id \(id): \(replies)")
        }
        #expect((error { ($0 as? String) == "four" }).first?["code"] as? Int == -32602)
        #expect(
            (error { ($0 as? Int) == 3 }).first?["message"] as? String ?? ""
                == "invalid params: 'arguments' must be an object (name to value), not an array")
        // The valid call after them is answered with a result.
        let eight = replies.first { ($0["id"] as? Int) == 8 }
        #expect(eight?["result"] != nil, "\(replies)")
        // One answer per request with an id (1, 3, four, 5, 6, 8) plus the five id-null errors;
        // the notification with bad arguments gets none.
        #expect(replies.count == 11, "\(replies)")
    }

    // MARK: - 7. A request is read in linear time, up to a limit

    /// A request line is searched for its newline once: 3.5 MB of whitespace inside a valid
    /// request costs well under a second (the SDK's reader: 1 MB 1.4 s, 10 MB 160 s); a 12 MB
    /// line is past the 4 MiB limit, is answered with one error naming the limit and is never
    /// held in memory; the server then answers the next request.
    @Test func requestsAreReadInLinearTimeUpToTheLimit() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        let padded =
            #"{"jsonrpc":"2.0","id":2,"#
            + String(repeating: " ", count: 3_500_000)
            + #""method":"tools/call","params":{"name":"tasks","arguments":{}}}"#
        let huge =
            #"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"task_add","arguments":{"title":""#
            + String(repeating: "x", count: 12_000_000) + #""}}}"#
        let input =
            [Self.initialize, Self.initialized, padded, huge, Self.call(4, "tasks")].joined(separator: "\n") + "\n"
        try s.write(s.path("requests.jsonl"), input)
        let m = try Measured.run(s, Sandbox.binary, ["mcp"], in: repo, stdinFile: s.path("requests.jsonl"))
        #expect(m.status == 0, "\(m.stderr)")
        let replies = m.stdout.split(separator: "\n").compactMap { Self.object(Array($0.utf8)) }
        let byID = Dictionary(replies.compactMap { r in (r["id"] as? Int).map { ($0, r) } }) { a, _ in a }
        #expect(byID[2]?["result"] != nil, "the padded request: \(replies.map { $0.keys.sorted() })")
        #expect(byID[4]?["result"] != nil, "the request after the oversized one")
        let oversized = replies.first { $0["id"] is NSNull }?["error"] as? [String: Any]
        #expect(oversized?["code"] as? Int == -32600)
        #expect((oversized?["message"] as? String ?? "").contains("4 MiB"), "\(oversized as Any)")
        #expect(try s.tasks(in: repo).isEmpty, "the oversized task_add was not run")
        #expect(m.cpuSeconds < 3, "reading 15.5 MB of requests took \(m.cpuSeconds) s of CPU")
        #expect(m.peakMB < 120, "peak RSS \(m.peakMB) MB")
    }
}

/// A child process measured by the kernel: its peak resident memory and CPU time (user + system),
/// read through python3's getrusage of its only child.
struct Measured {
    var status: Int
    var stdout: String
    var stderr: String
    var peakMB: Int
    var cpuSeconds: Double

    static let script = """
        import json, resource, subprocess, sys
        stdin = open(sys.argv[1], "rb") if sys.argv[1] else subprocess.DEVNULL
        r = subprocess.run(sys.argv[3:], stdin=stdin, stdout=open(sys.argv[2] + ".out", "wb"),
                           stderr=open(sys.argv[2] + ".err", "wb"))
        u = resource.getrusage(resource.RUSAGE_CHILDREN)
        json.dump({"status": r.returncode, "maxrss_kb": u.ru_maxrss, "cpu": u.ru_utime + u.ru_stime},
                  open(sys.argv[2], "w"))
        """

    static func run(
        _ s: Sandbox, _ program: String, _ args: [String], in dir: String, stdinFile: String? = nil,
        env: [String: String] = [:]
    ) throws -> Measured {
        let report = s.path(".measured-\(UUID().uuidString).json")
        let r = try s.run("python3", ["-c", script, stdinFile ?? "", report, program] + args, in: dir, env: env)
        guard r.ok, let data = FileManager.default.contents(atPath: report),
            let obj = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else {
            Issue.record("could not measure \(program) \(args): \(r.stderr)")
            return Measured(status: -1, stdout: "", stderr: r.stderr, peakMB: 0, cpuSeconds: 0)
        }
        return Measured(
            status: obj["status"] as? Int ?? -1,
            stdout: (try? String(contentsOfFile: report + ".out", encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: report + ".err", encoding: .utf8)) ?? "",
            peakMB: (obj["maxrss_kb"] as? Int ?? 0) / 1024, cpuSeconds: obj["cpu"] as? Double ?? 0)
    }
}
