import Foundation
import GitKit
import Interchange
import Reports
import StateModel
import StateStore

/// The one adapter between the read model (``ReadModel``: the evaluated rows every view reads)
/// and the pure code of `graph`, `report --html` (Reports: ``GraphInput``, ``HTMLReportInput``)
/// and `export` (Interchange: ``ExportInput``). Everything those commands read of the state
/// comes through here, so a change of the read API is a change of this file alone.
extension Workspace {
    /// What a picture is drawn for: HEAD, or `--rev` / `--branch` (as `preamble` takes them).
    public struct PictureTarget: Sendable, Hashable {
        public var revision: String?
        public var branch: String?

        public init(revision: String? = nil, branch: String? = nil) {
            self.revision = revision
            self.branch = branch
        }
    }

    /// The read model at the target: the checked-out HEAD's, or that of the file committed at
    /// another commit, evaluated there (every copy of the state counts in both).
    struct PictureState {
        var head: HeadInfo
        var checkedOut: Bool
        var model: ReadModel
        /// Every task the read model has, by id (this worktree's and those only other copies have).
        var rows: [String: EvaluatedTask]
        /// The committed state at the target when it is not checked out.
        var committed: ProjectState?
    }

    func pictureState(_ target: PictureTarget) throws -> PictureState {
        _ = try now()
        let resolved = try preambleTarget(PreambleRequest(revision: target.revision, branch: target.branch))
        if resolved.checkedOut {
            let model = try readModel()
            return PictureState(
                head: model.head, checkedOut: true, model: model, rows: try model.allRows(), committed: nil)
        }
        let (state, _, model) = try committedModel(at: resolved.head)
        return PictureState(
            head: resolved.head, checkedOut: false, model: model, rows: try model.allRows(), committed: state)
    }

    /// The task graph at the target, for `codex-state graph`.
    public func graphInput(_ target: PictureTarget = PictureTarget()) throws -> GraphInput {
        Self.graphInput(try pictureState(target))
    }

    static func graphInput(_ s: PictureState) -> GraphInput {
        var nodes: [GraphInput.Node] = []
        nodes.reserveCapacity(s.rows.count)
        for row in s.rows.values {
            let t = row.task
            let (status, place) = pictureStatus(row)
            nodes.append(
                GraphInput.Node(
                    id: t.id, title: t.title, status: status, place: place, priority: t.priority, parent: t.parent,
                    deps: t.deps, milestone: t.milestone, labels: t.labels))
        }
        nodes.sort { $0.id < $1.id }
        var order = ProjectState(projectName: "")
        for m in s.model.header.milestones { order.milestones[m.id] = m }
        return GraphInput(
            project: s.model.header.projectName, branch: s.head.branch, commit: s.head.commit, nodes: nodes,
            milestones: order.orderedMilestones.map {
                GraphInput.MilestoneInfo(id: $0.id, title: $0.title, due: $0.due)
            })
    }

    /// A task's effective status as the pictures name it, and where, for facts of another copy.
    static func pictureStatus(_ row: EvaluatedTask) -> (GraphInput.Status, String?) {
        let elsewhere = row.elsewhere
        switch row.status {
        case .open: return (row.ready ? .ready : .waiting, nil)
        case .inProgress: return elsewhere.map { (.inProgressElsewhere, $0.place) } ?? (.inProgress, nil)
        case .blocked: return (.blocked, nil)
        case .done: return (.done, nil)
        case .doneElsewhere: return (.doneElsewhere, elsewhere?.place ?? row.task.completionBranch)
        case .doneUnknown: return (.doneUnknown, elsewhere?.place)
        case .cancelled: return (.cancelled, nil)
        case .stale: return (.stale, elsewhere?.place)
        }
    }

    /// The full records and their statuses at HEAD, for `export`.
    func exportInput() throws -> ExportInput {
        let picture = try pictureState(PictureTarget())
        let state = try store.readState().state
        var text: [String: String] = [:]
        for id in state.tasks.keys {
            guard let row = picture.rows[id] else { continue }
            let (status, place) = Self.pictureStatus(row)
            text[id] = GraphInput.Node(id: id, title: row.task.title, status: status, place: place).statusText
        }
        return ExportInput(
            project: state.project.name, branch: picture.head.branch, commit: picture.head.commit,
            tasks: state.tasks.values.sorted { $0.id < $1.id }, milestones: Array(state.milestones.values),
            goals: Array(state.goals.values), statusText: text)
    }

    /// At most this many versions of the state file are counted for the burn-down, and the
    /// history is walked at most this far back.
    static let burndownPoints = 120
    static let burndownWalk = 100_000

    /// Everything `report --html` shows, at the target.
    public func reportInput(_ target: PictureTarget = PictureTarget()) throws -> HTMLReportInput {
        let picture = try pictureState(target)
        let state = try picture.committed ?? store.readState().state
        var recovered: [String: String] = [:]
        for (id, row) in picture.rows {
            guard let a = row.recovered else { continue }
            recovered[id] = String(a.commit.prefix(7)) + " (" + a.method.rawValue + ")"
        }

        // The burn-down: the state file as each commit of the target's first-parent history held it.
        var points: [BurnPoint] = []
        var versions = 0
        if let hex = picture.head.commit, let head = ObjectID(hex: hex) {
            let history = try repository.fileHistory(StateFileName.relative, from: head, limit: Self.burndownWalk)
            versions = history.count
            for v in BurnPoint.sample(history, limit: Self.burndownPoints).reversed() {
                if let p = BurnPoint.count(
                    try repository.blob(v.blob), time: Timestamp(seconds: v.time), commit: v.commit.hex)
                {
                    points.append(p)
                }
            }
        }

        // Sessions, memories and the drift check: the checked-out HEAD's, or those committed there.
        var sessions: [SessionRecord]
        var memories: MemoryEvaluation
        var findings: [CheckFinding]?
        if picture.checkedOut {
            sessions = try self.sessions(.all).entries.map(\.record)
            let view = try memoryView()
            memories = view.evaluation
            findings = try check().findings
        } else {
            sessions = []
            if let hex = picture.head.commit, let commit = ObjectID(hex: hex) {
                let dir = StateFileName.sessions
                for name in try repository.fileNames(in: dir, at: commit).sorted()
                where SessionNaming.parse(fileName: name) != nil {
                    do {
                        guard let bytes = try repository.fileContents(dir + "/" + name, at: commit) else { continue }
                        sessions.append(try JSONDecoder().decode(SessionRecord.self, from: Data(bytes)))
                    } catch {
                        // Said, and left out of this report only (nothing is kept).
                        warnings.append(
                            "warning: \(dir)/\(name) at \(commit.short) cannot be read (\(error)); left out of the report"
                        )
                    }
                }
            }
            memories = MemoryEvaluation(
                committed: state.memoryMap, private: [:],
                head: MemoryHead(
                    branch: picture.head.branch, commit: picture.head.commit, committedIDs: Set(state.memoryMap.keys)))
        }
        // Private memories never go into a file.
        let committed = memories.memories.values.filter { !memories.privateIDs.contains($0.id) }
        var requested: [String] = []
        if let b = target.branch { requested.append("--branch " + b) }
        if let r = target.revision { requested.append("--rev " + r) }
        return HTMLReportInput(
            graph: Self.graphInput(picture), records: state.tasks, recovered: recovered, burndown: points,
            versions: versions, sessions: sessions, memories: committed, memoryStatus: memories.status,
            supersededBy: memories.supersededBy, findings: findings,
            requested: requested.isEmpty ? nil : requested.joined(separator: " "), generated: try now())
    }
}
