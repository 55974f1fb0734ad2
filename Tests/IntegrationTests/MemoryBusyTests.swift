import Foundation
import GRDB
import Testing

/// Issue 19, item 6: with `memory.sqlite` held by another process, the SessionStart path
/// (`preamble --format codex-hook`, `codex hook session-start`) and `recall` waited SQLite's
/// 10 s busy timeout. The memory index is a cache: after a short busy wait every read falls back
/// to the files (an index built in memory), and a hook-mode command never waits more than the
/// hook bound.
@Suite struct MemoryBusyTests {
    /// The longest any of these commands may take with the index held (the hooks' lock bound;
    /// a process start and a read take a few tens of milliseconds).
    static let bound = 2.0

    func timed(_ s: Sandbox, _ repo: String, _ args: [String], stdin: String? = nil) throws -> (Run, Double) {
        let start = Date()
        let r = try s.run(Sandbox.binary, args, in: repo, stdin: stdin)
        return (r, Date().timeIntervalSince(start))
    }

    /// Runs `body` while another connection holds `path` the way `sqlite3` or python would:
    /// `exclusive` takes the database whole (locking_mode EXCLUSIVE: even readers are refused),
    /// otherwise a write transaction is left open (readers go on; a writer waits).
    func holding(_ path: String, exclusive: Bool, _ body: () throws -> Void) throws {
        let holder = try DatabaseQueue(path: path)
        try holder.writeWithoutTransaction { db in
            if exclusive { try db.execute(sql: "PRAGMA locking_mode = EXCLUSIVE") }
            try db.execute(sql: exclusive ? "BEGIN EXCLUSIVE" : "BEGIN IMMEDIATE")
            try db.execute(sql: "INSERT OR REPLACE INTO memory_meta(key, value) VALUES ('held', 'yes')")
            defer { try? db.execute(sql: "ROLLBACK") }
            try body()
        }
    }

    @Test(arguments: [true, false])
    func aHeldMemoryIndexNeverStallsTheSessionStartOrRecall(exclusive: Bool) throws {
        let (s, repo) = try MemoryCommandTests().world()
        try s.ok("remember", "Postgres 16 is the primary database", "--kind", "decision", in: repo)
        _ = try s.ok("recall", "database", in: repo)
        // A memory recorded after the index was built: the held index is stale and cannot be
        // rebuilt in place, so the answer must come from the files.
        try s.ok("remember", "Redis keeps the sessions, never the cache", "--kind", "decision", in: repo)
        let index = repo + "/.git/codex-state/memory.sqlite"
        #expect(FileManager.default.fileExists(atPath: index))
        try holding(index, exclusive: exclusive) {
            let hook = #"{"session_id":"busy","cwd":"\#(repo)","source":"startup","hook_event_name":"SessionStart"}"#
            let runs: [([String], String?)] = [
                (["recall", "redis sessions", "--json"], nil),
                (["preamble", "--format", "codex-hook"], nil),
                (["codex", "hook", "session-start"], hook),
                (["memories", "--json"], nil),
            ]
            for (args, input) in runs {
                let (r, seconds) = try timed(s, repo, args, stdin: input)
                #expect(r.ok, "\(args): \(r.stderr)")
                #expect(seconds < Self.bound, "\(args) took \(seconds) s with memory.sqlite held")
                if args[0] == "recall" || args[0] == "memories" {
                    #expect(r.stdout.contains("Redis keeps the sessions"), "\(args): \(r.stdout)")
                }
                if args[0] == "preamble" || args[0] == "codex" {
                    #expect(r.stdout.contains("Postgres 16"), "\(args): \(r.stdout)")
                }
            }
        }
        // Released: the index is brought up to date again, nothing was lost or deleted.
        #expect(try s.ok("recall", "redis sessions", in: repo).contains("Redis keeps the sessions"))
        #expect(FileManager.default.fileExists(atPath: index))
    }
}
