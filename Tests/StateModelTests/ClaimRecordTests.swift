import Foundation
import Testing

@testable import StateModel

@Suite struct ClaimRecordTests {
    static let task = "t-0123456789"
    static let record = ClaimRecord(
        task: task, actor: "alice", clone: "c-00112233445566ff", claimed: Timestamp(seconds: 1_700_000_000),
        expires: Timestamp(seconds: 1_700_007_200), branch: "feature/x",
        commit: String(repeating: "ab", count: 20), nonce: 0xDEAD_BEEF)

    @Test func aRecordReadsBackAsWritten() throws {
        let bytes = Self.record.encoded()
        #expect(bytes.last == 0x0A)
        #expect(bytes.filter { $0 == 0x0A }.count == 1)
        #expect(
            String(decoding: bytes, as: UTF8.self)
                == #"{"actor":"alice","branch":"feature/x","claimed":"2023-11-14T22:13:20Z","clone":"c-00112233445566ff","commit":"abababababababababababababababababababab","expires":"2023-11-15T00:13:20Z","format":1,"nonce":"00000000deadbeef","task":"t-0123456789"}"#
                + "\n")
        #expect(try ClaimRecord.decode(bytes, task: Self.task) == Self.record)
    }

    @Test func secretsInTheActorOrBranchAreRedactedBeforePublishing() throws {
        var r = Self.record
        r.actor = "deploy ghp_" + String(repeating: "A", count: 36)
        r.branch = "fix/AKIAIOSFODNN7EXAMPLE"
        let text = String(decoding: r.encoded(), as: UTF8.self)
        #expect(!text.contains("ghp_AAAA"))
        #expect(!text.contains("AKIAIOSFODNN7EXAMPLE"))
        #expect(text.contains("[REDACTED:"))
    }

    @Test func onlyATaskIdNamesAClaim() {
        #expect(ClaimRecord.isTask("t-0123456789"))
        for bad in ["t-012345678", "t-0123456789/x", "T-0123456789", "../t-0123456789", "t-01234567890", ""] {
            #expect(!ClaimRecord.isTask(bad), "\(bad)")
        }
    }

    @Test func hostileRecordsAreRefusedWithTheirReason() {
        func object(_ change: (inout [String: Any]) -> Void) -> [UInt8] {
            var o = (try? JSONSerialization.jsonObject(with: Data(Self.record.encoded()))) as? [String: Any] ?? [:]
            change(&o)
            return Array((try? JSONSerialization.data(withJSONObject: o)) ?? Data())
        }
        func problem(_ bytes: [UInt8], task: String = Self.task) -> ClaimRecordProblem? {
            do {
                _ = try ClaimRecord.decode(bytes, task: task)
                return nil
            } catch { return error }
        }
        #expect(problem(Self.record.encoded(), task: "nope") == .badReference)
        #expect(problem(Array(repeating: 0x20, count: 5000)) == .tooLarge(5000))
        #expect(problem(Array("not json".utf8)) == .notJSON)
        #expect(problem(Array("[1,2]".utf8)) == .notJSON)
        #expect(problem(object { $0["task"] = "t-9999999999" }) == .otherTask("t-9999999999"))
        #expect(problem(object { $0["format"] = 2 }) == .newerFormat(2))
        #expect(problem(object { $0["format"] = 0 }) == .badField("format"))
        #expect(problem(object { $0["actor"] = "" }) == .badField("actor"))
        #expect(problem(object { $0["actor"] = "evil\u{1B}[2J" }) == .badField("actor"))
        #expect(problem(object { $0["actor"] = String(repeating: "a", count: 300) }) == .badField("actor"))
        #expect(problem(object { $0["branch"] = "a\nb" }) == .badField("branch"))
        #expect(problem(object { $0["clone"] = "c-xyz" }) == .badField("clone"))
        #expect(problem(object { $0["expires"] = "tomorrow" }) == .badField("expires"))
        #expect(problem(object { $0["claimed"] = nil }) == .badField("claimed"))
        #expect(problem(object { $0["commit"] = "HEAD" }) == .badField("commit"))
        #expect(problem(object { $0["nonce"] = 5 }) == .badField("nonce"))
        // Unknown keys of a later version of format 1, a null branch and commit: read.
        #expect(
            problem(
                object {
                    $0["later"] = ["x": 1]
                    $0["branch"] = NSNull()
                    $0["commit"] = NSNull()
                }) == nil)
    }

    @Test func aLaterListingKeepsWhatThisCloneLearnedWhileItRan() {
        let a = "refs/codex-state/claims/t-000000000a"
        let b = "refs/codex-state/claims/t-000000000b"
        let c = "refs/codex-state/claims/t-000000000c"
        var listing = ClaimListing(url: "file:///r")
        let old = ClaimListing.Entry(object: "1", record: nil, problem: .notJSON)
        listing.take([a: old, b: old], malformed: [], startedAt: 0, generation: 1, at: Timestamp(seconds: 10))
        // A listing starts at generation 1; meanwhile this clone wins c and releases a.
        listing.learn(c, ClaimListing.Entry(object: "3", record: nil, problem: nil), generation: 2)
        listing.forget(a, generation: 3)
        // The listing (read before either) shows a and b, not c.
        listing.take([a: old, b: old], malformed: ["junk"], startedAt: 1, generation: 4, at: Timestamp(seconds: 20))
        #expect(listing.entries.keys.sorted() == [b, c])
        #expect(listing.entries[c]?.object == "3")
        #expect(listing.malformed == ["junk"])
        #expect(listing.listed == Timestamp(seconds: 20))
        // A listing started after both is the truth: c is gone, a is back.
        listing.take([a: old], malformed: [], startedAt: 4, generation: 5, at: Timestamp(seconds: 30))
        #expect(listing.entries.keys.sorted() == [a])
        #expect(listing.deleted.isEmpty)
    }

    @Test func freshnessAndBackOffFollowTheClock() {
        var listing = ClaimListing(url: "x")
        #expect(!listing.isFresh(at: Timestamp(seconds: 100), ttl: 15))
        listing.listed = Timestamp(seconds: 100)
        #expect(listing.isFresh(at: Timestamp(seconds: 114), ttl: 15))
        #expect(!listing.isFresh(at: Timestamp(seconds: 115), ttl: 15))
        #expect(!listing.isFresh(at: Timestamp(seconds: 99), ttl: 15))  // a clock that went back
        #expect(!listing.isFresh(at: Timestamp(seconds: 100), ttl: 0))
        listing.unreachable = ClaimListing.Failure(at: Timestamp(seconds: 200), reason: "down")
        #expect(listing.isBackingOff(at: Timestamp(seconds: 229), for: 30))
        #expect(!listing.isBackingOff(at: Timestamp(seconds: 230), for: 30))
    }

    @Test func cloneIDs() {
        #expect(ClaimRecord.cloneID(random: 1) == "c-0000000000000001")
        #expect(ClaimRecord.isCloneID(ClaimRecord.cloneID(random: .max)))
        #expect(!ClaimRecord.isCloneID("c-000000000000000G"))
        #expect(!ClaimRecord.isCloneID("c-00000000000000001"))
    }

    @Test func readsSeeOnlyTheLiveClaimsOfOtherClones() {
        func entry(_ task: String, clone: String, expires: Int64) -> ClaimListing.Entry {
            ClaimListing.Entry(
                object: task,
                record: ClaimRecord(
                    task: task, actor: "bob", clone: clone, claimed: Timestamp(seconds: 0),
                    expires: Timestamp(seconds: expires), branch: nil, commit: nil, nonce: 1),
                problem: nil)
        }
        var listing = ClaimListing(url: "x")
        let prefix = "refs/codex-state/claims/"
        listing.entries = [
            prefix + "t-000000000a": entry("t-000000000a", clone: "c-000000000000000b", expires: 100),
            prefix + "t-000000000b": entry("t-000000000b", clone: "c-000000000000000b", expires: 50),
            prefix + "t-000000000c": entry("t-000000000c", clone: "c-000000000000000a", expires: 100),
            prefix + "t-000000000d": ClaimListing.Entry(object: "d", record: nil, problem: .notJSON),
        ]
        let live = listing.foreignLive(mine: "c-000000000000000a", at: Timestamp(seconds: 50))
        #expect(live.keys.sorted() == ["t-000000000a"])
        #expect(live["t-000000000a"]?.copy == CopyName(kind: .claim, name: "remote:bob"))
        #expect(live["t-000000000a"]?.copy.label == "remote:bob")
        // Other clones' claims order after every copy of the state.
        #expect(CopyName(kind: .remote, name: "origin/z") < CopyName(kind: .claim, name: "remote:a"))
        // The key reads changes with the claims, and is empty without any.
        #expect(ClaimRecord.key([:]) == "")
        let before = ClaimRecord.key(live)
        #expect(before != "")
        #expect(ClaimRecord.key(listing.foreignLive(mine: "c-000000000000000a", at: Timestamp(seconds: 100))) == "")
    }
}
