import Foundation
import GRDB
import StateModel

/// The memory search index (GRDB, SQLite FTS5): derived from the state file's memories and the
/// clone's private ones, keyed by both files' content hashes and rebuilt whenever either
/// changes. Like the state index it is a cache: never read back into a file, deleted and rebuilt
/// when damaged.
///
/// Text is tokenized by `MemoryText` before it is stored, so identifiers stay whole
/// (`src/auth/jwt.ts`, `ADR-016`) with their parts beside them; FTS5 splits only on the spaces
/// between those terms (`tokenchars '-_./'`) and stems them (porter).
public final class MemoryIndex {
    static let version = 4
    let queue: DatabaseQueue
    public let path: String

    /// Opens (creating if needed) the index at `path`; `busyTimeout` bounds the wait for another
    /// process's transaction. A damaged file is deleted and made again; a busy or locked one
    /// belongs to a live process and is left alone (the open fails instead).
    public init(path: String, busyTimeout: Double = 10) throws {
        self.path = path
        do {
            queue = try Self.open(DatabaseQueue(path: path, configuration: Self.configuration(busyTimeout)))
        } catch let error as DatabaseError where StateIndex.isDamage(error) {
            for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
            do {
                queue = try Self.open(DatabaseQueue(path: path, configuration: Self.configuration(busyTimeout)))
            } catch {
                throw StoreError.index(path: path, reason: "\(error)")
            }
        } catch {
            throw StoreError.index(path: path, reason: "\(error)")
        }
    }

    /// An index that lives in memory only: the fallback when the git directory is not writable.
    public init() throws {
        path = ":memory:"
        do {
            var config = Configuration()
            config.prepareDatabase(Self.keepTemporaryInMemory)
            queue = try Self.open(DatabaseQueue(configuration: config))
        } catch {
            throw StoreError.index(path: path, reason: "\(error)")
        }
    }

    private static func configuration(_ busyTimeout: Double) -> Configuration {
        var config = StateIndex.configuration(busyTimeout: busyTimeout)
        config.prepareDatabase(Self.keepTemporaryInMemory)
        return config
    }

    /// Temporary tables (where private text is stemmed, ``stems(_:_:)``) live in memory, never in
    /// a temporary file; set before any is made (SQLite refuses it inside a transaction).
    static let keepTemporaryInMemory: @Sendable (Database) throws -> Void = { db in
        try db.execute(sql: "PRAGMA temp_store = MEMORY")
    }

    private static func open(_ queue: DatabaseQueue) throws -> DatabaseQueue {
        try queue.write { db in
            let v = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
            if v == version { return }
            try db.execute(
                sql: """
                    DROP TABLE IF EXISTS memory_meta; DROP TABLE IF EXISTS memories; DROP TABLE IF EXISTS memory_fts;
                    DROP TABLE IF EXISTS head_memories; DROP TABLE IF EXISTS memory_vectors;
                    CREATE TABLE memory_vectors(
                        hash TEXT NOT NULL, model TEXT NOT NULL, vector BLOB NOT NULL, PRIMARY KEY(hash, model))
                        WITHOUT ROWID;
                    CREATE TABLE head_memories(head TEXT PRIMARY KEY, ids TEXT NOT NULL, used INTEGER NOT NULL)
                        WITHOUT ROWID;
                    CREATE TABLE memory_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
                    CREATE TABLE memories(id TEXT PRIMARY KEY, private INTEGER NOT NULL, record BLOB NOT NULL)
                        WITHOUT ROWID;
                    CREATE VIRTUAL TABLE memory_fts USING fts5(
                        id UNINDEXED, body, why, scope, tokenize = "porter unicode61 tokenchars '-_./'");
                    PRAGMA user_version = \(version);
                    """)
        }
        return queue
    }

    /// The key (state hash and private-memory hash) the index was built from.
    public func builtFrom() throws -> String? {
        try wrap {
            try queue.read { db in
                try String.fetchOne(db, sql: "SELECT value FROM memory_meta WHERE key = 'source'")
            }
        }
    }

    /// Replaces everything with these memories. Forgotten ones are kept as records (their
    /// tombstones) but not searchable. Private memories are searchable only through `privateKey`
    /// and never stored in clear: no record, and in the search table each of their terms (stemmed
    /// as FTS5 stems, ``stems(_:_:)``) becomes a keyed hash (``privateToken(_:key:)``), so bm25
    /// ranks them among the others while the file holds no word of theirs. Without a key they
    /// are left out.
    public func rebuild(
        committed: [String: Memory], private: [String: Memory], source: String, privateKey: [UInt8]? = nil
    ) throws {
        try wrap {
            try queue.inTransaction(.immediate) { db in
                try db.execute(sql: "DELETE FROM memories; DELETE FROM memory_fts; DELETE FROM memory_meta")
                let record = try db.makeStatement(sql: "INSERT INTO memories(id, private, record) VALUES (?, ?, ?)")
                let fts = try db.makeStatement(sql: "INSERT INTO memory_fts(id, body, why, scope) VALUES (?, ?, ?, ?)")
                for m in committed.values {
                    try record.execute(arguments: [m.id, false, Data(try CanonicalJSON.encodeCompact(m))])
                    guard !m.isForgotten else { continue }
                    let c = Self.columns(m)
                    try fts.execute(arguments: [m.id, c[0], c[1], c[2]])
                }
                if let key = privateKey {
                    let live = `private`.values.filter { !$0.isForgotten }.sorted { $0.id < $1.id }
                    let stems = try Self.stems(db, live.flatMap(Self.columns))
                    for (i, m) in live.enumerated() {
                        let tokens = (0..<3).map { c in
                            stems[i * 3 + c].map { Self.privateToken($0, key: key) }.joined(separator: " ")
                        }
                        try fts.execute(arguments: [m.id, tokens[0], tokens[1], tokens[2]])
                    }
                }
                try db.execute(
                    sql: "INSERT INTO memory_meta(key, value) VALUES ('source', ?)", arguments: [source])
                return .commit
            }
        }
    }

    /// The text, rationale and scope columns of a memory, tokenized by ``MemoryText``.
    static func columns(_ m: Memory) -> [String] {
        [
            MemoryText.indexText(m.text), MemoryText.indexText(m.why ?? ""),
            MemoryText.indexText(
                (m.paths + m.tasks + (m.commits ?? []).map { String($0.prefix(12)) } + [m.kind.rawValue])
                    .joined(separator: " ")),
        ]
    }

    /// The terms FTS5 makes of each text (porter-stemmed, in order), read back from a table in
    /// memory (`temp_store = MEMORY`: the clear text never reaches a file).
    static func stems(_ db: Database, _ texts: [String]) throws -> [[String]] {
        guard !texts.isEmpty else { return [] }
        if try Bool.fetchOne(db, sql: "SELECT count(*) FROM temp.sqlite_master WHERE name = 'stem'") != true {
            try db.execute(
                sql: """
                    CREATE VIRTUAL TABLE temp.stem USING fts5(x, tokenize = "porter unicode61 tokenchars '-_./'");
                    CREATE VIRTUAL TABLE temp.stem_terms USING fts5vocab(temp, stem, instance);
                    """)
        }
        let insert = try db.makeStatement(sql: "INSERT INTO temp.stem(rowid, x) VALUES (?, ?)")
        for (i, t) in texts.enumerated() { try insert.execute(arguments: [i + 1, t]) }
        var out = [[String]](repeating: [], count: texts.count)
        let rows = try Row.fetchCursor(db, sql: "SELECT doc, term FROM temp.stem_terms ORDER BY doc, offset")
        while let r = try rows.next() {
            let doc: Int = r[0]
            out[doc - 1].append(r[1])
        }
        try db.execute(sql: "DELETE FROM temp.stem")
        return out
    }

    /// A private memory's search term: a keyed hash of its stem, as a token FTS5 keeps whole
    /// and does not stem further (it ends in a digit).
    static func privateToken(_ stem: String, key: [UInt8]) -> String {
        let mac = Crypto.hmac(key: key, Array(stem.utf8))
        var n: UInt64 = 0
        for b in mac.prefix(8) { n = n << 8 | UInt64(b) }
        return "p" + String(n)
    }

    /// For each query term, the token its private occurrences were indexed under (same stem,
    /// same key); a term FTS5 splits into several tokens gets none.
    public func privateTokens(_ terms: [String], key: [UInt8]) throws -> [String: String] {
        let unique = Array(Set(terms)).sorted()
        return try wrap {
            try queue.writeWithoutTransaction { db in
                let stems = try Self.stems(db, unique)
                var out: [String: String] = [:]
                for (term, s) in zip(unique, stems) where s.count == 1 { out[term] = Self.privateToken(s[0], key: key) }
                return out
            }
        }
    }

    /// Every committed memory (private ones are read from their file, never from the index).
    public func load() throws -> [String: Memory] {
        try wrap {
            try queue.read { db in
                var committed: [String: Memory] = [:]
                let decoder = JSONDecoder()
                let rows = try Row.fetchCursor(db, sql: "SELECT record FROM memories WHERE private = 0")
                while let r = try rows.next() {
                    let blob: Data = r[0]
                    let m = try decoder.decode(Memory.self, from: blob)
                    committed[m.id] = m
                }
                return committed
            }
        }
    }

    /// Memories matching an FTS5 expression (built by `MemoryText.query`, every term quoted),
    /// best first, with their bm25 score turned positive (higher is better). The text weighs
    /// most, then scope (paths, tasks, kind), then the rationale.
    public func search(_ match: String, limit: Int) throws -> [(id: String, score: Double)] {
        try wrap {
            try queue.read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT id, -bm25(memory_fts, 0.0, 1.0, 0.4, 0.6) AS score FROM memory_fts
                        WHERE memory_fts MATCH ? ORDER BY score DESC, id LIMIT ?
                        """, arguments: [match, limit]
                ).map { (id: $0[0], score: $0[1]) }
            }
        }
    }

    /// For each term, the memories FTS5 finds it in (with its own stemming, as the ranking
    /// did): what a result says it matched is exactly what matched.
    public func memoriesContaining(_ terms: [String], privateTokens: [String: String] = [:]) throws -> [String: Set<
        String
    >] {
        try wrap {
            try queue.read { db in
                var out: [String: Set<String>] = [:]
                let statement = try db.makeStatement(sql: "SELECT id FROM memory_fts WHERE memory_fts MATCH ?")
                for term in Set(terms) {
                    let match = MemoryText.Query.match(term, privateTokens)
                    out[term] = Set(try String.fetchAll(statement, arguments: [match]))
                }
                return out
            }
        }
    }

    // MARK: - Vectors

    /// The cached vectors of `model` for these keys (the SHA-256 of the text each was made from;
    /// for a private memory a keyed hash, its vector sealed): a memory whose text is unchanged
    /// keeps its vector across rebuilds, a changed model re-embeds everything once, and only what
    /// is missing is embedded.
    public func vectors(model: String, hashes: Set<String>) throws -> [String: Data] {
        guard !hashes.isEmpty else { return [:] }
        return try wrap {
            try queue.read { db in
                var out: [String: Data] = [:]
                let rows = try Row.fetchCursor(
                    db, sql: "SELECT hash, vector FROM memory_vectors WHERE model = ?", arguments: [model])
                while let r = try rows.next() {
                    let hash: String = r[0]
                    guard hashes.contains(hash) else { continue }
                    out[hash] = r[1]
                }
                return out
            }
        }
    }

    /// Stores vectors of `model` by key. Vectors no memory has any more are dropped once they
    /// outnumber the kept ones by more than 500 (a branch switch back and forth does not
    /// re-embed, and the table does not grow without end).
    public func storeVectors(model: String, _ vectors: [String: Data], keep: Set<String>) throws {
        try wrap {
            try queue.inTransaction(.immediate) { db in
                let insert = try db.makeStatement(
                    sql: "INSERT OR REPLACE INTO memory_vectors(hash, model, vector) VALUES (?, ?, ?)")
                for (hash, v) in vectors { try insert.execute(arguments: [hash, model, v]) }
                let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM memory_vectors") ?? 0
                if total > keep.count * 2 + 500 {
                    let all = try String.fetchAll(db, sql: "SELECT DISTINCT hash FROM memory_vectors")
                    let drop = try db.makeStatement(sql: "DELETE FROM memory_vectors WHERE hash = ?")
                    for hash in all where !keep.contains(hash) { try drop.execute(arguments: [hash]) }
                }
                return .commit
            }
        }
    }

    // MARK: - Committed ids

    /// The memory ids of the state file committed at `head`, if cached.
    public func committedIDs(head: String) throws -> Set<String>? {
        try wrap {
            try queue.read { db in
                try String.fetchOne(db, sql: "SELECT ids FROM head_memories WHERE head = ?", arguments: [head]).map {
                    Set($0.split(separator: " ").map(String.init))
                }
            }
        }
    }

    /// Caches the memory ids committed at `head`, keeping the 16 most recently stored heads.
    public func storeCommittedIDs(head: String, _ ids: Set<String>) throws {
        try wrap {
            try queue.inTransaction(.immediate) { db in
                let next = (try Int64.fetchOne(db, sql: "SELECT max(used) FROM head_memories") ?? 0) + 1
                try db.execute(
                    sql: "INSERT OR REPLACE INTO head_memories(head, ids, used) VALUES (?, ?, ?)",
                    arguments: [head, ids.sorted().joined(separator: " "), next])
                try db.execute(
                    sql: """
                        DELETE FROM head_memories WHERE head IN
                        (SELECT head FROM head_memories ORDER BY used DESC LIMIT -1 OFFSET 16)
                        """)
                return .commit
            }
        }
    }

    private func wrap<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError.index(path: path, reason: "\(error)")
        }
    }
}

extension StorePaths {
    /// This worktree's memory search index (derived, like the task index).
    public var memoryIndexFile: String { Self.join(worktreeLocal, "memory.sqlite") }
}

extension StateStore {
    /// How long a memory-index read or rebuild waits for another process's lock before the
    /// command answers from the files instead (an index built in memory). The index is a cache:
    /// waiting SQLite's usual seconds for it would stall the session start and `recall` behind
    /// any `sqlite3` left open on it (issue 19), for nothing the files do not hold.
    public static let memoryIndexBusyWait = 0.25

    /// The memory search index, opened (and made, or remade if damaged) at its place, waiting at
    /// most ``memoryIndexBusyWait`` (or the store's shorter index wait, as hooks set) for a lock.
    public func openMemoryIndex() throws -> MemoryIndex {
        try MemoryIndex(path: paths.memoryIndexFile, busyTimeout: min(Self.memoryIndexBusyWait, indexBusyTimeout))
    }
}
