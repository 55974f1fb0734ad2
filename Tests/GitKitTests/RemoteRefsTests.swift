import Foundation
import GitServers
import Testing

@testable import GitKit

#if canImport(Glibc)
    import Glibc
#endif

typealias Transport = GitTransport

/// A bare repository `served/remote.git` and the servers in front of it.
final class RemoteWorld {
    let world: GitWorld
    let served: String
    let bare: String
    let servers: LoopbackServers

    init() throws {
        world = try GitWorld()
        served = world.path("served")
        bare = served + "/remote.git"
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        try world.git("init", "-q", "--bare", bare, in: world.root)
        servers = LoopbackServers(root: served, environment: world.env)
    }

    func url(_ transport: Transport, repository: String = "remote.git") throws -> String {
        try servers.url(transport, repository)
    }

    /// A clone-like repository `name` whose `origin` is the bare repository over `transport`.
    func clone(_ name: String, _ transport: Transport) throws -> Repository {
        let dir = try world.repo(name, commits: 1)
        try world.git("remote", "add", "origin", try url(transport), in: dir)
        return try Repository.discover(from: dir, environment: world.env)
    }

    /// What the bare repository itself says the reference holds.
    func value(of ref: String) throws -> String? {
        let r = try world.run(["rev-parse", "-q", "--verify", ref], in: bare)
        return r.status == 0 ? r.out.trimmingCharacters(in: .whitespacesAndNewlines) : nil
    }
}

@Suite(.serialized) struct RemoteRefsTests {
    static let ref = "refs/codex-state/claims/t-0123456789"

    @Test(arguments: Transport.allCases)
    func compareAndSwapCreatesUpdatesAndDeletesOnlyFromTheExpectedValue(_ transport: Transport) throws {
        let w = try RemoteWorld()
        let repo = try w.clone("a", transport)
        let remote = try repo.remote("origin", timeout: 20)
        let one = try repo.writeBlob(Array("one\n".utf8))
        let two = try repo.writeBlob(Array("two\n".utf8))
        #expect(try remote.compareAndSwap(Self.ref, expected: nil, new: one) == .updated)
        #expect(try w.value(of: Self.ref) == one.hex)
        // Expecting it absent, or expecting another value: lost, and nothing changes.
        #expect(try remote.compareAndSwap(Self.ref, expected: nil, new: two) == .lost)
        #expect(try remote.compareAndSwap(Self.ref, expected: two, new: two) == .lost)
        #expect(try w.value(of: Self.ref) == one.hex)
        #expect(try remote.listRefs(under: "refs/codex-state/claims/").refs == [RemoteRef(name: Self.ref, object: one)])
        #expect(try remote.compareAndSwap(Self.ref, expected: one, new: two) == .updated)
        #expect(try w.value(of: Self.ref) == two.hex)
        #expect(try remote.compareAndSwap(Self.ref, expected: one, new: nil) == .lost)
        #expect(try remote.compareAndSwap(Self.ref, expected: two, new: nil) == .updated)
        #expect(try w.value(of: Self.ref) == nil)
        #expect(try remote.listRefs(under: "refs/codex-state/claims/").refs.isEmpty)
    }

    @Test(arguments: Transport.allCases)
    func ofEightClonesCreatingOneReferenceAtOnceExactlyOneWins(_ transport: Transport) throws {
        let w = try RemoteWorld()
        let clones = try (0..<8).map { try w.clone("c\($0)", transport) }
        let objects = try clones.enumerated().map { try $1.writeBlob(Array("claim \($0)\n".utf8)) }
        let remotes = try clones.map { try $0.remote("origin", timeout: 30) }
        let outcomes = try simultaneously(8) { i in
            try remotes[i].compareAndSwap(Self.ref, expected: nil, new: objects[i])
        }
        let winners = outcomes.indices.filter { outcomes[$0] == .updated }
        #expect(winners.count == 1, "\(outcomes)")
        #expect(outcomes.filter { $0 == .lost }.count == 7, "\(outcomes)")
        if let winner = winners.first { #expect(try w.value(of: Self.ref) == objects[winner].hex) }
    }

    @Test(arguments: Transport.allCases)
    func ofEightTakersOfOneOldValueExactlyOneWins(_ transport: Transport) throws {
        let w = try RemoteWorld()
        let clones = try (0..<8).map { try w.clone("c\($0)", transport) }
        let old = try clones[0].writeBlob(Array("expired claim\n".utf8))
        let remotes = try clones.map { try $0.remote("origin", timeout: 30) }
        #expect(try remotes[0].compareAndSwap(Self.ref, expected: nil, new: old) == .updated)
        let objects = try clones.enumerated().map { try $1.writeBlob(Array("taker \($0)\n".utf8)) }
        let outcomes = try simultaneously(8) { i in
            try remotes[i].compareAndSwap(Self.ref, expected: old, new: objects[i])
        }
        let winners = outcomes.indices.filter { outcomes[$0] == .updated }
        #expect(winners.count == 1, "\(outcomes)")
        #expect(outcomes.filter { $0 == .lost }.count == 7, "\(outcomes)")
        if let winner = winners.first { #expect(try w.value(of: Self.ref) == objects[winner].hex) }
    }

    @Test(arguments: Transport.allCases)
    func aServerThatRefusesTheReferencesSaysWhy(_ transport: Transport) throws {
        let w = try RemoteWorld()
        let repo = try w.clone("a", transport)
        let remote = try repo.remote("origin", timeout: 20)
        let one = try repo.writeBlob(Array("one\n".utf8))
        // A pre-receive hook against the namespace.
        let hook = w.bare + "/hooks/pre-receive"
        try w.world.write(
            hook,
            "#!/bin/sh\nwhile read o n r; do case $r in refs/codex-state/*) echo no custom refs >&2; exit 1;; esac; done\n"
        )
        chmod(hook, 0o755)
        #expect(try remote.compareAndSwap(Self.ref, expected: nil, new: one) == .refused("pre-receive hook declined"))
        try FileManager.default.removeItem(atPath: hook)
        // Hidden references cannot be updated.
        try w.world.git("config", "receive.hideRefs", "refs/codex-state", in: w.bare)
        #expect(try remote.compareAndSwap(Self.ref, expected: nil, new: one) == .refused("deny updating a hidden ref"))
        #expect(try w.value(of: Self.ref) == nil)
    }

    @Test func aLostRaceIsToldFromARefusalByReadingTheReference() throws {
        // A server-side update hook refuses only the second update: its reason comes back as
        // the refusal, where a changed reference would have been a lost race.
        let w = try RemoteWorld()
        let repo = try w.clone("a", .file)
        let remote = try repo.remote("origin", timeout: 20)
        let one = try repo.writeBlob(Array("one\n".utf8))
        let two = try repo.writeBlob(Array("two\n".utf8))
        #expect(try remote.compareAndSwap(Self.ref, expected: nil, new: one) == .updated)
        let hook = w.bare + "/hooks/update"
        try w.world.write(hook, "#!/bin/sh\necho read-only >&2\nexit 1\n")
        chmod(hook, 0o755)
        let outcome = try remote.compareAndSwap(Self.ref, expected: one, new: two)
        #expect(outcome == .refused("hook declined") || outcome == .refused("atomic transaction failed"), "\(outcome)")
    }

    @Test func anUnreachableRemoteFailsAtOnceAndASilentOneWithinTheTimeout() throws {
        let w = try RemoteWorld()
        let dir = try w.world.repo("a", commits: 1)
        let closed = try GitServers.freePort()
        try w.world.git("remote", "add", "refused", "git://127.0.0.1:\(closed)/remote.git", in: dir)
        let silent = try SilentPort()
        try w.world.git("remote", "add", "silent", "http://127.0.0.1:\(silent.port)/remote.git", in: dir)
        try w.world.git("remote", "add", "silentgit", "git://127.0.0.1:\(silent.port)/remote.git", in: dir)
        let repo = try Repository.discover(from: dir, environment: w.world.env)

        #expect(throws: RemoteError.self) { try repo.remote("refused", timeout: 5).listRefs(under: "refs/x/") }
        for name in ["silent", "silentgit"] {
            let start = Date()
            do {
                _ = try repo.remote(name, timeout: 1).listRefs(under: "refs/x/")
                Issue.record("\(name): listed a server that never answers")
            } catch let e as RemoteError {
                #expect(e == .timedOut(operation: "list refs/x/* on \(name)", seconds: 1))
            }
            #expect(Date().timeIntervalSince(start) < 4, "\(name) took \(Date().timeIntervalSince(start)) s")
        }
    }

    @Test func aPasswordQuestionFailsInsteadOfWaiting() throws {
        let w = try RemoteWorld()
        let repo = try w.clone("a", .http)
        let url = try w.url(.http, repository: "private/remote.git")
        try w.world.git("remote", "add", "private", url, in: repo.workdir ?? "")
        let start = Date()
        #expect(throws: RemoteError.self) { try repo.remote("private", timeout: 20).listRefs(under: "refs/x/") }
        #expect(Date().timeIntervalSince(start) < 10)
    }

    @Test func onlyConfiguredRemotesWithNamesGitAcceptsAreReached() throws {
        let w = try RemoteWorld()
        let repo = try w.clone("a", .file)
        for name in ["--upload-pack=touch /tmp/x", "-v", "", "a b", "../x", "file:///tmp/x", "nowhere"] {
            #expect(throws: RemoteError.self, "\(name)") { try repo.remote(name, timeout: 5) }
        }
        #expect(try repo.remote("origin", timeout: 5).name == "origin")
    }

    @Test func objectsAreFetchedByIdAndReadOnlyWhenSmallBlobs() throws {
        let w = try RemoteWorld()
        let writer = try w.clone("a", .file)
        let reader = try w.clone("b", .file)
        let remote = try writer.remote("origin", timeout: 20)
        let small = try writer.writeBlob(Array("{\"small\":true}\n".utf8))
        let large = try writer.writeBlob(Array(repeating: UInt8(ascii: "x"), count: 10_000))
        let commit = try ObjectID(hex: w.world.git("rev-parse", "HEAD", in: writer.workdir ?? "")).unwrap()
        #expect(
            try remote.compareAndSwap("refs/codex-state/claims/t-000000000a", expected: nil, new: small) == .updated)
        #expect(
            try remote.compareAndSwap("refs/codex-state/claims/t-000000000b", expected: nil, new: large) == .updated)
        #expect(
            try remote.compareAndSwap("refs/codex-state/claims/t-000000000c", expected: nil, new: commit) == .updated)
        let readerRemote = try reader.remote("origin", timeout: 20)
        let listing = try readerRemote.listRefs(under: "refs/codex-state/claims/")
        #expect(listing.refs.count == 3)
        #expect(try reader.readSmallBlob(small, limit: 4096) == .missing)
        try readerRemote.fetch(listing.refs.map(\.object))
        #expect(try reader.readSmallBlob(small, limit: 4096) == .bytes(Array("{\"small\":true}\n".utf8)))
        #expect(try reader.readSmallBlob(large, limit: 4096) == .tooLarge(10_000))
        #expect(try reader.readSmallBlob(commit, limit: 4096) == .notBlob)
        // Nothing of the reader's references or FETCH_HEAD moved.
        #expect(try w.world.run(["for-each-ref", "refs/codex-state"], in: reader.workdir ?? "").out.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: reader.path(of: .fetchHead)))
    }

    @Test func aListingKeepsOnlyWellFormedReferencesUnderThePrefix() {
        let a = String(repeating: "a", count: 40)
        let text = """
            \(a)\trefs/codex-state/claims/t-0123456789
            \(a)\trefs/other/refs/codex-state/claims/t-0123456789
            \(a)\trefs/codex-state/claims/bad..name
            zzzz\trefs/codex-state/claims/t-1111111111
            \(a)\trefs/codex-state/claims/t-2222222222\u{1B}[31m

            """
        let listing = GitRemote.parseListing(Array(text.utf8), under: "refs/codex-state/claims/")
        #expect(listing.refs.map(\.name) == ["refs/codex-state/claims/t-0123456789"])
        #expect(listing.malformed.count == 3)
    }

    @Test func pushStatusReadsGitsPorcelain() {
        let r = "refs/codex-state/claims/t-1"
        func status(_ line: String) -> GitRemote.PushStatus? {
            GitRemote.pushStatus(Array("To file:///x\n\(line)\nDone\n".utf8), ref: r)
        }
        #expect(status("*\tabc:\(r)\t[new reference]") == .ok)
        #expect(status("+\tabc:\(r)\ta...b (forced update)") == .ok)
        #expect(status("-\t:\(r)\t[deleted]") == .ok)
        #expect(status("=\tabc:\(r)\t[up to date]") == .ok)
        #expect(status("!\tabc:\(r)\t[rejected] (stale info)") == .stale)
        #expect(status("!\t(delete):\(r)\t[rejected] (stale info)") == .stale)
        #expect(
            status("!\tabc:\(r)\t[remote rejected] (pre-receive hook declined)")
                == .remoteRejected("pre-receive hook declined"))
        #expect(status("!\tabc:\(r)\t[rejected] (non-fast-forward)") == .rejected("non-fast-forward"))
        #expect(status("!\tabc:refs/other\t[rejected] (stale info)") == nil)
    }

    @Test func aClaimReferenceIsOneComponentUnderThePrefix() {
        #expect(ClaimRefs.name(of: "t-0123456789") == "refs/codex-state/claims/t-0123456789")
        #expect(ClaimRefs.key(of: "refs/codex-state/claims/t-0123456789") == "t-0123456789")
        #expect(ClaimRefs.key(of: "refs/codex-state/claims/a/b") == nil)
        #expect(ClaimRefs.key(of: "refs/codex-state/claims/") == nil)
        #expect(ClaimRefs.key(of: "refs/heads/t-0123456789") == nil)
    }

    @Test func credentialsAreNotShownInTheRemotesURL() {
        #expect(Repository.withoutCredentials("https://user:tok@host.example/x.git") == "https://host.example/x.git")
        #expect(Repository.withoutCredentials("https://host.example/a@b.git") == "https://host.example/a@b.git")
        #expect(Repository.withoutCredentials("git@host.example:x.git") == "git@host.example:x.git")
        #expect(Repository.withoutCredentials("ssh://git@host.example/x") == "ssh://host.example/x")
    }
}

/// A value a test expected to be there.
struct Missing: Error {}

extension Optional {
    func unwrap() throws -> Wrapped {
        guard let self else { throw Missing() }
        return self
    }
}
