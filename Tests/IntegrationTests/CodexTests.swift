import Foundation
import StateModel
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The real Codex CLI (PyPI `openai-codex-cli-bin`, `CODEX_BIN`), or nil with a loud message.
enum RealCodex {
    static let binary: String? = {
        if let b = ProcessInfo.processInfo.environment["CODEX_BIN"], FileManager.default.isExecutableFile(atPath: b) {
            return b
        }
        FileManager.default.createFile(atPath: "/dev/stderr", contents: nil)
        FileHandle.standardError.write(
            Data(
                "\n*** SKIPPED: the Codex end-to-end tests need CODEX_BIN (the codex binary of PyPI openai-codex-cli-bin 0.163.0); .ci/run installs it ***\n\n"
                    .utf8))
        return nil
    }()

    /// A Responses API mock on loopback. Each request is appended to the log. The script: call
    /// `next` (claim) on the codex-state MCP server, then `complete` the task given, then a
    /// shell command if one is given, then answer "done".
    static let mock = """
        import http.server, json, os, sys, threading
        port_file, log_file, task_id = sys.argv[1], sys.argv[2], sys.argv[3]
        shell = sys.argv[4] if len(sys.argv) > 4 else ""
        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a): pass
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
                with open(log_file, 'ab') as f: f.write(body + b"\\n")
                req = json.loads(body)
                done = {i.get("call_id") for i in req.get("input", []) if i.get("type") == "function_call_output"}
                self.send_response(200)
                self.send_header('Content-Type', 'text/event-stream')
                self.end_headers()
                def ev(t, d):
                    d["type"] = t
                    self.wfile.write(f"event: {t}\\ndata: {json.dumps(d)}\\n\\n".encode())
                def call(cid, name, args, ns=None):
                    item = {"type": "function_call", "id": "fc" + cid, "call_id": cid, "name": name,
                            "arguments": json.dumps(args)}
                    if ns: item["namespace"] = ns
                    return item
                ev("response.created", {"response": {"id": "r1"}})
                if "c1" not in done:
                    item = call("c1", "next", {"claim": True}, "mcp__codex_state")
                elif "c2" not in done:
                    item = call("c2", "complete", {"id": task_id}, "mcp__codex_state")
                elif shell and "c3" not in done:
                    item = call("c3", "exec_command", {"cmd": shell})
                else:
                    item = {"type": "message", "role": "assistant", "id": "m1",
                            "content": [{"type": "output_text", "text": "done"}]}
                ev("response.output_item.done", {"item": item})
                ev("response.completed", {"response": {"id": "r1", "usage": {"input_tokens": 1,
                    "input_tokens_details": None, "output_tokens": 1, "output_tokens_details": None,
                    "total_tokens": 2}}})
        s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)
        threading.Timer(120, lambda: os._exit(0)).start()  # never outlive the test
        open(port_file + '.pid', 'w').write(str(os.getpid()))
        open(port_file, 'w').write(str(s.server_address[1]))
        s.serve_forever()
        """
}

/// A repository with one ready task, a scratch CODEX_HOME and a running mock model.
final class CodexWorld {
    let s: Sandbox
    let repo: String
    let task: String
    let home: String
    var port = ""
    private var server: Process?

    init(shell: String = "") throws {
        s = try Sandbox()
        repo = try s.repo()
        try s.ok("init", "--name", "demo", in: repo)
        task = try s.ok("task", "add", "Write the parser", in: repo)
        try s.git("add", ".codex-state", in: repo)
        try s.git("commit", "-q", "-m", "Track the project state", in: repo)
        home = s.path("codex-home")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        try start(shell: shell)
    }

    deinit {
        if let pid = (try? s.read(s.path("port.pid"))).flatMap({ Int32($0) }) { kill(pid, SIGKILL) }
        server?.terminate()
    }

    private func start(shell: String) throws {
        try s.write(s.path("mock.py"), RealCodex.mock)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", s.path("mock.py"), s.path("port"), s.path("requests.jsonl"), task, shell]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        server = p
        for _ in 0..<100 where port.isEmpty {
            usleep(50_000)
            port = (try? s.read(s.path("port"))) ?? ""
        }
        try #require(!port.isEmpty, "the mock model did not start")
    }

    /// The user's config: the mock provider, and whatever else the test adds.
    var baseConfig: String {
        """
        # The user's own settings.
        model_provider = "mock"
        approval_policy = "never"

        [analytics]
        enabled = false

        [features]
        plugins = false
        remote_plugin = false
        apps = false
        unbounded_connection_retries = false

        [model_providers.mock]
        name = "mock"
        base_url = "http://127.0.0.1:\(port)/v1"
        wire_api = "responses"
        env_key = "MOCK_API_KEY"
        requires_openai_auth = false
        request_max_retries = 0
        stream_max_retries = 0

        """
    }

    var config: String { URL(fileURLWithPath: home).resolvingSymlinksInPath().path + "/config.toml" }

    func cs(_ args: String..., env: [String: String] = [:]) throws -> Run {
        try s.run(Sandbox.binary, args, in: repo, env: ["CODEX_HOME": home].merging(env) { $1 })
    }

    func exec(sandbox: String, prompt: String = "do the next task", in dir: String? = nil, resume: String? = nil)
        throws -> (Run, thread: String)
    {
        let started = Date()
        defer {
            FileHandle.standardError.write(
                Data("codex exec -s \(sandbox): \(Date().timeIntervalSince(started)) s\n".utf8))
        }
        // Foundation's Process starts children with most signals blocked; Codex (tokio) needs
        // SIGCHLD to notice its hooks exiting, so unblock them all first.
        let unblock =
            "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])"
        let r = try s.run(
            "python3",
            [
                "-c", unblock, RealCodex.binary ?? "codex", "exec", "-s", sandbox,
            ] + (resume.map { ["resume", $0] } ?? []) + ["--skip-git-repo-check", "--json", "-m", "gpt-5.5", prompt],
            in: dir ?? repo,
            env: ["CODEX_HOME": home, "MOCK_API_KEY": "x", "SHELL": "/bin/bash"])
        let thread =
            r.stdout.split(separator: "\n").compactMap { line -> String? in
                let o = s.json(String(line))
                return o["type"] as? String == "thread.started" ? o["thread_id"] as? String : nil
            }.first ?? ""
        return (r, thread)
    }

    var requests: [[String: Any]] {
        ((try? s.read(s.path("requests.jsonl"))) ?? "").split(separator: "\n").map { s.json(String($0)) }
    }

    /// The developer-message texts of the first request: what the model saw before the prompt.
    var firstDeveloperTexts: [String] {
        (requests.first?["input"] as? [[String: Any]] ?? []).filter { $0["role"] as? String == "developer" }
            .flatMap { $0["content"] as? [[String: Any]] ?? [] }.compactMap { $0["text"] as? String }
    }

    /// The ended sessions' files, parsed.
    func sessions() throws -> [[String: Any]] {
        let dir = repo + "/.codex-state/sessions"
        return try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".json") }.sorted()
            .map { s.json(try s.read(dir + "/" + $0)) }
    }
}

@Suite(.enabled(if: RealCodex.binary != nil), .serialized)
struct CodexEndToEndTests {
    /// After one install, a `codex exec` run gets the preamble from the trusted hook (no bypass
    /// flag), the model's MCP calls claim and complete the task, and the SessionEnd hook writes a
    /// snapshot naming the thread — in every sandbox mode.
    @Test(arguments: ["read-only", "workspace-write", "danger-full-access"])
    func installThenExec(sandbox: String) throws {
        // After the MCP calls, the model also writes from the shell tool, inside the sandbox.
        let w = try CodexWorld(shell: shellQuoted(Sandbox.binary) + " task add 'From the shell'")
        try w.s.write(w.config, w.baseConfig)
        let install = try w.cs("codex", "install")
        #expect(install.ok, "\(install.stderr)")
        // The header up to HEAD (the hook may see the worktree dirty: Codex's own files).
        let header = try w.s.ok("preamble", in: w.repo).components(separatedBy: "` ").first ?? "?"

        let (run, thread) = try w.exec(sandbox: sandbox)
        #expect(run.ok, "codex exec: \(run.stderr)")
        #expect(!thread.isEmpty)
        #expect(
            w.firstDeveloperTexts.contains { $0.hasPrefix(header) && $0.contains("Write the parser") },
            "\(header) not in \(w.firstDeveloperTexts.map { $0.prefix(120) })")
        #expect(run.stdout.contains(#""tool":"complete""#) && !run.stdout.contains("requires approval"))

        let tasks = try w.s.tasks(in: w.repo)
        #expect(tasks[w.task]?["effective_status"] as? String == "done")
        // Committing the state anchors the completion to that commit: still done at HEAD.
        try w.s.git("add", ".codex-state", in: w.repo)
        try w.s.git("commit", "-q", "-m", "Finish the parser", in: w.repo)
        #expect(try w.s.effective(w.task, in: w.repo) == "done")
        let session = try w.sessions().first { ($0["source"] as? String) == "codex:" + thread }
        #expect(session != nil, "no session snapshot names thread \(thread)")
        // The shell write: allowed where install made the git dir writable, and where the
        // sandbox is off; in read-only it fails saying what to do instead.
        let shell = run.stdout.split(separator: "\n").map { w.s.json(String($0)) }.compactMap {
            $0["item"] as? [String: Any]
        }.last { $0["type"] as? String == "command_execution" }
        let titles = tasks.values.compactMap { $0["title"] as? String }
        if sandbox == "read-only" {
            #expect(!titles.contains("From the shell"))
            #expect(
                (shell?["aggregated_output"] as? String ?? "").contains("use the codex-state MCP tools"),
                "\(shell ?? [:])")
        } else {
            #expect(titles.contains("From the shell"), "\(shell ?? [:])")
        }
        let completed = (session?["tasks_completed"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
        #expect(completed == [w.task], "\(session ?? [:])")

        // The rollout Codex wrote is this thread's too: the hooks recorded it, so import writes
        // no second snapshot (issue 18, item 7); a fresh rollout waits for --include-active.
        let waiting = try w.cs("codex", "import", "--json")
        #expect((w.s.json(waiting.stdout)["items"] as? [[String: Any]])?.first?["outcome"] as? String == "active")
        let before = try w.sessions().count
        let imported = try w.cs("codex", "import", "--include-active", "--json")
        #expect(
            (w.s.json(imported.stdout)["items"] as? [[String: Any]])?.first?["outcome"] as? String
                == "already-imported", "\(imported.stdout) \(imported.stderr)")
        #expect(try w.sessions().count == before)
        #expect(try w.sessions().filter { ($0["source"] as? String ?? "").hasSuffix(thread) }.count == 1)

        // `codex exec resume` runs SessionStart again for the same thread: still one snapshot.
        if sandbox == "workspace-write" {
            let (resumed, again) = try w.exec(sandbox: sandbox, prompt: "resume", resume: thread)
            #expect(resumed.ok && (again.isEmpty || again == thread), "\(resumed.stderr)")
            #expect(try w.sessions().filter { ($0["source"] as? String ?? "").hasSuffix(thread) }.count == 1)
        }
    }

    /// The user's own trusted hook groups (in config.toml and in hooks.json) still run after
    /// install; uninstall gives back the user's config byte for byte.
    @Test func usersOwnHooksStillRun() throws {
        let w = try CodexWorld()
        let mineConfig = w.s.path("mine-config")
        let mineJSON = w.s.path("mine-json")
        let configCommand = "touch \(mineConfig)"
        let jsonCommand = "touch \(mineJSON)"
        let hooksJSON = URL(fileURLWithPath: w.home).resolvingSymlinksInPath().path + "/hooks.json"
        func hash(_ command: String) -> String {
            CodexTrustHash.of(event: "session_start", command: command)
        }
        let original =
            w.baseConfig + """
                [[hooks.SessionStart]]
                [[hooks.SessionStart.hooks]]
                type = "command"
                command = "\(configCommand)"

                [hooks.state."\(w.config):session_start:0:0"]
                trusted_hash = "\(hash(configCommand))"

                [hooks.state."\(hooksJSON):session_start:0:0"]
                trusted_hash = "\(hash(jsonCommand))"

                # A comment at the end.

                """
        try w.s.write(w.config, original)
        chmod(w.config, 0o600)
        let originalJSON =
            #"{"hooks": {"SessionStart": [{"hooks": [{"type": "command", "command": "\#(jsonCommand)"}]}]}}"#
        try w.s.write(hooksJSON, originalJSON)

        #expect(try w.cs("codex", "install").ok)
        let doctor = try w.cs("codex", "doctor")
        #expect(doctor.ok, "\(doctor.stdout)")
        var st = stat()
        stat(w.config, &st)
        #expect(st.st_mode & 0o777 == 0o600)

        let (run, _) = try w.exec(sandbox: "workspace-write")
        #expect(run.ok, "\(run.stderr)")
        #expect(FileManager.default.fileExists(atPath: mineConfig), "the user's config.toml hook did not run")
        #expect(FileManager.default.fileExists(atPath: mineJSON), "the user's hooks.json hook did not run")
        #expect(w.firstDeveloperTexts.contains { $0.contains("Write the parser") })
        #expect(try w.s.effective(w.task, in: w.repo) == "done")

        let un = try w.cs("codex", "uninstall")
        #expect(un.ok, "\(un.stderr)")
        // Codex may have added its own [projects] table (before the trailing comment); everything
        // else is the user's again, byte for byte.
        let after = try w.s.read(w.config)
        let codexOwn = after.components(separatedBy: "\n").filter {
            $0.hasPrefix("[projects.") || $0.hasPrefix("trust_level")
        }
        var restored = after
        for line in codexOwn { restored = restored.replacingOccurrences(of: line + "\n", with: "") }
        #expect(
            restored.trimmingCharacters(in: .newlines) == original.trimmingCharacters(in: .newlines), "\(after)")
        #expect(!after.contains("mcp_servers") && !after.contains("codex hook") && !after.contains("writable_roots"))
        let json = w.s.json(try w.s.read(hooksJSON))
        #expect(((json["hooks"] as? [String: Any])?["SessionStart"] as? [Any])?.count == 1)
    }
}

func shellQuoted(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

/// The trust hash Codex computes for a SessionStart command with default settings (what a
/// user's own `/hooks` trust writes).
enum CodexTrustHash {
    static func of(event: String, command: String, timeout: Int = 600) -> String {
        let escaped = command.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        let handler = #"{"async":false,"command":"\#(escaped)","timeout":\#(timeout),"type":"command"}"#
        return "sha256:" + ContentHash.sha256(Array(#"{"event_name":"\#(event)","hooks":[\#(handler)]}"#.utf8))
    }
}
