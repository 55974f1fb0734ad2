import Foundation
import Testing

/// `codex-state report --html`: the page's content and isolation, and the page itself in a real
/// browser (headless Chromium through chromedriver, `browser/report_check.py`), asserting on its
/// DOM and keeping a screenshot (under `.build/test-artifacts/`, or `$CODEX_STATE_TEST_ARTIFACTS`).
@Suite struct ReportTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let checker = packageRoot.appendingPathComponent("Tests/IntegrationTests/browser/report_check.py").path

    static var artifacts: String {
        ProcessInfo.processInfo.environment["CODEX_STATE_TEST_ARTIFACTS"]
            ?? packageRoot.appendingPathComponent(".build/test-artifacts").path
    }

    /// A project with a history: a milestone, an epic, dependencies, a completion committed, a
    /// session, memories (one superseded, one private), a title that tries to inject markup.
    func project(_ s: Sandbox) throws -> (dir: String, ids: [String: String], first: String) {
        let dir = try s.repo()
        try s.ok("init", in: dir)
        let m = try s.ok("milestone", "add", "Beta", "--due", "2026-03-01", in: dir)
        var ids: [String: String] = [:]
        ids["epic"] = try s.ok("task", "add", "Parser epic", "--milestone", m, in: dir)
        ids["lexer"] = try s.ok(
            "task", "add", "Lexer", "--parent", ids["epic"]!, "--milestone", m, "--body", "Tokens first.", in: dir)
        ids["grammar"] = try s.ok(
            "task", "add", "Grammar </script><img src=x onerror=alert(1)>", "--parent", ids["epic"]!, "--dep",
            ids["lexer"]!,
            "--milestone", m, "--accept", "parses the fixtures", in: dir)
        ids["docs"] = try s.ok("task", "add", "Docs", "--dep", ids["grammar"]!, in: dir)
        try s.git("add", "-A", in: dir)
        try s.git("commit", "-q", "-m", "plan", in: dir)
        let first = try s.git("rev-parse", "HEAD", in: dir)
        try s.ok("session", "start", "--summary", "lexing", in: dir)
        try s.ok("task", "start", ids["lexer"]!, in: dir)
        try s.ok("complete", ids["lexer"]!, "--note", "done with tests", in: dir)
        let d1 = try s.ok(
            "remember", "Tokens are bytes, not characters", "--kind", "decision", "--task", ids["lexer"]!, in: dir)
        try s.ok("remember", "Tokens are UTF-8 bytes", "--kind", "decision", "--supersedes", d1, in: dir)
        try s.ok("remember", "Never print tokens to the terminal", "--kind", "constraint", in: dir)
        try s.ok("remember", "my private note", "--kind", "note", "--private", in: dir)
        try s.ok("session", "end", "--summary", "lexer done", in: dir)
        try s.git("add", "-A", in: dir)
        try s.git("commit", "-q", "-m", "lexer", in: dir)
        return (dir, ids, first)
    }

    @Test func pageIsSelfContainedAndComplete() throws {
        let s = try Sandbox()
        let (dir, ids, first) = try project(s)
        let page = s.path("out/report.html")
        let j = s.json(try s.ok("report", "--html", page, "--json", in: dir))
        #expect(j["tasks"] as? Int == 4)
        #expect(j["sessions"] as? Int == 1)
        #expect(j["memories"] as? Int == 3)  // the private one is never written
        #expect((j["burndown_points"] as? Int ?? 0) >= 2)
        #expect(j["findings"] as? Int == 0)
        let html = try s.read(page)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("Content-Security-Policy\" content=\"default-src 'none'"))
        // Nothing is fetched: no external script, style sheet, image or font.
        #expect(!html.contains("<script src") && !html.contains("<link"))
        // The title cannot close the data block or add markup.
        #expect(!html.contains("</script><img"))
        #expect(html.contains(#"\u003c/script>\u003cimg"#))
        #expect(!html.contains("my private note"))
        #expect(html.contains(ids["grammar"]!))
        // Same state, same page.
        let again = s.path("out/again.html")
        try s.ok("report", "--html", again, in: dir)
        #expect(try s.read(again) == html)
        // Another commit: what was committed there, no drift check.
        let old = s.json(try s.ok("report", "--html", s.path("out/old.html"), "--rev", first, "--json", in: dir))
        #expect(old["findings"] is NSNull)
        #expect(old["sessions"] as? Int == 0)
        #expect(try s.read(s.path("out/old.html")).contains("--rev " + first))
    }

    @Test func pageInHeadlessChromium() throws {
        let s = try Sandbox()
        let (dir, ids, _) = try project(s)
        let page = s.path("report.html")
        try s.ok("report", "--html", page, in: dir)
        let shot = Self.artifacts + "/report.png"
        let r = try s.run("python3", [Self.checker, page, shot, ids["grammar"]!, "lex"], in: s.root)
        try #require(r.ok, "report_check.py failed: \(r.stderr)")
        let facts = s.json(r.stdout)
        if let why = facts["skipped"] as? String {
            let message = "ReportTests: SKIPPED the browser check: \(why) (apt-get install chromium chromium-driver)"
            print(message)
            if ProcessInfo.processInfo.environment["CI"] != nil { Issue.record(Comment(rawValue: message)) }
            return
        }
        #expect(facts["ready"] as? Bool == true)
        #expect(facts["nodes"] as? Int == 4)  // the page's list of every task
        #expect(facts["drawn"] as? Int == 4)  // all in view
        #expect(facts["statuses"] as? [String: Int] == ["done": 1, "ready": 1, "waiting": 2])
        #expect(facts["critical"] as? Int == 2)  // grammar, then the epic waiting on it
        #expect(facts["milestones"] as? Int == 1)
        #expect((facts["burndown_points"] as? Int ?? 0) >= 2)
        #expect(facts["sessions"] as? Int == 1)
        #expect(facts["memories"] as? Int == 3)
        #expect(facts["superseded"] as? Int == 1)
        #expect((facts["external"] as? [Any])?.isEmpty == true)
        #expect((facts["console_errors"] as? [Any])?.isEmpty == true, "\(facts["console_errors"] ?? "")")
        let details = facts["details"] as? [String: Any] ?? [:]
        #expect(details["shown"] as? Bool == true)
        #expect(details["task"] as? String == ids["grammar"])
        let text = details["text"] as? String ?? ""
        #expect(text.contains("Grammar </script><img src=x onerror=alert(1)>"))  // shown as text
        #expect(text.contains("parses the fixtures"))
        #expect(text.contains(ids["lexer"]!))  // what it waits on
        #expect(facts["search_hits"] as? Int == 1)
        #expect(FileManager.default.fileExists(atPath: shot))
        print("ReportTests: screenshot kept at \(shot); rendered in \(facts["render_ms"] ?? "?") ms")
    }
}
