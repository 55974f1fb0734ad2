import Foundation
import Testing

@testable import Reports
@testable import StateModel

/// Memories in the preamble: every current constraint verbatim and whole, relevant decisions.
@Suite struct PreambleMemoryTests {
    static let rules = [
        "`any` is banned in TypeScript; use `unknown` and narrow it",
        "Pin boto3 to 1.26.x until the S3 multipart bug (ADR-016) is fixed\n  - see ```fenced``` notes",
        "Never commit .env files",
    ]

    static var input: PreambleInput {
        var i = PreambleFixture.full
        i.constraints = rules.enumerated().map { .init(id: "mem-00000000\($0.offset)0", text: $0.element) }
        i.decisions = [.init(id: "mem-aaaaaaaaaa", text: "Postgres 16 is the primary database", why: "JSONB")]
        i.decisionsTotal = 4
        return i
    }

    @Test func constraintsAreVerbatimInAFenceTheyCannotClose() {
        let text = String(decoding: Preamble.render(Self.input, budget: 4000, format: .markdown), as: UTF8.self)
        for rule in Self.rules { #expect(text.contains("\n" + rule + "\n")) }
        // The second rule holds a run of three backticks: its fence is four long.
        #expect(text.contains("````text\nPin boto3"))
        #expect(text.contains("## Constraints (verbatim)"))
        #expect(text.contains("- `mem-aaaaaaaaaa` \"Postgres 16 is the primary database\" · why: \"JSONB\""))
        #expect(text.contains("- 3 more decisions: `codex-state memories --kind decision`"))
    }

    @Test func jsonCarriesTheExactText() throws {
        let out = Preamble.render(Self.input, budget: 4000, format: .json)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(out)) as? [String: Any])
        let constraints = try #require(object["constraints"] as? [[String: Any]])
        #expect(constraints.compactMap { $0["text"] as? String } == Self.rules)
        #expect(object["constraints_total"] as? Int == 3 && object["decisions_total"] as? Int == 4)
        // No memories: no memory keys (the shape of a project without memories is unchanged).
        let plain = Preamble.render(PreambleFixture.full, budget: 4000, format: .json)
        #expect(!String(decoding: plain, as: UTF8.self).contains("constraints"))
    }

    /// Constraints are cut last: at every budget the docs allow, constraints that fit with the
    /// header are all there.
    @Test func constraintsAreInEveryPreambleTheyFitIn() {
        for budget in stride(from: Preamble.minimumBudget, through: 1500, by: 11) {
            for format in PreambleFormat.allCases {
                let text = String(decoding: Preamble.render(Self.input, budget: budget, format: format), as: UTF8.self)
                for rule in Self.rules {
                    var quoted: [UInt8] = []
                    JSONWriter.appendString(rule, to: &quoted)
                    let shown =
                        format == .markdown ? rule : String(decoding: quoted.dropFirst().dropLast(), as: UTF8.self)
                    #expect(text.contains(shown), "\(format) at \(budget)")
                }
            }
        }
    }

    /// Constraints longer than the budget: each is either whole or absent, and when any is
    /// absent the last line says how many and how to list them.
    static let longRules = rules.map { $0 + "\n" + String(repeating: "Keep it so, whatever the deadline. ", count: 12) }

    @Test func aConstraintIsNeverCutInTheMiddle() {
        var sawPartial = false
        var input = Self.input
        input.constraints = Self.longRules.enumerated().map { .init(id: "mem-00000000\($0.offset)0", text: $0.element) }
        for budget in stride(from: Preamble.minimumBudget, through: 1500, by: 11) {
            let text = String(decoding: Preamble.render(input, budget: budget, format: .markdown), as: UTF8.self)
            let shown = Self.longRules.filter { text.contains("\n" + $0 + "\n") }.count
            for rule in Self.longRules where !text.contains("\n" + rule + "\n") {
                let head = String(rule.prefix(20))
                #expect(!text.contains(head), "budget \(budget): a piece of a constraint")
            }
            if shown < Self.longRules.count {
                let last = text.split(separator: "\n").last.map(String.init) ?? ""
                #expect(last.contains("codex-state memories --kind constraint"), "budget \(budget): \(last)")
                if last.hasPrefix("_Left out") {
                    #expect(
                        last.contains("constraints (\(Self.longRules.count - shown) of 3)")
                            || (shown == 0 && last.contains("constraints")), "budget \(budget): \(last)")
                } else {
                    #expect(last.contains("\(Self.longRules.count - shown) constraint(s) left out"), "\(last)")
                }
                if shown > 0 { sawPartial = true }
            }
        }
        #expect(sawPartial)
    }

    @Test func decisionsLinkedToTheWorkInProgressComeFirst() {
        func m(_ id: String, _ text: String, tasks: [String] = [], paths: [String] = [], minute: Int64) -> Memory {
            Memory(
                id: id, kind: .decision, text: text, tasks: tasks, paths: paths,
                created: MemoryOrigin(at: t0.adding(seconds: minute * 60), actor: "a", branch: "main", commit: nil))
        }
        let all = [
            m("mem-1", "Newest, unrelated", minute: 9),
            m("mem-2", "Lexer tokens are interned", minute: 1),
            m("mem-3", "Linked to the task", tasks: ["t-1"], minute: 2),
            m("mem-4", "About the path", paths: ["src/lexer"], minute: 3),
        ]
        let work = MemoryRelevance.Work(taskIDs: ["t-1"], titles: ["Implement the lexer"], paths: ["src/lexer/num.rs"])
        #expect(MemoryRelevance.decisions(all, for: work).map(\.id) == ["mem-3", "mem-4", "mem-2", "mem-1"])
    }
}
