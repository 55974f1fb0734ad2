import Foundation
import Testing

/// Memory that knows when it is stale (issue 20, item 5): `check` reports a memory whose paths
/// or identifiers are gone from HEAD, contradicting memories, and a memory superseded on another
/// branch; `memories --review` lists them with what to do, and `--confirm` stops this clone
/// reporting one.
@Suite struct MemoryReviewTests {
    func codes(_ s: Sandbox, _ repo: String) throws -> [String: [String]] {
        let r = try s.cs("check", "--json", in: repo)
        var out: [String: [String]] = [:]
        for f in s.json(r.stdout)["findings"] as? [[String: Any]] ?? [] {
            guard let code = f["code"] as? String, code.hasPrefix("CS08") else { continue }
            out[code, default: []].append(f["message"] as? String ?? "")
        }
        return out
    }

    @Test func staleMemoriesAreReportedReviewedAndConfirmed() throws {
        let (s, repo) = try MemoryCommandTests().world()
        try s.write(repo + "/src/db/query.ts", "export const query = (retries = flags['--max-retries']) => 1\n")
        try s.write(repo + "/config.env", "DATABASE_URL=postgres://db\n")
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "code", in: repo)
        let query = try s.ok(
            "remember",
            "Queries go through src/db/query.ts; pass --max-retries for flaky hosts; DATABASE_URL names the db",
            "--kind", "constraint", "--path", "src/db", in: repo
        ).trimmingCharacters(in: .whitespacesAndNewlines)
        let pin26 = try s.ok(
            "remember", "Pin boto3 to 1.26.x until the S3 multipart upload regression is fixed", "--kind", "constraint",
            in: repo
        ).trimmingCharacters(in: .whitespacesAndNewlines)
        let pin28 = try s.ok("remember", "Pin boto3 to 1.28.x for S3 checksum support", "--kind", "decision", in: repo)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try s.ok("remember", "Deploys on Fridays are fine for documentation changes", "--kind", "decision", in: repo)
        try s.ok("remember", "Never deploy on Fridays", "--kind", "constraint", in: repo)
        try s.git("add", "-A", in: repo)
        try s.git("commit", "-q", "-m", "memories", in: repo)
        var found = try codes(s, repo)
        #expect(found["CS081"] == nil && found["CS082"] == nil, "\(found)")
        #expect(found["CS083"]?.count == 2, "\(found)")
        #expect(found["CS083"]?.contains { $0.contains(pin26) && $0.contains(pin28) } == true, "\(found)")

        // A rename and a removed flag: the memory names what HEAD no longer has.
        try s.git("mv", "src/db/query.ts", "src/db/queries.ts", in: repo)
        try s.write(repo + "/src/db/queries.ts", "export const query = (retries = flags['--retries']) => 1\n")
        try s.git("commit", "-q", "-am", "rename", in: repo)
        found = try codes(s, repo)
        #expect(found["CS081"] == ["constraint \(query) names src/db/query.ts, not at HEAD (renamed or removed?)"])
        #expect(
            found["CS082"] == [
                "constraint \(query) names --max-retries, found in no file at HEAD (renamed or removed?)"
            ])
        // Warnings: the check passes, unless --strict.
        #expect(try s.cs("check", in: repo).status == 0)
        #expect(try s.cs("check", "--strict", in: repo).status == 1)

        // Superseded on another branch, current here.
        try s.git("checkout", "-q", "-b", "upgrade", in: repo)
        let pin29 = try s.ok(
            "remember", "Pin boto3 to 1.29.x: the checksum fix landed", "--kind", "decision", "--supersedes", pin28,
            in: repo
        ).trimmingCharacters(in: .whitespacesAndNewlines)
        try s.git("commit", "-q", "-am", "upgrade boto3", in: repo)
        try s.git("checkout", "-q", "main", in: repo)
        found = try codes(s, repo)
        #expect(
            found["CS084"] == ["decision \(pin28) is current here but superseded by \(pin29) on upgrade"], "\(found)")

        // The review lists each with what to do; confirming one stops it here, until it changes.
        let review = s.json(try s.ok("memories", "--review", "--json", in: repo))["review"] as? [[String: Any]] ?? []
        #expect(Set(review.compactMap { $0["code"] as? String }) == ["CS081", "CS082", "CS083", "CS084"], "\(review)")
        let text = try s.ok("memories", "--review", in: repo)
        #expect(text.contains("--supersedes \(query)") && text.contains("--review --confirm \(query)"), "\(text)")
        try s.ok("memories", "--review", "--confirm", query, in: repo)
        found = try codes(s, repo)
        #expect(found["CS081"] == nil && found["CS082"] == nil && found["CS083"] != nil, "\(found)")
        #expect(try s.cs("memories", "--review", "--confirm", query, in: repo).status == 1)
        // Superseding the stale memory resolves it for good.
        try s.ok(
            "remember", "Queries go through src/db/queries.ts", "--kind", "constraint", "--supersedes", query, in: repo)
        #expect(try codes(s, repo)["CS081"] == nil)
    }

    @Test func checkSaysWhenRecallIsLexicalOnlyButNotInCI() throws {
        let (s, repo) = try MemoryCommandTests().world()
        let absent = s.path("no-model")
        let local = try s.run(
            Sandbox.binary, ["check", "--json"], in: repo, env: ["CODEX_STATE_SEMANTIC_MODEL": absent, "CI": ""])
        #expect(local.stdout.contains("CS085") && local.stdout.contains("recall is lexical only"), "\(local.stdout)")
        #expect(local.status == 0)
        let ci = try s.run(
            Sandbox.binary, ["check", "--json"], in: repo, env: ["CODEX_STATE_SEMANTIC_MODEL": absent, "CI": "true"])
        #expect(!ci.stdout.contains("CS085"), "\(ci.stdout)")
        let tiny = try SemanticModels.copyTiny(s, to: s.path("models/tiny"))
        let ok = try s.run(Sandbox.binary, ["check", "--json"], in: repo, env: ["CODEX_STATE_SEMANTIC_MODEL": tiny])
        #expect(!ok.stdout.contains("CS085") && ok.stderr.isEmpty, "\(ok.stdout) \(ok.stderr)")
        let doctor = try s.run(
            Sandbox.binary, ["codex", "doctor"], in: repo, env: ["CODEX_STATE_SEMANTIC_MODEL": absent])
        #expect(doctor.stdout.contains("recall: semantic ranking unavailable"), "\(doctor.stdout)")
    }
}
