import Foundation
import GitKit
import Testing

/// Guards that cannot tell refuse, and a transient failure is never remembered as an answer
/// (issue 8, "Errors are never swallowed where data is at stake").
@Suite struct FailClosedTests {
    /// `core.hooksPath`, the merge driver's command, `user.name`: "the configuration cannot be
    /// read" must never read as "not set" (an install would then write into the wrong hooks
    /// directory). GitKit reads a configuration file again when it changed since it was read;
    /// one that no longer parses is an error naming it, not nil.
    @Test func aConfigurationThatCannotBeReadIsAnErrorNotUnset() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.git("config", "core.hooksPath", "shared-hooks", in: repo)
        let opened = try Repository.discover(from: repo, environment: s.env)
        #expect(try opened.configString("core.hooksPath") == "shared-hooks")
        #expect(try opened.configString("codex-state.unset") == nil)
        let config = repo + "/.git/config"
        try s.write(config, try s.read(config) + "[broken\n")
        let error = #expect(throws: GitFileError.self) { try opened.configString("core.hooksPath") }
        #expect(error?.path == config && error?.problem.hasPrefix("bad config line") == true)
    }

    /// A file this version cannot rewrite without loss (here an unknown field whose number does
    /// not fit a double: Foundation could not even read it; the one tokenizer compares it with
    /// the rewrite and names the field) is refused, never rewritten without the field.
    @Test func aStateThatCannotBeComparedWithItsRewriteIsRefused() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        let file = repo + "/.codex-state/project_state.json"
        let original = try s.read(file).replacingOccurrences(
            of: "{\n", with: "{\n  \"from_the_future\": 1e400,\n", options: [], range: nil)
        try s.write(file, original)
        let run = try s.cs("task", "add", "Anything", in: repo)
        #expect(run.status != 0)
        #expect(run.stderr.contains(file))
        #expect(run.stderr.contains("unknown field 'from_the_future'"), "\(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1)
        #expect(try s.read(file) == original)
    }

    /// A commit message that could not be read (a transient error, injected here for one commit)
    /// is not cached as "no trailers": once it reads again, the trailer recovers the anchor.
    @Test func aCommitMessageThatCouldNotBeReadIsReadAgainLater() throws {
        let s = try Sandbox()
        let repo = try s.repo()
        try s.ok("init", "--no-hooks", in: repo)
        let a = try s.ok("task", "add", "Done elsewhere", in: repo)
        let file = repo + "/.codex-state/project_state.json"
        try s.ok("complete", a, "--commit", "HEAD", in: repo)
        let head = try s.git("rev-parse", "HEAD", in: repo)
        try s.write(file, try s.read(file).replacingOccurrences(of: head, with: String(repeating: "e", count: 40)))
        try s.commit("w", "w\n", "Land the work\n\nCodex-Task: \(a)", in: repo)
        let landing = try s.git("rev-parse", "HEAD", in: repo)
        let unreadable = ["CODEX_STATE_FAULT": "unreadable-message:" + landing]
        for _ in 0..<2 {
            let run = try s.cs("tasks", "--all", "--json", in: repo, env: unreadable)
            #expect(run.status == 0)
            let listed = (s.json(run.stdout)["tasks"] as? [[String: Any]])?.first { $0["id"] as? String == a }
            #expect(listed?["effective_status"] as? String == "done_unknown")
        }
        #expect(try s.effective(a, in: repo) == "done")
        #expect((try s.tasks(in: repo)[a]?["recovered"] as? [String: Any])?["method"] as? String == "trailer")
    }
}
