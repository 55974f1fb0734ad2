import Foundation
import Testing

/// No error becomes a fact (issue 17, item 4). `try?` turns a failure into nil, and nil into an
/// answer: "this tip has no state file", "no commit names this task", "the map is empty". In the
/// code that produces what the reads show — the read model and its inputs, the write path, the
/// model, the store and the reports — every `try?` is listed here with why its nil is not taken
/// for an answer (a cache miss that is recomputed, a cache write that only costs time, a
/// display-only line, a probe whose failure is the answer "no"). A new one fails this test,
/// naming its file and line; an entry that no longer matches fails too, so the list only
/// shrinks. (The other engineers' files — Codex integration, memories, redaction rules, GitKit —
/// are audited by their owners: GitKit has its own invariant.)
@Suite struct FailedReadInvariantTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The files that produce facts, by folder (paths relative to Sources/), and those left out.
    static let folders = ["Workspace", "StateStore", "StateModel", "Reports"]
    static let excluded = [
        "Workspace/Codex/", "Workspace/Memory", "StateStore/MemoryIndex.swift", "StateStore/PrivateMemoryFile.swift",
        "StateModel/Redaction", "StateModel/MemoryText", "StateModel/MemorySynonyms",
    ]

    /// Why each nil is not an answer: (file, text on the line, reason).
    static let allowed: [(file: String, line: String, reason: String)] = [
        // Caches: a read that fails is a miss (the answer is computed again, from git or the
        // file); a write that fails only leaves the next read to compute it again.
        ("Workspace/Anchors.swift", "var settled = (try? index?.recoveries(", "a cache read: a miss walks again"),
        ("Workspace/Anchors.swift", "var facts = (try? index?.commitFacts(", "a cache read: a miss reads the commits"),
        ("Workspace/Anchors.swift", "try? index?.storeCommitFacts(", "a cache write"),
        ("Workspace/Anchors.swift", "try? index?.storeRecoveries(", "a cache write"),
        ("Workspace/Anchors.swift", "(try? index?.introducingCommits(task: id, record: record))", "a cache read"),
        ("Workspace/Anchors.swift", "try? index?.storeIntroducingCommit(", "a cache write"),
        ("Workspace/Copies.swift", "var blobs = (try? index?.tipBlobs(", "a cache read: a miss reads the tip's tree"),
        ("Workspace/Copies.swift", "try? index?.storeTipBlobs(", "a cache write (only trees that were read)"),
        ("Workspace/Copies.swift", "if let known = try? index?.fileHash(", "a cache read: a miss reads the file"),
        ("Workspace/Copies.swift", "try? index?.storeFileHash(", "a cache write"),
        (
            "Workspace/Copies.swift", "let bytes = try? index.mergedCopies(key)",
            "a cache read: a miss groups the copies"
        ),
        ("Workspace/Copies.swift", "let bytes = try? index.mergedCopies(signature)", "a cache read"),
        ("Workspace/Copies.swift", "(try? index?.copyFacts([e.key]))", "a cache read: a miss reads the copy"),
        ("Workspace/Copies.swift", "try? index?.storeCopyFacts(", "a cache write (problems only for content)"),
        ("Workspace/Copies.swift", "let last = try? index.latestUnion()", "a cache read: a miss groups every copy"),
        ("Workspace/Copies.swift", "try? index?.pruneCopyFacts(", "cache upkeep"),
        ("Workspace/Copies.swift", "try? index.storeMergedCopies(", "a cache write"),
        ("Workspace/Copies.swift", "(try? index?.contains(tips:", "a cache read: a miss walks the tips"),
        ("Workspace/Copies.swift", "try? index?.storeContains(", "a cache write"),
        ("Workspace/Copies.swift", "(try? index?.introducingCommits(task: id, record: atTip))", "a cache read"),
        ("Workspace/Copies.swift", "try? index?.storeIntroducingCommit(task: id, record: atTip", "a cache write"),
        (
            "Workspace/Copies.swift", "if let cached = try? index?.headTrailers(",
            "a cache read: a miss reads the commits"
        ),
        ("Workspace/Copies.swift", "try? index?.storeHeadTrailers(", "a cache write"),
        ("Workspace/Copies.swift", "(try? index.copyProblems(", "a cache read of problems already found"),
        (
            "Workspace/ReadModel.swift", "let hash = try? index.currentHash(stamp:",
            "a render-cache probe: a miss renders"
        ),
        ("Workspace/ReadModel.swift", "let body = try? index.rendered(", "a render-cache read: a miss renders"),
        (
            "Workspace/ReadModel.swift", "(try? index.currentHash(stamp: stamp)) == model.header.hash",
            "only caches on yes"
        ),
        ("Workspace/ReadModel.swift", "try? index.storeRendered(", "a cache write"),
        ("Workspace/Workspace.swift", "if let kept = try? index?.subject(", "a cache read: a miss reads the commit"),
        ("Workspace/Workspace.swift", "try? index?.keepSubject(", "a cache write"),
        ("Workspace/Workspace.swift", "out = (try? index.reachability(head:", "a cache read: a miss walks"),
        ("Workspace/Workspace.swift", "try? index.storeReachability(", "a cache write (settled answers only)"),
        (
            "StateStore/RemoteClaimsFile.swift",
            "guard Files.exists(path), let bytes = try? Files.read(path, limit: 64 << 20),",
            "a cache read (remote-claims.json): a miss lists the claims remote again"
        ),
        (
            "StateStore/RemoteClaimsFile.swift", "let listings = try? JSONDecoder().decode(ClaimListings.self",
            "a cache of another layout is a miss: the next listing rewrites it"
        ),
        ("StateStore/StateStore.swift", "let built = try? index.builtFrom()", "no answer rebuilds the index"),
        ("StateStore/StateStore.swift", "try? index.setStamp(", "a cache write: the next read hashes"),
        ("StateStore/StateStore.swift", "let canonical = (try? index.writtenCanonical()) == hash", "no answer checks"),
        ("StateStore/StateStore.swift", "try? index.setWrittenCanonical(", "a cache write: the next write checks"),
        ("StateStore/StateStore.swift", "_ = try? index.apply(", "the file is the truth: a stale index is rebuilt"),
        ("StateStore/StateStore.swift", "try? index.rebuild(from: state", "the file is the truth: rebuilt on read"),
        ("Workspace/Copies.swift", "if let now = try? now() { try? index?.storeHeadTrailers(", "a cache write"),
        // A failed read of git that is handled as one: the answers made without it are not kept.
        (
            "Workspace/Anchors.swift", "guard let message = try? readMessage(of: info.id) else {",
            "marks them incomplete"
        ),
        ("Workspace/Workspace.swift", "if let a = try? repository.configString(\"user.name\")", "the login name then"),
        // Fallbacks that compute the same answer another way.
        ("Workspace/Workspace.swift", "let index = try? store.openIndex()", "no index: the rows are made in memory"),
        ("Workspace/Workspace.swift", "let carried = try? carryForward(", "no carried answers: one full walk"),
        (
            "Workspace/Anchors.swift", "if let id, let paths = try? repository.changedPaths(",
            "unknown paths: all compared"
        ),
        // Probes whose failure is the answer they need, or a better message only.
        ("Workspace/Anchors.swift", "let better = try? stateIntroduction()", "a better error, else the first"),
        ("Workspace/WritePath.swift", "if let other = try? Identifiers.resolve(", "a better error, else the first"),
        ("Workspace/WritePath.swift", "let row = try? index.rows(ids: [other])", "a better error, else the first"),
        ("Workspace/Commands.swift", "guard let id = try? model.resolve(input)", "the transaction names the error"),
        ("Workspace/Workspace.swift", "guard (try? repository.operationInProgress) != false,", "warns when unsure"),
        (
            "Workspace/Workspace.swift", "(try? repository.isUnmerged(StateFileName.relative)) != false",
            "warns when unsure"
        ),
        ("StateModel/Merge.swift", "(try? resolveTask(target)) != nil", "which kind of entity a name is"),
        ("StateModel/Merge.swift", "(try? resolveMilestone(target)) != nil", "which kind of entity a name is"),
        ("StateModel/JSONValue.swift", "if let b = try? c.decode(Bool.self)", "which JSON type a value is"),
        ("StateModel/JSONValue.swift", "if let i = try? c.decode(Int64.self)", "which JSON type a value is"),
        ("StateModel/JSONValue.swift", "if let d = try? c.decode(Double.self)", "which JSON type a value is"),
        ("StateModel/JSONValue.swift", "if let s = try? c.decode(String.self)", "which JSON type a value is"),
        ("StateModel/JSONValue.swift", "if let a = try? c.decode([JSONValue].self)", "which JSON type a value is"),
        (
            "StateModel/TapeDecoder.swift", "guard let v = try? T(from: TapeValueDecoder(",
            "declined: Foundation decodes"
        ),
        (
            "StateModel/CanonicalJSON.swift", "return try? JSONDecoder().decode(type, from: Data(bytes))",
            "nil: not there"
        ),
        (
            "StateModel/CanonicalJSON.swift", "return (try? decode(bytes))?.tasks[id]",
            "a blob that never parses holds no task"
        ),
        (
            "StateModel/StateRecords.swift", "declared = Set(names.values.compactMap { try? $0.get() })",
            "resolved names"
        ),
        (
            "StateModel/Trailers.swift", "(try? remapAnchors(map, of: tasks.keys.sorted())) ?? []",
            "a whole state cannot fail"
        ),
        // Display only: a line the output shows or leaves out; nothing is decided or kept.
        (
            "Workspace/Commands.swift", "guard let model = try? readModel(), let row = try? model.row(started)",
            "a warning"
        ),
        ("Workspace/Commands.swift", "let rows = try? model.rows(ids: row.waitsOn)", "a warning"),
        ("Workspace/Commands.swift", "let info = try? repository.commit(resolved)", "a warning"),
        ("Workspace/Workspace.swift", "} else if let summary = try? repository.commit(c).summary {", "HEAD's subject"),
        (
            "Workspace/Preamble.swift", "func record(_ row: EvaluatedTask) -> TaskRecord? { try? model.record(row) }",
            "a line"
        ),
        ("Workspace/Preamble.swift", "record: { id in try? model.row(id).map(model.record) }", "relevance only"),
        ("Workspace/Preamble.swift", "dirty: try? repository.hasUncommittedChanges()", "nil shows as unknown"),
        ("Workspace/Preamble.swift", "flatMap { try? repository.commit($0).summary }", "the subject line"),
        (
            "Workspace/Preamble.swift", "(try? repository.isUnmerged(StateFileName.relative)) != false",
            "warns when unsure"
        ),
        ("Workspace/Preamble.swift", "(try? repository.branchTip(rev)) != nil", "names the branch context only"),
        ("Workspace/Preamble.swift", "private-memories=\\((try? privateMemoryFile.read().hash)", "a render key part"),
        (
            "Workspace/Preamble.swift", "private: (try? privateMemoryFile.read().memories.memories)",
            "memories of a past commit"
        ),
        ("Workspace/Preamble.swift", "((try? repository.fileNames(in: dir, at: commit))", "the last session line"),
        ("Workspace/Preamble.swift", "guard let bytes = try? repository.fileContents(dir", "the last session line"),
        (
            "Workspace/Preamble.swift", "let record = try? JSONDecoder().decode(SessionRecord.self",
            "the last session line"
        ),
        ("Workspace/Preamble.swift", "let origin = try? repository.branchOrigin(of: branch)", "the last session line"),
        ("Workspace/Sessions.swift", "let open = try? readOpenSession()", "the session line"),
        ("Workspace/Sessions.swift", "if let mine = try? endedSessions(.branch(branch)", "the last session line"),
        ("Workspace/Sessions.swift", "let origin = try? repository.branchOrigin(of: branch)", "the last session line"),
        ("Workspace/Sessions.swift", "return (try? endedSessions(.branch(origin)", "the last session line"),
        ("Workspace/Sessions.swift", "if let tip = try? repository.branchTip(b)", "a session's end commit"),
        (
            "Workspace/Sessions.swift", "guard let r = try? decoder.decode(JournalRecord.self",
            "an unreadable line is skipped"
        ),
        ("Workspace/Sessions.swift", "let built = try? index.builtFrom()", "a cache probe"),
        (
            "Workspace/Sessions.swift", "return (try? Files.read(paths.stateFile)).map(ContentHash.sha256)",
            "a session key"
        ),
        (
            "Workspace/Sessions.swift", "guard let record = try? readSessionFile(path), record.branch != branch",
            "skipped"
        ),
        (
            "Workspace/Sessions.swift", "guard (try? Files.read(archived, limit: Limits.sessionFileBytes)) == bytes",
            "an edited archive is left alone"
        ),
        (
            "Workspace/Sessions.swift", "guard let record = try? readSessionFile(path), record.branch == head.branch",
            "skipped"
        ),
        (
            "Workspace/Queries.swift", "guard case .object(let obj)? = try? JSONValue(encoding: self)",
            "a log line's field list"
        ),
        ("Workspace/Hooks.swift", "let text = (try? Files.read(path))", "hooks status: unreadable is not ours"),
        (
            "Workspace/Hooks.swift", "let text = Files.isSymlink(path) ? nil : (try? Files.read(path))",
            "not ours: chained"
        ),
        ("Workspace/Hooks.swift", "if version == HookShim.version, (try? Files.read(path)) == script", "rewritten"),
        ("Workspace/Hooks.swift", "(try? repository.configString(\"core.commentChar\"))", "git's default comment char"),
        (
            "Workspace/MergeDriver.swift", "guard let repo = try? Repository.discover(from: \".\")",
            "a note in the message"
        ),
        ("Workspace/MergeDriver.swift", "let blob = try? repo.blobID(of: baseBytes)", "a note in the message"),
        ("Workspace/MergeDriver.swift", "let held = try? repo.historyHolds(", "a note in the message"),
        // Files the store keeps tidy: a failure leaves one to the next attempt.
        ("StateStore/StateStore.swift", "try? Files.remove(paths.pendingJournalFile)", "retried by the next write"),
        (
            "StateStore/StateStore.swift", "guard let pending = try? JSONDecoder().decode(JournalRecord.self",
            "a torn pending record never reached the file"
        ),
        ("StateStore/Journal.swift", "try? decoder.decode(JournalRecord.self, from: Data($0))", "counted as bad lines"),
        ("StateStore/RewriteMap.swift", "try? decoder.decode(Line.self, from: Data($0))", "counted as bad lines"),
        ("StateStore/SessionFiles.swift", "(try? Files.move(paths.openSessionFile", "a broken file set aside"),
        ("StateStore/SessionFiles.swift", "for stale in (try? Files.list(dir))", "leftover temporaries"),
    ]

    struct Hit: CustomStringConvertible {
        var file: String
        var line: Int
        var text: String
        var description: String { "Sources/\(file):\(line): \(text)" }
    }

    static func scan() throws -> [Hit] {
        let sources = root.appendingPathComponent("Sources")
        var hits: [Hit] = []
        let files = FileManager.default.enumerator(atPath: sources.path)?.compactMap { $0 as? String } ?? []
        for relative in files.sorted() where relative.hasSuffix(".swift") {
            guard folders.contains(where: { relative.hasPrefix($0 + "/") }),
                !excluded.contains(where: { relative.hasPrefix($0) })
            else { continue }
            let text = try String(contentsOf: sources.appendingPathComponent(relative), encoding: .utf8)
            for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let line = raw.trimmingCharacters(in: .whitespaces)
                if line.hasPrefix("//") || !line.contains("try?") { continue }
                hits.append(Hit(file: relative, line: n + 1, text: line))
            }
        }
        return hits
    }

    @Test func everyTryInFactProducingCodeSaysWhyItsNilIsNoAnswer() throws {
        let hits = try Self.scan()
        #expect(!hits.isEmpty, "the scan found nothing under \(Self.root.path)")
        let unexpected = hits.filter { hit in
            !Self.allowed.contains { hit.file == $0.file && hit.text.contains($0.line) }
        }
        #expect(
            unexpected.isEmpty,
            "try? where a failed read would become an answer (handle the error, or list it here with why its nil is none):\n\(unexpected.map(\.description).joined(separator: "\n"))"
        )
        for entry in Self.allowed where !hits.contains(where: { $0.file == entry.file && $0.text.contains(entry.line) })
        {
            Issue.record("Sources/\(entry.file): the allowed \"\(entry.line)\" is gone; remove it from the list")
        }
    }
}
