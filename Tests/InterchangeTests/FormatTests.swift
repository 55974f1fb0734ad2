import Foundation
import Testing

@testable import Interchange
@testable import StateModel

@Suite struct TaskMasterTests {
    @Test func plainFormatWithSubtasks() throws {
        let batch = try TaskMaster.read(Fixture.bytes("taskmaster-plain.json"), file: "tasks.json")
        var s = ProjectState(projectName: "p")
        let r = try s.applyImport(batch, overwrite: false, ctx())
        #expect(r.count(.added) == 8)
        let api = try #require(s.task(from: "taskmaster:master:2"))
        let schema = try #require(s.task(from: "taskmaster:master:2.1"))
        let handlers = try #require(s.task(from: "taskmaster:master:2.2"))
        let review = try #require(s.task(from: "taskmaster:master:2.3"))
        let repo = try #require(s.task(from: "taskmaster:master:1"))
        #expect(schema.parent == api.id && handlers.parent == api.id)
        // A subtask's number names a sibling; a string without a dot a task.
        #expect(handlers.deps == [schema.id])
        #expect(Set(review.deps) == [handlers.id, repo.id])
        #expect(s.task(from: "taskmaster:master:3")?.deps == [handlers.id])  // "2.2"
        #expect(api.status == .inProgress && api.priority == 2 && api.body == "REST endpoints.")
        #expect(api.acceptance == ["Integration tests pass"])
        #expect(api.source?.fields?["details"] == .string("Express with zod validation."))
        #expect(repo.status == .done && repo.priority == 1)
        #expect(review.status == .inProgress && review.source?.fields?["status"] == .string("review"))
        #expect(s.task(from: "taskmaster:master:3")?.status == .blocked)
        #expect(s.task(from: "taskmaster:master:3")?.source?.fields?["complexity"] == .int(3))
        #expect(s.task(from: "taskmaster:master:4")?.priority == 0)
        #expect(s.task(from: "taskmaster:master:4")?.labels == ["security"])
        #expect(s.task(from: "taskmaster:master:5")?.status == .cancelled)
    }

    @Test func taggedFormatKeepsTagsApart() throws {
        let batch = try TaskMaster.read(Fixture.bytes("taskmaster-tagged.json"), file: "tasks.json")
        var s = ProjectState(projectName: "p")
        _ = try s.applyImport(batch, overwrite: false, ctx())
        #expect(s.tasks.count == 5)
        let login = try #require(s.task(from: "taskmaster:feature-auth:1"))
        #expect(s.task(from: "taskmaster:feature-auth:2")?.deps == [login.id])
        #expect(s.task(from: "taskmaster:master:2")?.deps == [s.task(from: "taskmaster:master:1")!.id])
        #expect(s.task(from: "taskmaster:master:1.1")?.parent == s.task(from: "taskmaster:master:1")?.id)
    }

    @Test func badInput() {
        #expect(
            Fixture.problems {
                try TaskMaster.read(Array(#"{"tasks": [{"id": 1}], "metadata": {}}"#.utf8), file: "t.json")
            }
                == ["t.json: master 1: no title"])
        #expect(
            Fixture.problems {
                try TaskMaster.read(
                    Array(#"{"tasks": [{"id": 1, "title": "A", "dependencies": [9]}]}"#.utf8), file: "t.json")
            }
            .isEmpty)
        #expect(
            Fixture.problems { try TaskMaster.read(Array("{\"tasks\": [".utf8), file: "t.json") }.first?.hasPrefix(
                "t.json: not valid JSON") == true)
    }
}

@Suite struct GitHubTests {
    @Test func ghIssueList() throws {
        let batch = try GitHub.read(Fixture.bytes("github-gh.json"), file: "issues.json")
        var s = ProjectState(projectName: "p")
        let r = try s.applyImport(batch, overwrite: false, ctx())
        #expect(r.count(.added) == 4)
        #expect(r.milestonesAdded.count == 1)
        let m = try #require(s.milestones.values.first)
        #expect(m.title == "v1.0" && m.due == "2026-03-01")
        let crash = try #require(s.task(from: "github:#12"))
        #expect(crash.milestone == m.id && crash.labels == ["bug"] && crash.status == .open)
        #expect(crash.source?.fields?["assignees"] == .strings(["alice"]))
        #expect(s.task(from: "github:#13")?.status == .done)
        #expect(s.task(from: "github:#14")?.status == .cancelled)
        #expect(s.task(from: "github:#15")?.labels == ["enhancement"])
    }

    /// The REST listing: pull requests are skipped, pages printed back to back are all read.
    @Test func restListingWithPages() throws {
        let batch = try GitHub.read(Fixture.bytes("github-rest.json"), file: "issues.json")
        #expect(batch.tasks.map(\.source) == ["github:#21", "github:#23", "github:#24"])
        #expect(batch.skipped.map(\.reason) == ["a pull request"])
        var s = ProjectState(projectName: "p")
        _ = try s.applyImport(batch, overwrite: false, ctx())
        let flaky = try #require(s.task(from: "github:#21"))
        #expect(flaky.created == Stamp(at: Timestamp(iso8601: "2026-01-20T10:00:00Z")!, actor: "carol"))
        #expect(flaky.source?.fields?["url"] == .string("https://github.com/o/r/issues/21"))
        #expect(s.milestones.values.first?.due == "2026-04-15")
        #expect(s.task(from: "github:#24")?.labels == ["triage"])
    }

    /// GitHub has no dependencies: importing it again leaves the ones added here alone.
    @Test func localDependenciesSurviveAReimport() throws {
        let batch = try GitHub.read(Fixture.bytes("github-gh.json"), file: "issues.json")
        var s = ProjectState(projectName: "p")
        _ = try s.applyImport(batch, overwrite: false, ctx())
        let a = s.task(from: "github:#12")!.id
        let b = s.task(from: "github:#15")!.id
        _ = try s.addDependency(b, on: a, ctx(at: t0.adding(seconds: 10)))
        var changed = Fixture.bytes("github-gh.json")
        changed = Array(
            String(decoding: changed, as: UTF8.self).replacingOccurrences(
                of: "For scripts.", with: "For scripts and CI."
            ).utf8)
        let r = try s.applyImport(
            try GitHub.read(changed, file: "issues.json"), overwrite: true, ctx(at: t0.adding(seconds: 20)))
        #expect(r.items.first { $0.source == "github:#15" }?.outcome == .updated)
        #expect(s.tasks[b]?.deps == [a])
        #expect(s.tasks[b]?.body == "For scripts and CI.")
    }
}

@Suite struct CodexMemoriesTests {
    func files(root: String) -> [CodexMemories.File] {
        let dir = Fixture.directory.appendingPathComponent("codex-memories")
        return [
            "memory_summary.md", "MEMORY.md", "rollout_summaries/2026-01-20T10-00-00-abcd-fix_hooks.md",
            "rollout_summaries/2026-01-21T10-00-00-efgh-other.md",
        ].map { name in
            let text = (try? String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)) ?? ""
            return CodexMemories.File(name: name, bytes: Array(text.replacingOccurrences(of: "/REPO", with: root).utf8))
        }
    }

    @Test func blocksBecomeNotesAndOtherProjectsStayOut() throws {
        let batch = try CodexMemories.read(files(root: "/work/repo"), folder: "memories", root: "/work/repo")
        let sources = batch.memories.map(\.source)
        #expect(sources.contains("codex-memories:memory_summary.md#general-tips"))
        #expect(sources.contains("codex-memories:MEMORY.md#codex-state-merge-driver"))
        #expect(sources.contains { $0.hasPrefix("codex-memories:rollout_summaries/2026-01-20") })
        let skipped = Dictionary(uniqueKeysWithValues: batch.skipped.map { ($0.source ?? "", $0.reason) })
        #expect(skipped["codex-memories:memory_summary.md#user-profile"] == "the user's profile, not project memory")
        #expect(
            skipped["codex-memories:MEMORY.md#other-project-release"]
                == "about another directory (cwd=/home/user/other-project)")
        #expect(skipped.keys.contains { $0.contains("efgh-other") })
        var s = ProjectState(projectName: "p")
        let r = try s.applyImport(batch, overwrite: false, ctx())
        #expect(r.count(.added) == batch.memories.count)
        #expect(s.memoryMap.values.allSatisfy { $0.kind == .note && $0.source != nil })
        // Again: nothing new.
        let again = try s.applyImport(batch, overwrite: false, ctx(at: t0.adding(seconds: 60)))
        #expect(again.count(.added) == 0 && again.count(.skipped) == r.items.count)
    }

    /// A block Codex rewrote supersedes the note imported from it before.
    @Test func aChangedBlockSupersedesItsEarlierImport() throws {
        var s = ProjectState(projectName: "p")
        _ = try s.applyImport(
            try CodexMemories.read(files(root: "/r"), folder: "m", root: "/r"), overwrite: false, ctx())
        var changed = files(root: "/r")
        changed[0].bytes = Array(
            String(decoding: changed[0].bytes, as: UTF8.self).replacingOccurrences(
                of: "never hand-format it", with: "never edit it by hand; codex-state check --fix formats it"
            ).utf8)
        let r = try s.applyImport(
            try CodexMemories.read(changed, folder: "m", root: "/r"), overwrite: false, ctx(at: t0.adding(seconds: 60)))
        let updated = try #require(r.items.first { $0.outcome == .updated })
        let new = try #require(s.memoryMap[updated.id ?? ""])
        #expect(new.supersedes.count == 1)
        #expect(new.text.contains("codex-state check --fix"))
    }

    @Test func longBlocksAreSplitUnderTheMemoryLimit() throws {
        let long = (0..<2000).map { "- line \($0) of a very long handbook entry" }.joined(separator: "\n")
        let batch = try CodexMemories.read(
            [CodexMemories.File(name: "MEMORY.md", bytes: Array(("# Task Group: big\n" + long).utf8))], folder: "m",
            root: "/r")
        #expect(batch.memories.count > 1)
        #expect(batch.memories.allSatisfy { $0.text.utf8.count <= MemoryRules.maxTextBytes })
        var s = ProjectState(projectName: "p")
        #expect(try s.applyImport(batch, overwrite: false, ctx()).count(.added) == batch.memories.count)
    }
}
