import GitKit
import StateModel
import StateStore

extension Workspace {
    /// The output of a read command, from the index's render cache when the state file, HEAD,
    /// branch, actor, rewrite map, the other copies of the state (by content) and arguments are
    /// all the same as when it was last rendered, and no claim has expired since; otherwise
    /// rendered from a fresh view and cached.
    ///
    /// With 10,000 tasks, evaluating the graph and encoding the listing costs far more than the
    /// process itself; repeated `next`/`tasks` calls between two changes are the common case.
    ///
    /// On a miss the view is made for `selection` (``view(_:)``): `next` and `tasks` read only
    /// what they show from the index's evaluated graph. The index is opened once for all of it.
    public func cachedOutput(
        arguments: [String], select selection: ViewSelection = .everything, render: (HeadView) throws -> [UInt8]
    ) throws -> [UInt8] {
        let head = try headRef()
        guard let stamp = Files.stamp(paths.stateFile) else {
            throw explainingMissingState(StoreError.notInitialized(stateFile: paths.stateFile))
        }
        let rewrites = Files.stamp(paths.rewritesFile)?.encoded ?? "-"
        // A completion naming a commit this clone lacks changes meaning when a fetch brings the
        // commit, without HEAD or the state file changing: every fetch rewrites a FETCH_HEAD.
        let fetched = try repository.fetchStamp()
        let ctx = try readContext()
        let index = ctx.index
        let copies = ctx.listing
        let staleAfter = staleAfter().map { "\($0)" } ?? "never"
        func key(_ hash: String) -> String {
            let parts =
                [
                    "render-v3", hash, head.commit ?? "unborn", head.branch ?? "", actor, rewrites, fetched,
                    copies.signature, staleAfter,
                ] + arguments
            return ContentHash.sha256(Array(parts.joined(separator: "\u{0}").utf8))
        }
        let now = try self.now()
        if let index, let hash = try? index.currentHash(stamp: stamp),
            let body = try? index.rendered(key(hash), now: now)
        {
            // A skipped copy warns on every read, cached or not.
            noteProblems(readCopyProblems(copies, index: index))
            return body
        }
        let view: HeadView
        do {
            view = try self.view(selection, ctx)
        } catch {
            throw explainingMissingState(error)
        }
        let body = try render(view)
        // Cache only what was rendered from the file as it still is, from complete answers.
        if let index, !answersIncomplete, Files.stamp(paths.stateFile) == stamp,
            (try? index.currentHash(stamp: stamp)) == view.state.hash
        {
            try? index.storeRendered(key(view.state.hash), body, now: now, validUntil: view.evaluation.validUntil)
        }
        return body
    }
}
