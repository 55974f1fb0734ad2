import Foundation
import GitKit
import Reports
import StateModel
import StateStore

/// One memory that may be stale, for `memories --review`.
public struct MemoryReviewItem: Sendable {
    public var stale: MemoryCheck.Stale
    public var item: MemoryItem
    public var other: MemoryItem?
    public var message: String
    public var fix: String
}

/// Only the memories' successions of a committed state file on another branch.
private struct MemorySuccessions: Decodable {
    struct Entry: Decodable {
        var supersedes: [String]?
    }
    var memories: [String: Entry]?
}

extension Workspace {
    /// How many bytes of HEAD's files the identifier search may read.
    static let identifierSearchBudget = 64 << 20

    /// What may be stale among `memories` (current ones), with the confirmations of this clone
    /// left out.
    func staleMemories(_ memories: [Memory], current: Set<String>) throws -> [MemoryCheck.Stale] {
        guard !memories.isEmpty else { return [] }
        var pathExists: [String: Bool] = [:]
        var identifiers: Set<String> = []
        var elsewhere: [(id: String, by: String, branch: String)] = []
        let head = try headRef()
        if let hex = head.commit, let commit = ObjectID(hex: hex) {
            for m in memories {
                for p in MemoryCheck.paths(m) where pathExists[p] == nil {
                    let relative = p.hasSuffix("/") ? String(p.dropLast()) : p
                    pathExists[p] = try repository.entryExists(relative, at: commit)
                }
                identifiers.formUnion(MemoryCheck.identifiers(m))
            }
            // Successors on other branches' committed state files.
            for branch in try repository.branchTips() where branch.tip != commit && branch.name != head.branch {
                let (name, tip) = (branch.name, branch.tip)
                guard let bytes = try repository.fileContents(StateFileName.relative, at: tip),
                    Self.mentionsMemories(bytes),
                    let map = try? JSONDecoder().decode(MemorySuccessions.self, from: Data(bytes)).memories
                else { continue }
                for (id, entry) in map.sorted(by: { $0.key < $1.key }) where !current.contains(id) {
                    for old in entry.supersedes ?? [] where current.contains(old) {
                        elsewhere.append((old, id, name))
                    }
                }
            }
        }
        let found =
            head.commit.flatMap(ObjectID.init(hex:)).map {
                try? repository.textsFound(
                    identifiers, at: $0, skipping: [StateFileName.directory], budget: Self.identifierSearchBudget)
            } ?? nil
        let facts = MemoryCheck.Facts(
            pathExists: pathExists, identifiersFound: found.flatMap { $0 }, supersededElsewhere: elsewhere)
        let confirmed = Set((try MemoryReviewFile(paths: paths).read()).map { "\($0.finding) \($0.hash)" })
        let byID = Dictionary(memories.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        return MemoryCheck.stale(memories, facts: facts).filter {
            !confirmed.contains(Self.findingKey($0) + " " + (byID[$0.id]?.hash ?? ""))
        }
    }

    static func findingKey(_ s: MemoryCheck.Stale) -> String { "\(s.id) \(s.code.rawValue) \(s.other ?? "-")" }

    /// `check`'s memory findings: the committed memories current at HEAD that may be stale, and,
    /// outside CI, a machine where recall is lexical only.
    func memoryCheckFindings(_ state: ProjectState, bytes: [UInt8]) throws -> [CheckFinding] {
        var out: [CheckFinding] = []
        // A state the other checks found broken (its findings say why) is not judged here.
        if let view = try? memoryView() {
            let current = state.memoryMap.values.filter { view.item($0.id)?.status == .current }
            if let stale = try? staleMemories(Array(current), current: Set(current.map(\.id))) {
                out += MemoryCheck.findings(
                    stale, memories: state.memoryMap, bytes: bytes, file: StateFileName.relative)
            }
        }
        if !inCI {
            let semantic = semanticStatus()
            if let problem = semantic.problem { out.append(MemoryCheck.semanticFinding(problem)) }
        }
        return out
    }

    /// `memories --review`: every current memory (committed and private) that may be stale,
    /// with what to do about it; confirmed ones are left out.
    public func memoryReview() throws -> [MemoryReviewItem] {
        let view = try memoryView()
        let current = view.evaluation.memories.values.filter { view.item($0.id)?.status == .current }
        let stale = try staleMemories(Array(current), current: Set(current.map(\.id)))
        return stale.compactMap { s in
            guard let item = view.item(s.id) else { return nil }
            let kind = item.memory.kind.rawValue
            return MemoryReviewItem(
                stale: s, item: item, other: s.other.flatMap(view.item), message: MemoryCheck.message(s, kind: kind),
                fix: MemoryCheck.fix(s, kind: kind))
        }
    }

    /// Confirms that a memory still holds despite what the review says about it now: every
    /// current finding about it is left out of `check` and the review in this clone until its
    /// text or the finding changes. Returns the findings confirmed.
    public func confirmMemory(_ idOrPrefix: String) throws -> [MemoryReviewItem] {
        let review = try memoryReview()
        let view = try memoryView()
        let id = try Identifiers.resolve(idOrPrefix, kind: .memory, among: view.evaluation.memories.keys)
        let mine = review.filter { $0.stale.id == id || $0.stale.other == id }
        guard !mine.isEmpty else {
            throw ModelError.invalidState("nothing to confirm: memories --review reports nothing about \(id)")
        }
        let lock = try writeLock()
        defer { withExtendedLifetime(lock) {} }
        let file = MemoryReviewFile(paths: paths)
        var confirmed = try file.read()
        let now = try self.now()
        for r in mine {
            confirmed.append(
                MemoryReviewFile.Confirmation(
                    finding: Self.findingKey(r.stale), hash: r.item.memory.hash ?? "", at: now, actor: actor))
        }
        try file.write(confirmed)
        return mine
    }
}
