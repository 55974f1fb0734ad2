/// Positions for drawing the task graph without Graphviz (the HTML report): a layered layout.
/// A task's column is the length of the longest chain of what it waits on (its dependencies and,
/// for an epic, its children), so work flows left to right; within a column tasks are ordered by
/// the mean row of what they wait on (two sweeps), siblings kept together. Linear in tasks and
/// edges, deterministic: the same graph gives the same positions.
public struct GraphLayout: Sendable, Equatable {
    /// Column and row of each task, by the order of ``GraphModel/nodes``.
    public var column: [Int]
    public var row: [Int]
    public var columns: Int
    public var rows: Int

    public init(_ m: GraphModel) {
        let n = m.nodes.count
        var index: [String: Int] = [:]
        index.reserveCapacity(n)
        for (i, node) in m.nodes.enumerated() { index[node.id] = i }
        // What each task waits on among the tasks drawn.
        var preds = [[Int]](repeating: [], count: n)
        for (i, node) in m.nodes.enumerated() {
            for d in Set(node.deps) { if let j = index[d], j != i { preds[i].append(j) } }
        }
        for (p, kids) in m.children {
            guard let pi = index[p] else { continue }
            for k in kids { if let ki = index[k], ki != pi { preds[pi].append(ki) } }
        }
        for i in 0..<n { preds[i].sort() }
        // Longest chain by depth-first search; an edge back onto the path (a cycle in a
        // hand-edited file) is ignored.
        var column = [Int](repeating: -1, count: n)
        var onPath = [Bool](repeating: false, count: n)
        for start in 0..<n where column[start] < 0 {
            var stack: [(Int, Int)] = [(start, 0)]
            onPath[start] = true
            while let (v, k) = stack.last {
                if k < preds[v].count {
                    stack[stack.count - 1].1 = k + 1
                    let u = preds[v][k]
                    if column[u] < 0 && !onPath[u] {
                        onPath[u] = true
                        stack.append((u, 0))
                    }
                } else {
                    var c = 0
                    for u in preds[v] where column[u] >= 0 { c = max(c, column[u] + 1) }
                    column[v] = c
                    onPath[v] = false
                    stack.removeLast()
                }
            }
        }
        // Tasks joined to nothing (no dependency either way, no parent or child) are set apart in
        // a block of columns after the graph, so they do not make one endless first column.
        var joined = [Bool](repeating: false, count: n)
        for i in 0..<n where !preds[i].isEmpty {
            joined[i] = true
            for u in preds[i] { joined[u] = true }
        }
        let connected = (0..<n).filter { joined[$0] }
        let loose = (0..<n).filter { !joined[$0] }
        let graphColumns = connected.isEmpty ? 0 : (connected.map { column[$0] }.max() ?? 0) + 1
        var perColumn = [Int](repeating: 0, count: graphColumns)
        for i in connected { perColumn[column[i]] += 1 }
        let height = perColumn.max() ?? 0
        let looseRows = max(height, Int(Double(loose.count * 2).squareRoot().rounded(.up)), 1)
        for (k, i) in loose.enumerated() { column[i] = graphColumns + k / looseRows }
        let columns = (column.max() ?? -1) + 1
        // Initial order: by the root cluster a task hangs from, then its parent, then id.
        var parentOf: [String: String] = [:]
        for (p, kids) in m.children { for k in kids { parentOf[k] = p } }
        func root(_ id: String) -> String {
            var r = id
            var steps = 0
            while let p = parentOf[r], steps < n {
                r = p
                steps += 1
            }
            return r
        }
        var byColumn = [[Int]](repeating: [], count: columns)
        for i in 0..<n { byColumn[column[i]].append(i) }
        let keys = m.nodes.map { (root($0.id), parentOf[$0.id] ?? "", $0.id) }
        for c in 0..<columns { byColumn[c].sort { keys[$0] < keys[$1] } }
        var row = [Int](repeating: 0, count: n)
        func number() {
            for c in 0..<columns { for (r, i) in byColumn[c].enumerated() { row[i] = r } }
        }
        number()
        // Two sweeps: each task towards the mean row of what it waits on (ties keep the order).
        for _ in 0..<2 {
            for c in 1..<max(columns, 1) {
                let weight: [Int: Double] = Dictionary(
                    uniqueKeysWithValues: byColumn[c].enumerated().map { pos, i in
                        let ps = preds[i]
                        return (
                            i, ps.isEmpty ? Double(pos) : Double(ps.map { row[$0] }.reduce(0, +)) / Double(ps.count)
                        )
                    })
                let order = byColumn[c].enumerated().sorted { a, b in
                    let (wa, wb) = (weight[a.element] ?? 0, weight[b.element] ?? 0)
                    return wa != wb ? wa < wb : a.offset < b.offset
                }.map(\.element)
                byColumn[c] = order
                for (r, i) in order.enumerated() { row[i] = r }
            }
        }
        self.column = column
        self.row = row
        self.columns = columns
        rows = byColumn.map(\.count).max() ?? 0
    }
}
