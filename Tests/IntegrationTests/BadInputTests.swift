import Foundation
import Testing

/// Every bad input gets one line on stderr naming the file or id and the problem, a non-zero
/// exit, and a state file byte-identical to before.
@Suite struct BadInputTests {
    struct World {
        let s: Sandbox
        let repo: String
        let a: String
        let b: String
        var file: String { repo + "/.codex-state/project_state.json" }
    }

    func world() throws -> World {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        let a = try s.ok("task", "add", "A", in: repo)
        let b = try s.ok("task", "add", "B", "--dep", a, in: repo)
        return World(s: s, repo: repo, a: a, b: b)
    }

    /// Runs the command, expects failure with one stderr line containing every `mentions`, and
    /// checks the state file did not change.
    func refuses(
        _ w: World, _ args: [String], mentions: [String], status: Int32 = 1,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let before = w.s.bytes(w.file)
        let r = try w.s.run(Sandbox.binary, args, in: w.repo)
        #expect(r.status == status, "\(args): exit \(r.status), stderr \(r.stderr)", sourceLocation: sourceLocation)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(args): stderr was \(r.stderr)", sourceLocation: sourceLocation)
        for m in mentions {
            #expect(r.stderr.contains(m), "\(args): '\(m)' not in \(r.stderr)", sourceLocation: sourceLocation)
        }
        #expect(w.s.bytes(w.file) == before, "\(args) changed the state file", sourceLocation: sourceLocation)
    }

    @Test func malformedJSON() throws {
        let w = try world()
        try w.s.write(w.file, "{\"schema\": 1, \"tasks\": {")
        for args in [["tasks"], ["task", "add", "x"], ["next"], ["complete", w.a], ["init"]] {
            try refuses(w, args, mentions: ["project_state.json", "not valid JSON"])
        }
    }

    @Test func schemaViolation() throws {
        let w = try world()
        try w.s.write(
            w.file, try w.s.read(w.file).replacingOccurrences(of: "\"priority\": 2", with: "\"priority\": \"high\""))
        try refuses(w, ["tasks"], mentions: ["project_state.json", "schema", "priority"])
        try refuses(w, ["task", "add", "x"], mentions: ["project_state.json", "priority"])
    }

    @Test func futureSchemaVersion() throws {
        let w = try world()
        try w.s.write(w.file, try w.s.read(w.file).replacingOccurrences(of: "\"schema\": 1", with: "\"schema\": 2"))
        try refuses(w, ["task", "add", "x"], mentions: ["project_state.json", "schema version 2 is newer"])
    }

    @Test func conflictMarkers() throws {
        let w = try world()
        let text = try w.s.read(w.file)
        try w.s.write(
            w.file,
            text.replacingOccurrences(
                of: "  \"schema\": 1,\n",
                with: "<<<<<<< HEAD\n  \"schema\": 1,\n=======\n  \"schema\": 1,\n>>>>>>> other\n"))
        try refuses(w, ["tasks"], mentions: ["project_state.json", "conflict markers", "line"])
        try refuses(w, ["complete", w.a], mentions: ["project_state.json", "conflict markers"])
    }

    @Test func unknownIDAndAmbiguousPrefix() throws {
        let w = try world()
        try refuses(w, ["task", "show", "t-ffffffffff"], mentions: ["t-ffffffffff"])
        try refuses(w, ["complete", "zzzz"], mentions: ["zzzz", "no task"])
        try refuses(w, ["task", "start", "nope"], mentions: ["nope"])
        // Two ids sharing a prefix, written by hand.
        let text = try w.s.read(w.file)
        try w.s.write(
            w.file,
            text.replacingOccurrences(of: w.a, with: "t-abcd000001").replacingOccurrences(of: w.b, with: "t-abcd000002")
        )
        try refuses(w, ["task", "show", "abcd"], mentions: ["abcd", "ambiguous", "t-abcd000001", "t-abcd000002"])
        try refuses(w, ["complete", "t-abcd"], mentions: ["ambiguous"])
    }

    @Test func dependencyErrors() throws {
        let w = try world()
        try refuses(w, ["task", "dep", "add", w.a, w.b], mentions: ["cycle", w.a, w.b])
        try refuses(w, ["task", "dep", "add", w.a, w.a], mentions: [w.a, "itself"])
        try refuses(w, ["task", "dep", "add", w.a, "t-0000000000"], mentions: ["t-0000000000"])
        try refuses(w, ["task", "add", "C", "--dep", "t-0000000000"], mentions: ["t-0000000000"])
        try refuses(w, ["task", "add", "C", "--priority", "7"], mentions: ["priority"], status: 2)
    }

    @Test func completeWithARevisionThatDoesNotResolve() throws {
        let w = try world()
        try refuses(w, ["complete", w.a, "--commit", "no-such-branch"], mentions: ["no-such-branch"])
    }

    @Test func repositoryWithNoCommits() throws {
        let s = try Sandbox()
        let repo = try s.repo(commit: false)
        try s.ok("init", in: repo)
        let a = try s.ok("task", "add", "A", in: repo)
        let w = World(s: s, repo: repo, a: a, b: a)
        try refuses(w, ["complete", a, "--commit", "HEAD"], mentions: ["HEAD"])
    }

    @Test func notInitialized() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        let r = try s.cs("tasks", in: repo)
        #expect(r.status == 1)
        #expect(r.stderr.contains("project_state.json does not exist; run 'codex-state init'"))
    }

    @Test func unwritableStateDirectory() throws {
        let w = try world()
        let dir = w.repo + "/.codex-state"
        var runAs: [String] = []
        if getuid() == 0 {
            // root writes anywhere: run the binary as nobody over a tree nobody owns but cannot
            // write into .codex-state/.
            _ = try w.s.run("chown", ["-R", "65534:65534", w.s.root], in: w.s.root)
            runAs = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        }
        chmod(dir, 0o555)
        defer { chmod(dir, 0o755) }
        let before = w.s.bytes(w.file)
        let r = try w.s.run(
            runAs.isEmpty ? Sandbox.binary : "setpriv",
            Array(runAs.dropFirst()) + (runAs.isEmpty ? [] : [Sandbox.binary]) + ["task", "add", "x"], in: w.repo)
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains(".codex-state"))
        #expect(r.stderr.contains("Permission denied"))
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(w.s.bytes(w.file) == before)
        // Reads still work.
        let list = try w.s.run(
            runAs.isEmpty ? Sandbox.binary : "setpriv",
            Array(runAs.dropFirst()) + (runAs.isEmpty ? [] : [Sandbox.binary]) + ["tasks"], in: w.repo)
        #expect(list.ok, "\(list.stderr)")
    }

    @Test func usageErrorsExitTwo() throws {
        let w = try world()
        try refuses(w, ["tasks", "--status", "bogus"], mentions: ["bogus"], status: 2)
        try refuses(w, ["task", "edit", w.a], mentions: ["nothing to change"], status: 2)
        try refuses(w, ["next", "-n", "0"], mentions: ["-n"], status: 2)
    }
}
