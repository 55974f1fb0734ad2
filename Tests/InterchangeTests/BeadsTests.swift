import Foundation
import Testing

@testable import Interchange
@testable import StateModel

@Suite struct BeadsImportTests {
    func imported() throws -> (ProjectState, ImportResult, ImportBatch) {
        let batch = try Fixture.beads(Fixture.bytes("beads.jsonl"))
        var state = ProjectState(projectName: "p")
        let result = try state.applyImport(batch, overwrite: false, ctx())
        return (state, result, batch)
    }

    @Test func statusesMapAsDocumented() throws {
        let (s, _, _) = try imported()
        func status(_ id: String) -> TaskStatus? { s.task(from: "beads:" + id)?.status }
        #expect(status("bd-1") == .open)
        #expect(status("bd-2") == .done)
        #expect(status("bd-3") == .inProgress)
        #expect(status("bd-4") == .blocked)
        #expect(status("bd-5") == .blocked)  // deferred
        #expect(status("bd-6") == .cancelled)  // tombstone
        #expect(status("bd-8") == .blocked)  // pinned
        #expect(status("bd-9") == .inProgress)  // hooked
        #expect(status("bd-10") == .cancelled)  // closed as wontfix
        #expect(s.task(from: "beads:bd-5")?.blocker == "deferred in beads")
        #expect(s.task(from: "beads:bd-5")?.source?.fields?["status"] == .string("deferred"))
        #expect(s.task(from: "beads:bd-6")?.source?.fields?["delete_reason"] == .string("superseded by bd-3"))
    }

    @Test func fieldsMapOntoTheTask() throws {
        let (s, _, _) = try imported()
        let grammar = try #require(s.task(from: "beads:bd-3"))
        let epic = try #require(s.task(from: "beads:bd-1"))
        let lexer = try #require(s.task(from: "beads:bd-2"))
        #expect(grammar.title == "Grammar")
        #expect(grammar.body == "The core grammar.")
        #expect(grammar.priority == 0)
        #expect(grammar.parent == epic.id)
        #expect(grammar.deps == [lexer.id])
        #expect(grammar.labels == ["core", "parser"])
        #expect(grammar.acceptance == ["parses the fixtures", "reports the line of an error"])
        #expect(
            grammar.notes == [
                Note(
                    at: Timestamp(iso8601: "2026-01-11T12:00:00Z")!, actor: "dave",
                    text: "Watch out for left recursion.")
            ])
        #expect(grammar.started?.actor == "carol")
        #expect(grammar.started?.at == Timestamp(iso8601: "2026-01-12T08:00:00Z"))
        #expect(grammar.created == Stamp(at: Timestamp(iso8601: "2026-01-10T09:02:00Z")!, actor: "alice"))
        let f = grammar.source?.fields ?? [:]
        #expect(f["design"] == .string("Pratt parser with a precedence table."))
        #expect(f["notes"] == .string("Started from the old grammar."))
        #expect(f["assignee"] == .string("carol"))
        #expect(f["issue_type"] == .string("feature"))
        // Offsets are applied; fractions of a second dropped.
        #expect(lexer.created.at == Timestamp(iso8601: "2026-01-10T17:01:00Z"))
        #expect(lexer.completion?.at == Timestamp(iso8601: "2026-01-11T10:00:00Z"))
        #expect(lexer.completion?.note == "shipped in v1")
        #expect(lexer.completion?.actor == "bob")
        #expect(lexer.completion?.commit == nil)
        #expect(lexer.completion?.branch == "main")
    }

    @Test func dependenciesByType() throws {
        let (s, _, batch) = try imported()
        let docs = try #require(s.task(from: "beads:bd-7"))
        let grammar = try #require(s.task(from: "beads:bd-3"))
        #expect(s.task(from: "beads:bd-4")?.links == [TaskLink(kind: "related", target: docs.id)])
        #expect(s.task(from: "beads:bd-5")?.links == [TaskLink(kind: "discovered-from", target: grammar.id)])
        // A blocker outside the tracker is kept as a link, named in a warning.
        #expect(s.task(from: "beads:bd-9")?.links == [TaskLink(kind: "blocks", target: "external:perf:baseline")])
        #expect(batch.warnings.contains { $0.contains("external:perf:baseline") })
        // The dependency on a wisp went with the wisp.
        #expect(s.task(from: "beads:bd-11")?.deps == [])
        #expect(
            batch.warnings.contains {
                $0.hasPrefix("dependencies and links to skipped records (wisps, events) left out: 1,")
            })
    }

    @Test func ephemeralAndEventRecordsAreSkippedAndCounted() throws {
        let (s, result, _) = try imported()
        #expect(s.tasks.count == 11)
        #expect(result.count(.added) == 11)
        let skipped = result.items.filter { $0.outcome == .skipped }
        #expect(skipped.map(\.source) == ["beads:bd-w1", "beads:bd-w2"])
        #expect(skipped.map(\.detail) == ["an event record", "ephemeral (a wisp)"])
    }

    @Test func unknownFieldsAreKeptAndNamed() throws {
        let (s, _, batch) = try imported()
        #expect(s.task(from: "beads:bd-7")?.source?.fields?["custom_team_field"] == .string("docs-team"))
        #expect(
            batch.warnings.contains(
                "issues.jsonl:7 (bd-7): unknown beads field 'custom_team_field' (in 1 record(s)): kept in the task's source fields"
            ))
        // Counts beads computes are not kept.
        #expect(s.task(from: "beads:bd-11")?.source?.fields?["dependency_count"] == nil)
    }

    // MARK: - Bad input: each problem one line naming the record; nothing is taken.

    let good =
        #"{"id":"bd-1","title":"A","status":"open","priority":1,"created_at":"2026-01-10T09:00:00Z","updated_at":"2026-01-10T09:00:00Z"}"#

    @Test func truncatedLastLine() {
        let text = good + "\n" + #"{"id":"bd-2","title":"B","sta"#
        #expect(
            Fixture.problems { try Fixture.beads(text) } == [
                "issues.jsonl:2: truncated: the last line ends without a newline and is not complete JSON"
            ])
    }

    @Test func brokenLineInTheMiddle() {
        let text = good + "\n{not json}\n" + good.replacingOccurrences(of: "bd-1", with: "bd-3") + "\n"
        let p = Fixture.problems { try Fixture.beads(text) }
        #expect(p.count == 1)
        #expect(p.first?.hasPrefix("issues.jsonl:2: not valid JSON") == true)
    }

    @Test func invalidUTF8() {
        var bytes = Array((good + "\n").utf8)
        bytes += Array(#"{"id":"bd-2","title":"caf"#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8) + [0x0A]
        #expect(
            Fixture.problems { try Fixture.beads(bytes) } == ["issues.jsonl:2: not valid UTF-8 (byte 26 of the line)"])
    }

    @Test func duplicateIDs() throws {
        let batch = try Fixture.beads(good + "\n" + good + "\n")
        var state = ProjectState(projectName: "p")
        #expect(throws: ImportError.self) { try state.applyImport(batch, overwrite: false, ctx()) }
        do {
            _ = try state.applyImport(batch, overwrite: false, ctx())
        } catch let e as ImportError {
            #expect(e.problems == ["issues.jsonl:2: beads:bd-1 is there twice (first at issues.jsonl:1)"])
        }
        #expect(state.tasks.isEmpty)
    }

    @Test func danglingDependency() throws {
        let text =
            #"{"id":"bd-1","title":"A","dependencies":[{"issue_id":"bd-1","depends_on_id":"bd-404","type":"blocks"}]}"#
        var state = ProjectState(projectName: "p")
        do {
            _ = try state.applyImport(try Fixture.beads(text + "\n"), overwrite: false, ctx())
            Issue.record("a dangling dependency was accepted")
        } catch let e as ImportError {
            #expect(
                e.problems == [
                    "issues.jsonl:1 (beads:bd-1): depends on beads:bd-404, which is neither in the input nor imported before"
                ])
        }
        #expect(state.tasks.isEmpty)
    }

    @Test func dependencyCycle() throws {
        let text = """
            {"id":"bd-1","title":"A","dependencies":[{"issue_id":"bd-1","depends_on_id":"bd-2","type":"blocks"}]}
            {"id":"bd-2","title":"B","dependencies":[{"issue_id":"bd-2","depends_on_id":"bd-1","type":"blocks"}]}

            """
        var state = ProjectState(projectName: "p")
        do {
            _ = try state.applyImport(try Fixture.beads(text), overwrite: false, ctx())
            Issue.record("a cycle was accepted")
        } catch let e as ImportError {
            #expect(e.problems.count == 1)
            #expect(e.problems.first?.hasPrefix("dependency cycle: beads:bd-") == true)
            #expect(
                e.problems.first?.contains("beads:bd-1 (t-") == true
                    && e.problems.first?.contains("beads:bd-2 (t-") == true)
        }
        #expect(state.tasks.isEmpty)
    }

    @Test func badFieldsNameTheRecord() {
        let text = """
            {"id":"bd-1","title":"A","priority":7}
            {"id":"bd-2","title":"","priority":1}
            {"title":"no id"}
            {"id":"bd-4","title":"D","created_at":"yesterday"}
            [1,2]

            """
        #expect(
            Fixture.problems { try Fixture.beads(text) } == [
                "issues.jsonl:1 (bd-1): priority 7 is not 0-4",
                "issues.jsonl:2 (bd-2): the issue has no title",
                "issues.jsonl:3: the issue has no \"id\"",
                "issues.jsonl:4 (bd-4): created_at \"yesterday\" is not a time",
                "issues.jsonl:5: expected a JSON object (one issue per line)",
            ])
    }
}
