import Foundation
import StateModel
import StateStore
import Testing

/// The write path changes only the bytes of what changed (docs/ARCHITECTURE.md, invariant 2):
/// what a user sees is that the file stays exactly what a full canonical write would give, the
/// journal keeps whole entities, and a hand edit is never lost to a stale cache.
@Suite struct WritePathTests {
    /// The file's bytes are the canonical encoding of what it holds.
    func expectCanonical(_ s: Sandbox, _ file: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let bytes = [UInt8](try #require(s.bytes(file)))
        let state = try StateCodec.decode(bytes)
        #expect(try CanonicalJSON.encode(state) == bytes, "not canonical", sourceLocation: sourceLocation)
    }

    func log(_ s: Sandbox, _ repo: String) throws -> [[String: Any]] {
        try JSONSerialization.jsonObject(with: Data(try s.ok("log", "-n", "100", "--json", in: repo).utf8))
            as? [[String: Any]] ?? []
    }

    @Test func everyCommandLeavesTheFileAsAFullCanonicalWriteWould() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        let file = repo + "/.codex-state/project_state.json"
        try s.ok("init", in: repo)
        let m = try s.ok("milestone", "add", "v1", "--due", "2026-12-31", in: repo)
        try s.ok("goal", "add", "Ship it", in: repo)
        var ids: [String] = []
        for i in 0..<12 {
            ids.append(
                try s.ok(
                    "task", "add", "Task \(i) \"quoted\" \\ slash / ü", "--body", "line one\nline two",
                    "--priority", "\(i % 5)", in: repo))
        }
        try expectCanonical(s, file)
        let before = try s.read(file)
        try s.ok("task", "edit", ids[3], "--title", "Renamed", "--note", "a note", "--milestone", m, in: repo)
        try s.ok("task", "dep", "add", ids[5], ids[4], in: repo)
        try s.ok("task", "start", ids[4], in: repo)
        try s.ok("complete", ids[4], "--note", "done it", in: repo)
        try s.ok("task", "block", ids[6], "--reason", "waiting", in: repo)
        try s.ok("task", "cancel", ids[7], in: repo)
        try s.ok("task", "reopen", ids[7], in: repo)
        try s.ok("task", "dep", "rm", ids[5], ids[4], in: repo)
        let claimed = try s.ok("next", "--claim", "--json", in: repo)
        #expect(claimed.contains("\"id\""), "\(claimed)")
        try s.ok("task", "add", "One more", "--dep", ids[0], "--parent", ids[1], in: repo)
        try s.ok("milestone", "add", "v2", in: repo)
        try s.ok("goal", "add", "Second goal", in: repo)
        try expectCanonical(s, file)
        // Only the lines of what changed moved: an untouched task's block is where it was.
        let untouched = "\"\(ids[9])\": {"
        let after = try s.read(file)
        #expect(before.contains(untouched) && after.contains(untouched))
        let tasks = try s.tasks(in: repo)
        #expect(tasks[ids[3]]?["title"] as? String == "Renamed")
        #expect(tasks[ids[4]]?["status"] as? String == "done")
        #expect(tasks[ids[6]]?["status"] as? String == "blocked")
        #expect(tasks[ids[7]]?["status"] as? String == "open")
    }

    /// A transaction decodes only the tasks it changes; what the journal records of them is
    /// still the whole task, body and notes included.
    @Test func theJournalRecordsWholeTasksBeforeAndAfter() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", in: repo)
        let id = try s.ok("task", "add", "Write it", "--body", "the body", "--accept", "tested", in: repo)
        for i in 0..<5 { try s.ok("task", "add", "other \(i)", in: repo) }
        try s.ok("task", "edit", id, "--note", "first note", in: repo)
        try s.ok("complete", id, "--note", "finished", in: repo)
        let record = try #require(try log(s, repo).first)
        #expect((record["command"] as? String)?.contains("complete") == true)
        let change = try #require((record["changes"] as? [[String: Any]])?.first)
        let before = try #require(change["before"] as? [String: Any])
        let after = try #require(change["after"] as? [String: Any])
        for side in [before, after] {
            #expect(side["body"] as? String == "the body")
            #expect(side["acceptance"] as? [String] == ["tested"])
            #expect((side["notes"] as? [[String: Any]])?.first?["text"] as? String == "first note")
            #expect((side["created"] as? [String: Any])?["actor"] as? String == "tester")
        }
        #expect(before["status"] as? String == "open")
        #expect((after["completion"] as? [String: Any])?["note"] as? String == "finished")
        // The recorded hashes are the file's.
        let file = repo + "/.codex-state/project_state.json"
        #expect(record["state_after"] as? String == SHA256.hex([UInt8](try #require(s.bytes(file)))))
    }

    /// A hand edit right after a write (same size, same inode, within the same clock tick: no
    /// stat data tells it apart) is read, not overwritten from the index's copy.
    @Test func aHandEditInPlaceRightAfterAWriteIsKept() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        let file = repo + "/.codex-state/project_state.json"
        try s.ok("init", in: repo)
        let a = try s.ok("task", "add", "AAAA first", in: repo)
        let b = try s.ok("task", "add", "second", in: repo)
        for _ in 0..<3 {
            try s.ok("task", "edit", b, "--priority", "1", in: repo)
            // Overwrite the title in place, same length, at once.
            let handle = try #require(FileHandle(forUpdatingAtPath: file))
            let text = try s.read(file)
            let range = try #require(text.range(of: "AAAA first"))
            let offset = text.utf8.distance(from: text.startIndex, to: range.lowerBound)
            try handle.seek(toOffset: UInt64(offset))
            handle.write(Data("BBBB first".utf8))
            try handle.close()
            try s.ok("task", "edit", b, "--priority", "2", in: repo)
            #expect(try s.read(file).contains("BBBB first"), "the hand edit was lost")
            #expect(try s.tasks(in: repo)[a]?["title"] as? String == "BBBB first")
            try s.ok("task", "edit", a, "--title", "AAAA first", in: repo)
        }
        try expectCanonical(s, file)
    }

    /// A file not as this tool wrote it (reformatted by hand) is read whole and written back
    /// canonically; one with a field this version does not know is refused, not rewritten.
    @Test func aFileNotAsWrittenTakesTheFullPath() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        let file = repo + "/.codex-state/project_state.json"
        try s.ok("init", in: repo)
        let a = try s.ok("task", "add", "first", in: repo)
        let b = try s.ok("task", "add", "second", in: repo)
        // Compact, as another tool might save it.
        let object = try JSONSerialization.jsonObject(with: try #require(s.bytes(file)))
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: file))
        try s.ok("complete", a, in: repo)
        try expectCanonical(s, file)
        #expect(try s.tasks(in: repo)[a]?["status"] as? String == "done")
        // An unknown field survives: the write is refused.
        var text = try s.read(file)
        text = text.replacingOccurrences(
            of: "\"title\": \"second\"", with: "\"title\": \"second\",\n      \"x_new\": 1")
        try s.write(file, text)
        let r = try s.cs("task", "start", b, in: repo)
        #expect(r.status != 0)
        #expect(r.stderr.contains("x_new"), "\(r.stderr)")
        #expect(try s.read(file) == text)
    }
}
