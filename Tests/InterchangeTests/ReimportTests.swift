import Foundation
import Testing

@testable import Interchange
@testable import StateModel

/// Importing the same tracker again: what did not change is skipped, what changed there is
/// updated, and what changed on both sides is refused unless `overwrite`.
@Suite struct ReimportTests {
    let v1 = """
        {"id":"bd-1","title":"Parser","status":"open","priority":2,"created_at":"2026-01-10T09:00:00Z"}
        {"id":"bd-2","title":"Lexer","status":"open","priority":2,"created_at":"2026-01-10T09:00:00Z"}
        {"id":"bd-3","title":"Docs","status":"open","priority":3,"created_at":"2026-01-10T09:00:00Z"}

        """

    @Test func sameFileTwiceChangesNothing() throws {
        var s = ProjectState(projectName: "p")
        _ = try s.applyImport(try Fixture.beads(v1), overwrite: false, ctx())
        let before = s
        let again = try s.applyImport(try Fixture.beads(v1), overwrite: false, ctx(at: t0.adding(seconds: 60)))
        #expect(s == before)
        #expect(again.count(.skipped) == 3)
        #expect(again.items.allSatisfy { $0.detail == "unchanged since the last import" })
    }

    @Test func changedRecordsUpdateTasksNotChangedHere() throws {
        var s = ProjectState(projectName: "p")
        _ = try s.applyImport(try Fixture.beads(v1), overwrite: false, ctx())
        let ids = s.tasks.values.reduce(into: [String: String]()) { $0[$1.source?.id ?? ""] = $1.id }
        // Here: the lexer is completed. There: the parser's title and the lexer's priority change.
        let later = ctx(at: t0.adding(seconds: 30))
        _ = try s.completeTask(ids["beads:bd-2"]!, commit: nil, branch: "main", note: nil, later)
        let v2 = v1.replacingOccurrences(of: "\"Parser\"", with: "\"Parser v2\"").replacingOccurrences(
            of: #""Lexer","status":"open","priority":2"#, with: #""Lexer","status":"open","priority":1"#)
        let r = try s.applyImport(try Fixture.beads(v2), overwrite: false, ctx(at: t0.adding(seconds: 60)))
        #expect(r.items.map(\.outcome) == [.updated, .refused, .skipped])
        #expect(s.tasks[ids["beads:bd-1"]!]?.title == "Parser v2")
        #expect(s.tasks[ids["beads:bd-2"]!]?.status == .done)  // kept: changed here
        #expect(s.tasks[ids["beads:bd-2"]!]?.priority == 2)
        #expect(
            r.items[1].detail?.contains("changed here since its last import; the import would change status, priority")
                == true)
        // With overwrite, the tracker's values win.
        let o = try s.applyImport(try Fixture.beads(v2), overwrite: true, ctx(at: t0.adding(seconds: 90)))
        #expect(o.items[1].outcome == .updated)
        #expect(s.tasks[ids["beads:bd-2"]!]?.status == .open)
        #expect(s.tasks[ids["beads:bd-2"]!]?.priority == 1)
        #expect(s.tasks[ids["beads:bd-2"]!]?.completion == nil)
    }

    /// A later file may name records imported before without listing them again.
    @Test func referencesToEarlierImportsResolve() throws {
        var s = ProjectState(projectName: "p")
        _ = try s.applyImport(try Fixture.beads(v1), overwrite: false, ctx())
        let more =
            #"{"id":"bd-4","title":"Tests","dependencies":[{"issue_id":"bd-4","depends_on_id":"bd-2","type":"blocks"}]}"#
            + "\n"
        let r = try s.applyImport(try Fixture.beads(more), overwrite: false, ctx(at: t0.adding(seconds: 60)))
        #expect(r.count(.added) == 1)
        #expect(s.task(from: "beads:bd-4")?.deps == [s.task(from: "beads:bd-2")!.id])
    }

    /// The same input at the same time by the same actor makes the same ids.
    @Test func idsAreDerivedFromSourceIDs() throws {
        var a = ProjectState(projectName: "p")
        var b = ProjectState(projectName: "p")
        _ = try a.applyImport(try Fixture.beads(v1), overwrite: false, ctx())
        _ = try b.applyImport(try Fixture.beads(v1), overwrite: false, ctx())
        #expect(a == b)
    }

    /// Secrets in text kept in the source block are redacted like a task's own text.
    @Test func sourceFieldsAreRedacted() throws {
        var s = ProjectState(projectName: "p")
        let old = s
        let line =
            #"{"id":"bd-1","title":"Deploy","design":"use token ghp_0123456789abcdefghijABCDEFGHIJ012345 for now"}"#
            + "\n"
        _ = try s.applyImport(try Fixture.beads(line), overwrite: false, ctx())
        let hits = s.redactChangedText(since: old)
        #expect(!hits.isEmpty)
        let design = s.task(from: "beads:bd-1")?.source?.fields?["design"]?.stringValue ?? ""
        #expect(!design.contains("ghp_0123456789"))
    }
}
