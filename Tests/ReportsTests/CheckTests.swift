import Foundation
import Testing

@testable import Reports
@testable import StateModel

/// A small state, its canonical bytes, and helpers to break it.
private struct CheckFixture {
    var f = Fixture()

    init() throws {
        try f.add("a")
        try f.add("b", deps: ["a"])
        try f.add("c", deps: ["b"])
    }

    var bytes: [UInt8] { (try? StateCodec.encode(f.state)) ?? [] }
    var text: String { String(decoding: bytes, as: UTF8.self) }

    func content(
        _ reach: [String: Reachability] = [:], recovered: [String: RecoveredAnchor] = [:],
        facts: AnchorFacts = AnchorFacts(head: String(repeating: "a", count: 40))
    ) -> [CheckFinding] {
        var s: [String: TaskSummary] = [:]
        for (id, t) in f.state.tasks { s[id] = TaskSummary(t) }
        let eval = Evaluation(tasks: s, reachability: reach, recovered: recovered)
        let rows = Dictionary(uniqueKeysWithValues: eval.rows(milestoneOrder: [:]).map { ($0.id, $0) })
        return StateCheck.checkContent(f.state, bytes: bytes, rows: rows, facts: facts)
    }

    /// The 1-based line of the first line of `text` containing `needle`, after `after` lines.
    func line(of needle: String, in text: String? = nil, after: Int = 0) -> Int? {
        let lines = (text ?? self.text).split(separator: "\n", omittingEmptySubsequences: false)
        for (i, l) in lines.enumerated() where i >= after && l.contains(needle) { return i + 1 }
        return nil
    }
}

private func codes(_ findings: [CheckFinding]) -> [String] { findings.map(\.code.rawValue).sorted() }

private let sha1 = String(repeating: "1", count: 40)
private let sha2 = String(repeating: "2", count: 40)

@Suite struct CheckFileTests {
    @Test func aCanonicalFileHasNoFindings() throws {
        let x = try CheckFixture()
        let r = StateCheck.checkFile(x.bytes)
        #expect(r.state == x.f.state)
        #expect(r.findings.isEmpty)
        #expect(x.content().isEmpty)
    }

    @Test func conflictMarkersNameTheirLine() throws {
        let x = try CheckFixture()
        var lines = x.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines.insert(contentsOf: ["<<<<<<< HEAD", "=======", ">>>>>>> other"], at: 4)
        let r = StateCheck.checkFile(Array(lines.joined(separator: "\n").utf8))
        #expect(r.state == nil)
        #expect(codes(r.findings) == ["CS002"])
        #expect(r.findings.first?.line == 5)
    }

    @Test func invalidJSONPointsNearTheError() throws {
        let text = "{\n  \"schema\": 1,\n  \"tasks\": {,\n}\n"
        let r = StateCheck.checkFile(Array(text.utf8))
        #expect(r.state == nil)
        #expect(codes(r.findings) == ["CS001"])
        #expect(r.findings.first?.line == 3)
    }

    @Test func aNewerSchemaSaysUpgrade() throws {
        let x = try CheckFixture()
        let text = x.text.replacingOccurrences(of: "\"schema\": 1", with: "\"schema\": 2")
        let r = StateCheck.checkFile(Array(text.utf8))
        #expect(codes(r.findings) == ["CS003"])
        #expect(r.findings.first?.line == x.line(of: "\"schema\""))
        #expect(r.findings.first?.fix.contains("upgrade codex-state") == true)
    }

    @Test func aSchemaViolationPointsAtTheField() throws {
        let x = try CheckFixture()
        let a = x.f["a"]
        let start = try #require(x.line(of: "\"\(a)\": {"))
        let target = try #require(x.line(of: "\"priority\"", after: start))
        var lines = x.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[target - 1] = lines[target - 1].replacingOccurrences(of: "2", with: "\"high\"")
        let r = StateCheck.checkFile(Array(lines.joined(separator: "\n").utf8))
        #expect(codes(r.findings) == ["CS004"])
        #expect(r.findings.first?.line == target)
    }

    @Test func unknownFieldsAreReportedEachAndNotAsFormatting() throws {
        let x = try CheckFixture()
        let b = x.f["b"]
        var lines = x.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let at = try #require(x.line(of: "\"\(b)\": {"))
        lines.insert("      \"estimate\": 3,", at: at)
        lines.insert("  \"zeta\": true,", at: 1)
        let r = StateCheck.checkFile(Array(lines.joined(separator: "\n").utf8))
        #expect(r.state != nil)
        #expect(codes(r.findings) == ["CS005", "CS005"])
        let byPath = Dictionary(uniqueKeysWithValues: r.findings.map { ($0.message, $0.line) })
        #expect(byPath.first { $0.key.contains("'tasks.\(b).estimate'") }?.value == at + 2)
        #expect(byPath.first { $0.key.contains("'zeta'") }?.value == 2)
    }

    @Test func aDuplicatedTaskIsReportedWithBothLines() throws {
        let x = try CheckFixture()
        let a = x.f["a"]
        // What a union merge does: the task's block twice.
        let lines = x.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let start = try #require(x.line(of: "\"\(a)\": {")) - 1
        var end = start
        while lines[end] != "    }," && lines[end] != "    }" { end += 1 }
        var copy = Array(lines[start...end])
        copy[copy.count - 1] = "    },"
        var dup = lines
        dup.insert(contentsOf: copy, at: start)
        let r = StateCheck.checkFile(Array(dup.joined(separator: "\n").utf8))
        #expect(codes(r.findings) == ["CS020"])
        #expect(r.findings.first?.entity == a)
        #expect(r.findings.first?.line == end + 2)
        #expect(r.findings.first?.message.contains("lines \(start + 1) and \(end + 2)") == true)
    }

    @Test func nonCanonicalFormattingNamesTheFirstDifferingLine() throws {
        let x = try CheckFixture()
        let target = try #require(x.line(of: "\"title\": \"b\""))
        let text = x.text.replacingOccurrences(of: "\"title\": \"b\"", with: "\"title\" : \"b\"")
        let r = StateCheck.checkFile(Array(text.utf8))
        #expect(r.state == x.f.state)
        #expect(codes(r.findings) == ["CS010"])
        #expect(r.findings.first?.line == target)
        // A missing trailing newline is on the last line; an explicit null is not canonical either.
        let noNewline = StateCheck.checkFile(Array(x.bytes.dropLast()))
        #expect(noNewline.findings.first?.line == x.text.split(separator: "\n").count)
        let withNull = x.text.replacingOccurrences(of: "\"title\": \"b\",", with: "\"title\": \"b\",\n\"body\": null,")
        #expect(codes(StateCheck.checkFile(Array(withNull.utf8)).findings) == ["CS010"])
    }
}

@Suite struct CheckReferenceTests {
    @Test func danglingReferencesPointAtTheirLines() throws {
        var x = try CheckFixture()
        let (a, b, c) = (x.f["a"], x.f["b"], x.f["c"])
        x.f.state.tasks[a]?.deps = ["t-0000000000"]
        x.f.state.tasks[b]?.parent = "t-1111111111"
        x.f.state.tasks[c]?.milestone = "m-2222222222"
        x.f.state.tasks[c]?.deps = [b, b]
        let found = x.content()
        #expect(codes(found) == ["CS021", "CS022", "CS023", "CS024"])
        let dangling = try #require(found.first { $0.code == .danglingDependency })
        #expect(dangling.entity == a)
        #expect(dangling.line == x.line(of: "\"t-0000000000\""))
        #expect(dangling.fix == "codex-state task dep rm \(a) t-0000000000   (or restore task t-0000000000)")
        let dup = try #require(found.first { $0.code == .duplicateDependency })
        let cStart = try #require(x.line(of: "\"\(c)\": {"))
        let firstDep = try #require(x.line(of: "\"\(b)\"", after: cStart))
        #expect(dup.line == firstDep + 1)
    }

    @Test func eachCycleIsReportedOnce() throws {
        var x = try CheckFixture()
        try x.f.add("d")
        try x.f.add("e", deps: ["d"])
        try x.f.add("g")
        let (a, c, d, e, g) = (x.f["a"], x.f["c"], x.f["d"], x.f["e"], x.f["g"])
        x.f.state.tasks[a]?.deps = [c]  // a -> c -> b -> a
        x.f.state.tasks[d]?.deps = [e]  // d -> e -> d
        x.f.state.tasks[g]?.deps = [g]  // g -> g
        let found = x.content().filter { $0.code == .dependencyCycle }
        #expect(found.count == 3)
        let cycles = found.map { $0.message }
        for members in [[a, c], [d, e], [g]] {
            #expect(cycles.filter { m in members.allSatisfy { m.contains($0) } }.count == 1)
        }
        let loop = try #require(found.first { $0.entity == g })
        #expect(loop.message.contains("\(g) -> \(g)"))
        // The path starts at the cycle's smallest id and follows "waits on".
        let abc = [a, x.f["b"], c].sorted()
        let big = try #require(found.first { $0.entity == abc[0] })
        #expect(big.message.hasPrefix("dependency cycle: \(abc[0]) -> "))
    }

    @Test func parentCyclesOnceEach() throws {
        var x = try CheckFixture()
        let (a, b, c) = (x.f["a"], x.f["b"], x.f["c"])
        x.f.state.tasks[a]?.parent = b
        x.f.state.tasks[b]?.parent = a
        x.f.state.tasks[c]?.parent = a  // hangs off the cycle: not a cycle of its own
        let found = x.content().filter { $0.code == .parentCycle }
        #expect(found.count == 1)
        let first = min(a, b)
        #expect(found.first?.entity == first)
        #expect(found.first?.message.contains("\(first) -> \(max(a, b)) -> \(first)") == true)
    }
}

@Suite struct CheckAnchorTests {
    private func completed() throws -> CheckFixture {
        var x = try CheckFixture()
        _ = try x.f.state.completeTask(x.f["a"], commit: sha1, branch: "feature", note: nil, ctx())
        _ = try x.f.state.completeTask(x.f["b"], commit: sha2, branch: "main", note: nil, ctx())
        return x
    }

    @Test func reachableCompletionsAreClean() throws {
        let x = try completed()
        #expect(x.content([sha1: .reachable, sha2: .reachable]).isEmpty)
    }

    @Test func missingAndUnreachableCommitsAreDrift() throws {
        let x = try completed()
        let found = x.content([sha1: .unknownCommit, sha2: .unreachable])
        #expect(codes(found) == ["CS030", "CS031"])
        let dropped = try #require(found.first { $0.code == .completionNotOnHead })
        #expect(dropped.entity == x.f["b"])
        #expect(dropped.message.contains("(recorded by alice on branch main), which is not on HEAD"))
        #expect(dropped.line == x.line(of: "\"completion\"", after: try #require(x.line(of: "\"\(x.f["b"])\": {"))))
    }

    @Test func recoveredCompletionsAreWarningsNamingReanchor() throws {
        let x = try completed()
        let found = x.content(
            [sha1: .unreachable, sha2: .reachable],
            recovered: [x.f["a"]: RecoveredAnchor(method: .patchID, commit: String(repeating: "3", count: 40))])
        #expect(codes(found) == ["CS032"])
        #expect(found.first?.severity == .warning)
        #expect(found.first?.fix.contains("codex-state reanchor \(x.f["a"])") == true)
    }

    @Test func aShallowCloneWarnsOnceAndReportsNoDrift() throws {
        let x = try completed()
        let found = x.content(
            [sha1: .unknownCommit, sha2: .unreachable], facts: AnchorFacts(head: sha1, shallow: true))
        #expect(codes(found) == ["CS062"])
        #expect(found.first?.severity == .warning)
        #expect(found.first?.fix.contains("fetch-depth: 0") == true)
        #expect(found.first?.fix.contains("git fetch --unshallow") == true)
    }

    @Test func doneWithoutACompletionIsAnError() throws {
        var x = try CheckFixture()
        x.f.state.tasks[x.f["a"]]?.status = .done
        #expect(codes(x.content()) == ["CS033"])
    }

    @Test func anUnbornBranchHasNoAnchorsToJudge() throws {
        let x = try completed()
        #expect(x.content([:], facts: AnchorFacts(head: nil)).isEmpty)
    }
}

@Suite struct CheckTrailerTests {
    private func commit(_ sha: String, _ ids: [String], at: Timestamp = t0) -> TrailerCommit {
        TrailerCommit(commit: sha, summary: "work", time: at, taskIDs: ids)
    }

    @Test func aTrailerNamingAnOpenTaskIsReportedOncePerTask() throws {
        let x = try CheckFixture()
        let a = x.f["a"]
        let facts = AnchorFacts(
            head: sha1, trailerCommits: [commit(sha1, [a], at: t0.adding(seconds: 3600)), commit(sha2, [a])])
        let found = x.content(facts: facts)
        #expect(codes(found) == ["CS040"])
        #expect(found.first?.message.contains(String(sha1.prefix(7))) == true)
        #expect(found.first?.fix.contains("codex-state complete \(a) --commit 1111111") == true)
    }

    @Test func workInProgressAndLaterDecisionsAreNotDrift() throws {
        var x = try CheckFixture()
        let (a, b) = (x.f["a"], x.f["b"])
        _ = try x.f.state.startTask(b, ctx(), force: false)
        // a was changed after the commit (reopened, say): the state is the newer word.
        let facts = AnchorFacts(head: sha1, trailerCommits: [commit(sha1, [a, b], at: t0.adding(seconds: -60))])
        #expect(x.content(facts: facts).isEmpty)
    }

    @Test func aTrailerNamingAnUnknownTaskIsAWarning() throws {
        let x = try CheckFixture()
        let facts = AnchorFacts(
            head: sha1, trailerCommits: [commit(sha1, ["t-9999999999"]), commit(sha2, ["t-9999999999"])])
        let found = x.content(facts: facts)
        #expect(codes(found) == ["CS041"])
        #expect(found.first?.severity == .warning)
        #expect(found.first?.file == nil)
    }
}

@Suite struct CheckMiscTests {
    @Test func conflictRecordsOncePerEntity() throws {
        var x = try CheckFixture()
        let a = x.f["a"]
        let record = FieldConflict(
            field: "title", kept: .string("x"), other: .string("y"), winner: .ours, rule: .laterUpdate, at: t0)
        x.f.state.tasks[a]?.conflicts = [record, record]
        x.f.state.project.conflicts = [record]
        let found = x.content()
        #expect(codes(found) == ["CS050", "CS050"])
        let task = try #require(found.first { $0.entity == a })
        #expect(task.message.contains("2 unresolved merge conflict records (title)"))
        #expect(task.line == x.line(of: "\"conflicts\"", after: try #require(x.line(of: "\"\(a)\": {"))))
        #expect(task.fix.contains("codex-state task resolve \(a)"))
    }

    @Test func theMergeDriverIsACloneConcernExceptInCI() {
        let missing = MergeDriverFacts(configured: false, gitattributesLine: true, detail: "not set")
        #expect(codes(StateCheck.cloneFindings(mergeDriver: missing, inCI: false)) == ["CS060"])
        #expect(StateCheck.cloneFindings(mergeDriver: missing, inCI: true).isEmpty)
        let noLine = MergeDriverFacts(configured: false, gitattributesLine: false, detail: "not set")
        #expect(codes(StateCheck.cloneFindings(mergeDriver: noLine, inCI: true)) == ["CS061"])
        #expect(codes(StateCheck.cloneFindings(mergeDriver: noLine, inCI: false)) == ["CS061"])
    }

    @Test func strictTurnsWarningsIntoErrorsAndOrderIsStable() {
        let w = CheckFinding(.conflictRecords, file: "f", line: 9, message: "w", fix: "")
        let e = CheckFinding(.danglingDependency, file: "f", line: 3, message: "e", fix: "")
        let clone = CheckFinding(.shallowClone, file: nil, line: nil, message: "s", fix: "")
        let plain = CheckReport([w, e, clone], strict: false)
        #expect(plain.findings.map(\.message) == ["s", "e", "w"])
        #expect(plain.errors == 1 && plain.warnings == 2 && plain.failed)
        #expect(!CheckReport([w], strict: false).failed)
        let strict = CheckReport([w], strict: true)
        #expect(strict.failed && strict.findings.first?.severity == .error)
    }

    @Test func codesAreUniqueAndNamed() {
        #expect(Set(CheckCode.allCases.map(\.rawValue)).count == CheckCode.allCases.count)
        #expect(Set(CheckCode.allCases.map(\.name)).count == CheckCode.allCases.count)
    }

    @Test func linesOfPathsInOnePass() {
        let text = "{\n  \"a\": {\n    \"b\": [\n      1,\n      2\n    ]\n  },\n  \"c\": \"x\\\"y\"\n}\n"
        let found = StateCheck.lines(
            of: [[.key("a"), .key("b"), .index(1)], [.key("c")], [.key("missing")]], in: Array(text.utf8))
        #expect(found[[.key("a"), .key("b"), .index(1)]] == 5)
        #expect(found[[.key("c")]] == 8)
        #expect(found[[.key("missing")]] == nil)
    }
}

/// Issue 17, item 4: a check that could not run is a finding of its own (CS090), a warning that
/// `--strict` fails on, never an empty list. (Through the binary, with git failing:
/// `ReadFailureTests.aCheckThatCouldNotRunInFullSaysSoAndFailsStrict`.)
@Suite struct CheckNotRunTests {
    @Test func aCheckThatCouldNotRunIsAWarningStrictFailsOn() {
        let finding = StateCheck.notRun("the format check", because: "the encoder failed")
        #expect(finding.code == .checkIncomplete && finding.severity == .warning)
        #expect(finding.message == "the format check could not run: the encoder failed")
        #expect(!CheckReport([finding], strict: false).failed)
        #expect(CheckReport([finding], strict: true).failed)
    }
}
