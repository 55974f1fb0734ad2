import Foundation
import StateModel
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct ConcurrencyTests {
    /// Starts codex-state without waiting.
    func spawn(_ s: Sandbox, _ args: [String], in dir: String, env extra: [String: String] = [:]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Sandbox.binary)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        p.environment = s.env.merging(extra) { $1 }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    @Test func eightWritersLoseNothing() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        // 8 shell loops, each adding 6 tasks back to back, all at once.
        var loops: [Process] = []
        for w in 0..<8 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = [
                "-c", "for i in 1 2 3 4 5 6; do \"$0\" task add \"w\(w)-$i\" || exit 1; done", Sandbox.binary,
            ]
            p.currentDirectoryURL = URL(fileURLWithPath: repo)
            p.environment = s.env.merging(["CODEX_STATE_ACTOR": "writer\(w)"]) { $1 }
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            loops.append(p)
        }
        for p in loops {
            p.waitUntilExit()
            #expect(p.terminationStatus == 0)
        }
        let titles = Set(try s.tasks(in: repo).values.compactMap { $0["title"] as? String })
        #expect(titles.count == 48)
        for w in 0..<8 { for i in 1...6 { #expect(titles.contains("w\(w)-\(i)")) } }
        let log = try s.ok("log", "-n", "100", "--json", in: repo)
        let records = try JSONSerialization.jsonObject(with: Data(log.utf8)) as? [[String: Any]]
        #expect(records?.count == 49)  // init + 48 adds
    }

    @Test func concurrentClaimsNeverGetTheSameTask() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        for i in 0..<6 { try s.ok("task", "add", "t\(i)", in: repo) }
        var procs: [(Process, String)] = []
        for w in 0..<8 {
            let out = s.path("claim-\(w)")
            FileManager.default.createFile(atPath: out, contents: nil)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Sandbox.binary)
            p.arguments = ["next", "--claim", "--json"]
            p.currentDirectoryURL = URL(fileURLWithPath: repo)
            p.environment = s.env.merging(["CODEX_STATE_ACTOR": "agent\(w)"]) { $1 }
            p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
            p.standardError = FileHandle.nullDevice
            try p.run()
            procs.append((p, out))
        }
        var claimed: [String] = []
        var refused = 0
        for (p, out) in procs {
            p.waitUntilExit()
            if p.terminationStatus == 0 {
                let obj = s.json(try s.read(out))
                if let id = obj["claimed"] as? String { claimed.append(id) }
            } else {
                refused += 1
            }
        }
        // Six tasks, eight agents: six distinct claims, two told nothing is ready.
        #expect(claimed.count == 6)
        #expect(Set(claimed).count == 6)
        #expect(refused == 2)
        let tasks = try s.tasks(in: repo)
        #expect(tasks.values.allSatisfy { $0["effective_status"] as? String == "in_progress" })
    }

    /// A writer killed with SIGKILL at arbitrary moments leaves a state file that parses and
    /// holds a prefix of its operations, never a torn file.
    @Test func killNineDuringWritesNeverTearsTheFile() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        let file = repo + "/.codex-state/project_state.json"
        var next = 1
        for round in 0..<6 {
            let script = "i=\(next); while :; do \"$0\" task add \"op-$i\" >/dev/null || exit 1; i=$((i+1)); done"
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", script, Sandbox.binary]
            p.currentDirectoryURL = URL(fileURLWithPath: repo)
            p.environment = s.env
            try p.run()
            // At least one write of this round lands first (on a loaded machine one `task add`
            // can take most of a second), then the kill falls somewhere in a later one.
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline,
                ((try? StateCodec.decode(Array(s.bytes(file) ?? Data())))?.tasks.count ?? 0) < next
            {
                usleep(20_000)
            }
            usleep(UInt32(50_000 + round * 97_000))
            // Kill the writer in whatever it is doing, then the loop.
            _ = try s.run("pkill", ["-KILL", "-P", String(p.processIdentifier)], in: repo)
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let bytes = Array(s.bytes(file) ?? Data())
            let state = try StateCodec.decode(bytes)
            let ops = state.tasks.values.map { Int($0.title.dropFirst(3))! }.sorted()
            #expect(ops == Array(1..<(1 + ops.count)), "round \(round): not a prefix: \(ops)")
            next = ops.count + 1
        }
        #expect(next > 3, "the writer should have made progress")
        // Whatever temp file a killed writer left is cleaned by the next write, and never tracked.
        try s.ok("task", "add", "after", in: repo)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: repo + "/.codex-state").filter {
            $0.contains(".tmp.")
        }
        #expect(leftovers.isEmpty)
    }
}
