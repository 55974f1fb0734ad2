import Foundation
import Testing

/// Private memories sealed at rest (issue 20, item 6): AES-256-GCM under a key outside the
/// repository; a wrong or missing key makes them unreadable and nothing else; rotation.
@Suite struct PrivateMemoryTests {
    static let secret = "zanzibar7"

    func world() throws -> (Sandbox, String) { try MemoryCommandTests().world() }

    var keyFile: (Sandbox) -> String {
        { $0.env["XDG_CONFIG_HOME"].map { $0 + "/codex-state/private-memory.key" } ?? "" }
    }

    /// Every file under `dir` whose bytes contain `needle` (the sqlite files, the journal, the
    /// index, git's objects uncompressed through git itself below).
    func filesContaining(_ needle: String, under dir: String) -> [String] {
        let fm = FileManager.default
        var out: [String] = []
        for case let relative as String in fm.enumerator(atPath: dir) ?? NSEnumerator() {
            let path = dir + "/" + relative
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue,
                let data = fm.contents(atPath: path)
            else { continue }
            if data.range(of: Data(needle.utf8)) != nil { out.append(relative) }
        }
        return out
    }

    @Test func aPrivateMemoryIsNeverInTheRepositoryNorInClearOnDisk() throws {
        let (s, repo) = try world()
        s.env["CODEX_STATE_SEMANTIC_MODEL"] = try SemanticModels.copyTiny(s, to: s.path("models/tiny"))
        try s.ok("remember", "The staging vault hint is \(Self.secret)", "--kind", "constraint", "--private", in: repo)
        try s.ok(
            "remember", "Use \(Self.secret)-proxy for the staging tunnel", "--kind", "decision", "--private", in: repo)
        let committed = try s.ok("remember", "Postgres 16 is the primary database", "--kind", "decision", in: repo)
        // Every reader shows them (the key is at hand)…
        #expect(try s.ok("recall", Self.secret, in: repo).contains("The staging vault hint is \(Self.secret)"))
        #expect(try s.ok("recall", "\(Self.secret)-proxy", in: repo).contains("\(Self.secret)-proxy"))
        #expect(try s.ok("memories", in: repo).contains(Self.secret))
        #expect(try s.ok("preamble", in: repo).contains(Self.secret))
        #expect(try s.ok("preamble", "--format", "codex-hook", in: repo).contains(Self.secret))
        #expect(try s.ok("log", "--json", in: repo).contains(Self.secret))
        try s.ok("undo", in: repo)  // the committed memory
        try s.ok("undo", in: repo)  // undoes that undo
        #expect(try s.ok("recall", "primary database", in: repo).contains(committed.trimmingCharacters(in: .newlines)))
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "state", in: repo)
        // …and no file of the repository, the git directory (indexes, journal, private file)
        // or git's history holds a byte of them.
        #expect(filesContaining(Self.secret, under: repo) == [], "in clear on disk")
        #expect(filesContaining("staging vault", under: repo) == [], "in clear on disk")
        let history = try s.git("log", "-p", "--all", in: repo)
        #expect(!history.contains(Self.secret))
        let file = try s.read(repo + "/.git/codex-state/private-memories.json")
        #expect(file.contains("\"cipher\": \"AES-256-GCM\""), "\(file)")
        let mode = try FileManager.default.attributesOfItem(atPath: keyFile(s))[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func aMissingOrWrongKeyLeavesThemUnreadableAndNothingElseBreaks() throws {
        let (s, repo) = try world()
        try s.ok("remember", "The staging vault hint is \(Self.secret)", "--kind", "note", "--private", in: repo)
        try s.ok("remember", "Postgres 16 is the primary database", "--kind", "decision", in: repo)
        let privateFile = repo + "/.git/codex-state/private-memories.json"
        let sealed = try s.read(privateFile)
        let key = try s.read(keyFile(s))
        func unreadable(_ env: [String: String], _ says: String) throws {
            let recall = try s.run(Sandbox.binary, ["recall", "database"], in: repo, env: env)
            #expect(recall.ok && recall.stdout.contains("Postgres 16"), "\(recall.stderr)")
            #expect(
                recall.stderr.contains("private memories are unreadable") && recall.stderr.contains(says),
                "\(recall.stderr)")
            let listed = try s.run(Sandbox.binary, ["memories"], in: repo, env: env)
            #expect(listed.ok && listed.stdout.contains("Postgres 16") && !listed.stdout.contains(Self.secret))
            #expect(try s.run(Sandbox.binary, ["preamble"], in: repo, env: env).ok)
            let other = try s.run(
                Sandbox.binary, ["remember", "Redis keeps sessions \(env.count)", "--kind", "note"], in: repo, env: env)
            #expect(other.ok, "\(other.stderr)")
            let refused = try s.run(
                Sandbox.binary, ["remember", "another secret", "--kind", "note", "--private"], in: repo, env: env)
            #expect(
                refused.status == 1 && refused.stderr.contains("unreadable, nothing was written"), "\(refused.stderr)")
            let rotate = try s.run(Sandbox.binary, ["private-key", "rotate"], in: repo, env: env)
            #expect(rotate.status == 1, "\(rotate.stdout)")
            #expect(try s.read(privateFile) == sealed, "the sealed file was rewritten")
        }
        // No key: the key file is gone.
        try FileManager.default.removeItem(atPath: keyFile(s))
        try unreadable([:], "not in")
        #expect(!FileManager.default.fileExists(atPath: keyFile(s)), "a read made a key that cannot open the file")
        // A wrong key, from the environment.
        try unreadable([PrivateKeyEnv.name: String(repeating: "ab", count: 32)], "not in CODEX_STATE_PRIVATE_KEY")
        // The key back: everything is there.
        try s.write(keyFile(s), key)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyFile(s))
        #expect(try s.ok("recall", Self.secret, in: repo).contains(Self.secret))
        // A key file others can read is refused, not used.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: keyFile(s))
        let open = try s.run(Sandbox.binary, ["recall", "database"], in: repo)
        #expect(open.ok && open.stderr.contains("readable by others"), "\(open.stderr)")
    }

    @Test func rotationResealsAndCanDropTheOldKey() throws {
        let (s, repo) = try world()
        try s.ok("remember", "The staging vault hint is \(Self.secret)", "--kind", "note", "--private", in: repo)
        let before = s.json(try s.ok("private-key", "--json", in: repo))
        let first = try #require((before["keys"] as? [String])?.first)
        #expect(before["sealed_with"] as? String == first)
        let oldKey = try #require(
            try s.read(keyFile(s)).split(separator: "\n").last.map { String($0.split(separator: " ")[1]) })

        let rotated = s.json(try s.ok("private-key", "rotate", "--json", in: repo))
        let keys = rotated["keys"] as? [String] ?? []
        #expect(keys.count == 2 && keys.last == first && rotated["sealed_with"] as? String == keys.first, "\(rotated)")
        #expect(try s.ok("recall", Self.secret, in: repo).contains(Self.secret))
        // The old key alone no longer opens this clone's file.
        let old = try s.run(Sandbox.binary, ["recall", Self.secret], in: repo, env: [PrivateKeyEnv.name: oldKey])
        #expect(old.stderr.contains("private memories are unreadable"), "\(old.stderr)")

        let dropped = s.json(try s.ok("private-key", "rotate", "--drop-old", "--json", in: repo))
        #expect((dropped["keys"] as? [String])?.count == 1)
        #expect(try s.ok("recall", Self.secret, in: repo).contains(Self.secret))
        // The journal's sealed records of older keys: listed, their text unreadable.
        let log = try s.run(Sandbox.binary, ["log"], in: repo)
        #expect(log.ok && !log.stdout.contains(Self.secret))
    }

    @Test func aKeyFromTheEnvironmentAndAFileInClearFromBefore() throws {
        let (s, repo) = try world()
        let key = String(repeating: "0f", count: 32)
        s.env[PrivateKeyEnv.name] = key
        try s.ok("remember", "The staging vault hint is \(Self.secret)", "--kind", "note", "--private", in: repo)
        #expect(!FileManager.default.fileExists(atPath: keyFile(s)), "the variable's key is used, no file made")
        #expect(try s.ok("recall", Self.secret, in: repo).contains(Self.secret))
        s.env[PrivateKeyEnv.name] = nil
        #expect(try s.run(Sandbox.binary, ["recall", Self.secret], in: repo).stderr.contains("unreadable"))

        // A file written before sealing existed: read as it is, sealed by the next change.
        let (s2, repo2) = try world()
        let clear = """
            {
              "memories": {
                "mem-0123456789": {
                  "created": {"actor": "tester", "at": "2026-01-15T09:00:00Z", "branch": "main"},
                  "hash": "x", "id": "mem-0123456789", "kind": "note", "paths": [], "supersedes": [], "tasks": [],
                  "text": "Legacy clear note about \(Self.secret)"
                }
              }
            }
            """
        try s2.write(repo2 + "/.git/codex-state/private-memories.json", clear)
        #expect(try s2.ok("recall", Self.secret, in: repo2).contains("Legacy clear note"))
        #expect(try s2.ok("private-key", in: repo2).contains("in clear"))
        try s2.ok("private-key", "rotate", in: repo2)
        #expect(!(try s2.read(repo2 + "/.git/codex-state/private-memories.json")).contains(Self.secret))
        #expect(try s2.ok("recall", Self.secret, in: repo2).contains("Legacy clear note"))
    }
}

enum PrivateKeyEnv {
    static let name = "CODEX_STATE_PRIVATE_KEY"
}
