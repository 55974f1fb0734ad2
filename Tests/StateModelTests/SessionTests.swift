import Foundation
import Testing

@testable import StateModel

/// Every character a slug may hold.
private func isSafeSlug(_ s: String) -> Bool {
    !s.isEmpty && s.count <= SessionNaming.slugLimit
        && s.utf8.allSatisfy {
            ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E
        }
        && !s.contains("..") && !s.hasPrefix("-") && !s.hasPrefix(".") && !s.hasSuffix("-") && !s.hasSuffix(".")
        && !s.contains("/") && !s.contains("--")
}

@Suite struct BranchSlugTests {
    @Test func cleanNamesAreTheirOwnSlug() {
        #expect(SessionNaming.slug("main") == "main")
        #expect(SessionNaming.slug("fix-login_2.0") == "fix-login_2.0")
        #expect(SessionNaming.slug("a-b") == "a-b")
    }

    @Test func slashesBecomeDashesWithASuffixSoNamesNeverCollide() {
        let slashed = SessionNaming.slug("feature/x")
        #expect(slashed.hasPrefix("feature-x-"))
        #expect(slashed.count == "feature-x-".count + 6)
        #expect(SessionNaming.slug("a/b") != SessionNaming.slug("a-b"))
        #expect(SessionNaming.slug("a/b").hasPrefix("a-b-"))
        #expect(SessionNaming.slug("a//b") != SessionNaming.slug("a/b"))
        // Deterministic: the suffix is a hash of the name, not random.
        #expect(SessionNaming.slug("feature/x") == slashed)
    }

    @Test func dotsSpacesAndUnicodeAreMadeSafe() {
        for name in [
            "a..b", "../../etc/passwd", "my branch", "  spaced  ", "fix/über-cool", "日本語", "emoji-🚀-rocket",
            ".hidden", "..", "-leading", "trailing.", "trailing-", "x.-.y", "UPPER/Case", "tab\tand\nnewline",
            "back\\slash", "colon:star*q?", "feature/.lock", "con", "a_b", "release/1.2.3",
        ] {
            let slug = SessionNaming.slug(name)
            #expect(isSafeSlug(slug), "\(name.debugDescription) -> \(slug)")
        }
        #expect(SessionNaming.slug("a..b").hasPrefix("a.b-"))
        #expect(SessionNaming.slug("../../etc/passwd").hasPrefix("etc-passwd-"))
        #expect(SessionNaming.slug("my branch").hasPrefix("my-branch-"))
        #expect(SessionNaming.slug("fix/über-cool").hasPrefix("fix-ber-cool-"))
        #expect(SessionNaming.slug("UPPER/Case").hasPrefix("upper-case-"))
        #expect(SessionNaming.slug(".hidden").hasPrefix("hidden-"))
        #expect(SessionNaming.slug("Main") != SessionNaming.slug("main"))
    }

    @Test func namesWithNothingUsableStillGetADistinctSlug() {
        let a = SessionNaming.slug("日本語")
        let b = SessionNaming.slug("中文")
        #expect(a.hasPrefix("branch-") && b.hasPrefix("branch-"))
        #expect(a != b)
        #expect(SessionNaming.slug("..").hasPrefix("branch-"))
    }

    @Test func longNamesAreCappedAndStayDistinct() {
        let long = String(repeating: "abcdefghij", count: 10)
        let a = SessionNaming.slug(long)
        let b = SessionNaming.slug(long + "x")
        #expect(a.count <= SessionNaming.slugLimit && b.count <= SessionNaming.slugLimit)
        #expect(a != b)
        #expect(isSafeSlug(a))
        // A cut that lands on a separator does not leave it dangling.
        let dashy = SessionNaming.slug(String(repeating: "a", count: 32) + "/" + String(repeating: "b", count: 20))
        #expect(isSafeSlug(dashy))
        // Exactly at the limit and clean: kept as is.
        let forty = String(repeating: "k", count: SessionNaming.slugLimit)
        #expect(SessionNaming.slug(forty) == forty)
    }

    @Test func detachedHeadHasItsOwnSlugThatNoBranchTakes() {
        #expect(SessionNaming.slug(nil) == "detached")
        #expect(SessionNaming.slug("detached") != "detached")
        #expect(SessionNaming.slug("detached").hasPrefix("detached-"))
    }
}

@Suite struct SessionNamingTests {
    @Test func fileNamesCarryEndTimeSlugAndIDAndParseBack() throws {
        let id = SessionNaming.makeID(branch: "feature/x", actor: "alice", at: t0, nonce: 7)
        #expect(SessionNaming.isID(id))
        #expect(id.hasPrefix("s-") && id.count == 12)
        let name = SessionNaming.fileName(ended: t0, branch: "main", id: id)
        #expect(name == "20260115T090000Z_main_\(id).json")
        let parts = try #require(SessionNaming.parse(fileName: name))
        #expect(parts.time == "20260115T090000Z" && parts.slug == "main" && parts.id == id)
        // Slugs may hold '_': the time is cut at the first, the id at the last.
        let underscored = SessionNaming.fileName(ended: t0, branch: "a_b", id: id)
        #expect(SessionNaming.parse(fileName: underscored)?.slug == "a_b")
        #expect(SessionNaming.parse(fileName: ".gitkeep") == nil)
        #expect(SessionNaming.parse(fileName: ".pending-\(id).json") == nil)
        #expect(SessionNaming.parse(fileName: "notes.json") == nil)
    }

    @Test func idsDifferByNonceAndResolveByPrefix() {
        let a = SessionNaming.makeID(branch: "main", actor: "alice", at: t0, nonce: 1)
        let b = SessionNaming.makeID(branch: "main", actor: "alice", at: t0, nonce: 2)
        #expect(a != b)
        #expect(SessionNaming.resolve(a, among: [a, b]) == .found(a))
        #expect(SessionNaming.resolve(String(a.dropFirst(2).prefix(6)), among: [a, b]) == .found(a))
        #expect(SessionNaming.resolve("s-", among: [a, b]) == .ambiguous([a, b].sorted()))
        #expect(SessionNaming.resolve("zzz", among: [a, b]) == .notFound)
    }
}

@Suite struct SessionActivityTests {
    private func task(_ id: String, _ title: String, _ status: TaskStatus) -> EntityValue {
        .task(TaskRecord(id: id, title: title, status: status, created: Stamp(at: t0, actor: "alice")))
    }

    @Test func classifiesCreatedStartedCompletedAndUpdatedInFirstTouchOrder() {
        let changes = [
            EntityChange(kind: "task", id: "t-b", before: nil, after: task("t-b", "New", .open)),
            EntityChange(
                kind: "task", id: "t-a", before: task("t-a", "Old", .open), after: task("t-a", "Old", .inProgress)),
            EntityChange(kind: "milestone", id: "m-1", before: nil, after: nil),
            EntityChange(
                kind: "task", id: "t-c", before: task("t-c", "Edit", .open), after: task("t-c", "Edited", .open)),
            EntityChange(
                kind: "task", id: "t-a", before: task("t-a", "Old", .inProgress), after: task("t-a", "Old", .done)),
            EntityChange(
                kind: "task", id: "t-b", before: task("t-b", "New", .open), after: task("t-b", "Renamed", .inProgress)),
            // A re-anchored completion stays done: not a new completion.
            EntityChange(
                kind: "task", id: "t-d", before: task("t-d", "Done", .done), after: task("t-d", "Done", .done)),
        ]
        let a = SessionActivity(changes: changes)
        #expect(a.created == [SessionTask(id: "t-b", title: "Renamed")])
        #expect(a.started.map(\.id) == ["t-b", "t-a"])
        #expect(a.completed == [SessionTask(id: "t-a", title: "Old")])
        #expect(a.updated.map(\.id) == ["t-c", "t-d"])
        #expect(a.updated.first?.title == "Edited")
        #expect(SessionActivity(changes: []).isEmpty)
    }
}

@Suite struct SessionRecordTests {
    private func open(source: String = SessionSource.checkoutHook, head: String? = "a") -> OpenSession {
        OpenSession(
            id: "s-0123456789", branch: "main", headStart: head, actor: "alice", started: t0, source: source,
            summary: nil, journalOffset: 0)
    }

    private func record(
        summary: String? = nil, decisions: [String] = [], followUps: [String] = [],
        activity: SessionActivity = SessionActivity(), commits: [SessionCommit] = [], omitted: Int = 0
    ) -> SessionRecord {
        SessionRecord(
            open: open(), headEnd: "a", ended: t0.adding(seconds: 60), closedBy: SessionSource.checkoutHook,
            summary: summary, decisions: decisions, followUps: followUps, activity: activity, commits: commits,
            commitsOmitted: omitted, files: [], filesOmitted: 0)
    }

    @Test func noActivityRule() {
        #expect(!record().hadActivity)
        #expect(record(summary: "did things").hadActivity)
        #expect(!record(summary: "").hadActivity)
        #expect(record(decisions: ["use sqlite"]).hadActivity)
        #expect(record(followUps: ["write docs"]).hadActivity)
        #expect(record(commits: [SessionCommit(sha: "b", subject: "x")]).hadActivity)
        #expect(record(omitted: 3).hadActivity)
        var touched = SessionActivity()
        touched.updated = [SessionTask(id: "t-1", title: "x")]
        #expect(record(activity: touched).hadActivity)
    }

    @Test func encodesEveryKeyCanonicallyAndRoundTrips() throws {
        let r = record(summary: nil, followUps: ["next"])
        let bytes = try CanonicalJSON.encode(r)
        let text = String(decoding: bytes, as: UTF8.self)
        for key in [
            "\"schema\": 1", "\"summary\": null", "\"head_start\": \"a\"", "\"closed_by\": \"checkout-hook\"",
            "\"follow_ups\": [\n    \"next\"\n  ]", "\"tasks_created\": []", "\"commits_omitted\": 0",
            "\"files_omitted\": 0", "\"ended\": \"2026-01-15T09:01:00Z\"",
        ] {
            #expect(text.contains(key), "missing \(key) in \(text)")
        }
        #expect(r.fileName == "20260115T090100Z_main_s-0123456789.json")
        let back = try JSONDecoder().decode(SessionRecord.self, from: Data(bytes))
        #expect(back == r)
        #expect(try CanonicalJSON.encode(back) == bytes)
    }

    @Test func openSessionRoundTrips() throws {
        let o = open(source: "cli", head: nil)
        let bytes = try CanonicalJSON.encode(o)
        #expect(String(decoding: bytes, as: UTF8.self).contains("\"head_start\": null"))
        #expect(try JSONDecoder().decode(OpenSession.self, from: Data(bytes)) == o)
    }
}
