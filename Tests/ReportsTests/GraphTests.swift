import Foundation
import Testing

@testable import Reports
@testable import StateModel

/// A graph with every status, two levels of parents, two milestones, and titles that try to
/// break out of DOT and Mermaid labels.
enum GraphFixture {
    static func node(
        _ n: Int, _ title: String, _ status: GraphInput.Status, place: String? = nil, priority: Int = 2,
        parent: Int? = nil, deps: [Int] = [], milestone: String? = nil
    ) -> GraphInput.Node {
        GraphInput.Node(
            id: id(n), title: title, status: status, place: place, priority: priority, parent: parent.map(id),
            deps: deps.map(id), milestone: milestone, labels: n % 2 == 0 ? ["even"] : [])
    }

    static func id(_ n: Int) -> String { "t-" + String(format: "%010d", n) }

    static let beta = GraphInput.MilestoneInfo(id: "m-00000000b1", title: "Beta", due: "2026-03-01")
    static let gamma = GraphInput.MilestoneInfo(id: "m-00000000c1", title: "Gamma \"launch\"", due: nil)

    static var input: GraphInput {
        GraphInput(
            project: "demo", branch: "main", commit: "0123456789abcdef0123456789abcdef01234567",
            nodes: [
                node(1, "Parser epic", .waiting, priority: 1, milestone: beta.id),
                node(2, "Lexer", .done, parent: 1, milestone: beta.id),
                node(3, "Grammar \"core\" <rules> & #tags", .inProgress, parent: 1, deps: [2], milestone: beta.id),
                node(4, "Error recovery\nsecond line \\N \\G", .waiting, parent: 1, deps: [3], milestone: beta.id),
                node(5, "Docs", .ready, priority: 3, milestone: beta.id),
                node(6, "Fuzzing", .inProgressElsewhere, place: "feature/fuzz", parent: 4, milestone: beta.id),
                node(7, "Old spike", .cancelled),
                node(8, "Merged elsewhere", .doneElsewhere, place: "feature/x", milestone: gamma.id),
                node(9, "Release notes", .waiting, deps: [8, 5], milestone: gamma.id),
                node(10, "Unknown completion", .doneUnknown),
                node(11, "Stale claim", .stale, place: "dev"),
                node(12, "Blocked on legal", .blocked, priority: 0, milestone: gamma.id),
                node(13, "Benchmarks `quick`", .ready, deps: [2]),
            ], milestones: [beta, gamma])
    }
}

@Suite struct GraphModelTests {
    @Test func hidesFinishedTasksUnlessAll() {
        let m = GraphModel(GraphFixture.input)
        #expect(!m.nodes.contains { $0.id == GraphFixture.id(2) || $0.id == GraphFixture.id(7) })
        #expect(m.hidden == 2)
        #expect(GraphModel(GraphFixture.input, options: GraphOptions(all: true)).nodes.count == 13)
    }

    /// The critical path to Beta runs through the longest chain of unfinished tasks: Fuzzing
    /// (a child the error-recovery task waits on), error recovery, the parser epic that waits on
    /// it; the done lexer is not on it.
    @Test func criticalPathFollowsDependenciesAndChildren() {
        let m = GraphModel(GraphFixture.input)
        let beta = m.critical.first { $0.milestone.id == GraphFixture.beta.id }
        #expect(beta?.tasks == [3, 4, 1].map(GraphFixture.id) || beta?.tasks == [6, 4, 1].map(GraphFixture.id))
        #expect(beta?.tasks.first == GraphFixture.id(3))  // ties go to the smaller id
        #expect(beta?.unfinished == 5)
        #expect(beta?.total == 6)
        let gamma = m.critical.first { $0.milestone.id == GraphFixture.gamma.id }
        // A tie (done@feature/x is unfinished here too): the smaller id.
        #expect(gamma?.tasks == [5, 9].map(GraphFixture.id))
        #expect(m.edges.contains { $0.from == GraphFixture.id(4) && $0.to == GraphFixture.id(1) && $0.kind == .child })
    }

    @Test func milestoneSelectionKeepsWhatItWaitsOnAndParents() {
        let m = GraphModel(GraphFixture.input, options: GraphOptions(milestone: GraphFixture.gamma.id))
        #expect(Set(m.nodes.map(\.id)) == Set([5, 8, 9, 12].map(GraphFixture.id)))
        #expect(m.critical.map(\.milestone.id) == [GraphFixture.gamma.id])
    }

    @Test func readyFrontIsTheReadyTasksShown() {
        #expect(GraphModel(GraphFixture.input).readyFront == [5, 13].map(GraphFixture.id))
    }

    /// Same state, same bytes: the order the tasks come in does not matter.
    @Test func outputDoesNotDependOnInputOrder() {
        var shuffled = GraphFixture.input
        var rng = SystemRandomNumberGenerator()
        shuffled.nodes.shuffle(using: &rng)
        for format in [GraphFormat.dot, .mermaid, .ascii] {
            #expect(render(GraphModel(GraphFixture.input), format) == render(GraphModel(shuffled), format))
        }
    }

    /// A cycle (a hand-edited file) does not hang the critical path; the tasks on it are left off.
    @Test func cycleDoesNotHang() {
        let input = GraphInput(
            project: "p", branch: nil, commit: nil,
            nodes: [
                GraphFixture.node(1, "a", .waiting, deps: [2], milestone: "m-1"),
                GraphFixture.node(2, "b", .waiting, deps: [1], milestone: "m-1"),
                GraphFixture.node(3, "c", .waiting, parent: 4),
                GraphFixture.node(4, "d", .waiting, parent: 3),
            ], milestones: [GraphInput.MilestoneInfo(id: "m-1", title: "M", due: nil)])
        let m = GraphModel(input)
        #expect(m.critical.isEmpty)
        #expect(m.nodes.count == 4)
        // Every task is drawn once, the parent cycle broken at its smallest id.
        let dot = GraphRender.dot(m)
        for n in 1...4 { #expect(dot.components(separatedBy: "\"\(GraphFixture.id(n))\" [id=").count == 2) }
    }

    func render(_ m: GraphModel, _ f: GraphFormat) -> String {
        switch f {
        case .dot, .svg: return GraphRender.dot(m)
        case .mermaid: return GraphRender.mermaid(m)
        case .ascii: return GraphRender.ascii(m, hint: nil)
        }
    }
}

@Suite struct GraphGoldenTests {
    @Test func dotGolden() throws {
        try Golden.check(Array(GraphRender.dot(GraphModel(GraphFixture.input)).utf8), "graph.dot")
    }

    @Test func mermaidGolden() throws {
        try Golden.check(Array(GraphRender.mermaid(GraphModel(GraphFixture.input)).utf8), "graph.mermaid")
    }

    @Test func asciiGolden() throws {
        try Golden.check(
            Array(GraphRender.ascii(GraphModel(GraphFixture.input), hint: "finished tasks hidden").utf8), "graph.txt")
    }

    @Test func allGolden() throws {
        try Golden.check(
            Array(GraphRender.dot(GraphModel(GraphFixture.input, options: GraphOptions(all: true))).utf8),
            "graph-all.dot")
    }

    @Test func jsonGolden() throws {
        try Golden.check(GraphRender.json(GraphModel(GraphFixture.input)).json(.canonical) + [0x0A], "graph.json")
    }

    /// Titles cannot end a DOT string or a Mermaid label, or reach Graphviz's escapes.
    @Test func hostileTitlesStayInsideTheirLabels() {
        let m = GraphModel(GraphFixture.input)
        let dot = GraphRender.dot(m)
        #expect(dot.contains(#"Grammar \"core\" <rules> & #tags"#))
        #expect(dot.contains(#"\\N \\G"#))
        #expect(!dot.contains("second line\n"))
        let mermaid = GraphRender.mermaid(m)
        #expect(mermaid.contains("Grammar #quot;core#quot; #lt;rules#gt; #amp; #35;tags"))
        #expect(mermaid.contains("Benchmarks #96;quick#96;"))
        for line in mermaid.split(separator: "\n") where line.contains("[\"") {
            // One label per node line: the quotes open and close once.
            #expect(line.filter { $0 == "\"" }.count == 2, "\(line)")
        }
    }
}
