import Foundation
import GRDB
import StateModel
import Testing
import Workspace

/// The fast paths are the design, not an option: these fail when one silently stops being taken
/// (the answers would still be right, only slow), reading the counters a command keeps
/// (``Workspace/probe``, ``StateStore/wholeFileDecodes``).
@Suite struct FastPathTests {
    /// A repository with a few tasks, written by the one write path.
    func world() throws -> (TempRepo, [String]) {
        let repo = try TempRepo()
        let ws = try repo.workspace()
        _ = try ws.initialize(projectName: "fast", command: "init")
        var ids: [String] = []
        for i in 0..<6 {
            ids.append(
                try ws.addTask(NewTask(title: "task \(i)", deps: ids.isEmpty ? [] : [ids[0]]), command: "add"))
        }
        _ = try ws.readModel()
        return (repo, ids)
    }

    @Test func aMutationDecodesOnlyTheTasksItDeclares() throws {
        let (repo, ids) = try world()
        let ws = try repo.workspace()
        _ = try ws.complete(ids[0], revision: nil, note: nil, command: "complete")
        _ = try ws.startTask(ids[1], command: "start")
        _ = try ws.addTask(NewTask(title: "more", deps: [ids[2]]), command: "add")
        #expect(ws.store.wholeFileDecodes == 0, "a mutation decoded the whole state file")
        #expect(ws.probe.fullEvaluations == 0, "a mutation evaluated every task")
    }

    @Test func aReadAfterAnEditUpdatesOnlyTheRowsAroundIt() throws {
        let (repo, ids) = try world()
        _ = try repo.workspace().cancelTask(ids[0], reason: nil, command: "cancel")
        let ws = try repo.workspace()
        let model = try ws.readModel()
        #expect(try model.row(ids[1])?.ready == true)
        #expect(ws.probe.incrementalUpdates == 1 && ws.probe.fullEvaluations == 0, "\(ws.probe)")
        #expect(ws.store.wholeFileDecodes == 0)
    }

    @Test func aRepeatedReadIsServedFromTheRenderCache() throws {
        let (repo, _) = try world()
        let render: (ReadModel) throws -> [UInt8] = { Array("\($0.taskCount)".utf8) }
        let first = try repo.workspace()
        #expect(try first.cachedOutput(arguments: ["probe"], render: render) == Array("6".utf8))
        let second = try repo.workspace()
        #expect(try second.cachedOutput(arguments: ["probe"], render: render) == Array("6".utf8))
        #expect(second.probe.renderCacheHits == 1 && second.probe.models == 0, "\(second.probe)")
    }

    /// A clone where codex-state never ran has no folder for the index yet: the first read makes
    /// it, and the next reads use it.
    @Test func theFirstReadOfACloneMakesItsIndex() throws {
        let (repo, _) = try world()
        try FileManager.default.removeItem(atPath: repo.path + "/.git/codex-state")
        let first = try repo.workspace()
        _ = try first.readModel()
        #expect(first.probe.inMemoryModels == 0 && first.probe.models == 1, "\(first.probe)")
        let second = try repo.workspace()
        _ = try second.readModel()
        #expect(second.probe.fullEvaluations == 0, "\(second.probe)")
    }

    @Test func aHeldIndexIsAnsweredFromMemoryWithTheSameRows() throws {
        let (repo, ids) = try world()
        let onDisk = try repo.workspace().readModel().allRows()
        _ = try repo.workspace().complete(ids[0], revision: nil, note: nil, command: "complete")
        let after = try repo.workspace().readModel().allRows()
        #expect(after != onDisk)
        // Another process holds the index (no reader gets in): the same rows, made in memory.
        let holder = try DatabaseQueue(path: repo.path + "/.git/codex-state/index.sqlite")
        try holder.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA locking_mode = EXCLUSIVE")
            try db.execute(sql: "BEGIN EXCLUSIVE")
            try db.execute(sql: "SELECT COUNT(*) FROM meta")
            let ws = try repo.workspace()
            ws.store.indexBusyTimeout = 0.05
            let model = try ws.readModel()
            #expect(ws.probe.inMemoryModels == 1, "\(ws.probe)")
            #expect(try model.allRows() == after)
            #expect(try model.row(ids[1])?.ready == true)
            try db.execute(sql: "ROLLBACK")
        }
    }
}
