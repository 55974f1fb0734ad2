import StateModel

/// The output formats of `codex-state graph`.
public enum GraphFormat: String, Sendable, CaseIterable {
    /// Mermaid `flowchart` text (GitHub, GitLab and most Markdown viewers draw it).
    case mermaid
    /// Graphviz DOT text.
    case dot
    /// SVG, drawn by Graphviz's `dot` from the DOT text (the executable runs it).
    case svg
    /// Plain text: the parent tree with dependencies, the critical paths and the ready front.
    case ascii
}

/// Renders a ``GraphModel``. Every renderer is a pure function of the model: the same state,
/// HEAD and options give the same bytes, so a picture can be committed and diffed.
public enum GraphRender {
    /// How each status is drawn: fill, border, and whether the border is dashed (a fact from
    /// another copy) or dotted (cancelled).
    public struct Style: Sendable {
        public var fill: String
        public var border: String
        public var line: Line
        public var font: String

        public enum Line: String, Sendable {
            case solid, dashed, dotted
        }
    }

    public static func style(_ s: GraphInput.Status) -> Style {
        switch s {
        case .done: return Style(fill: "#c8e6c9", border: "#2e7d32", line: .solid, font: "#1b5e20")
        case .doneElsewhere: return Style(fill: "#e8f5e9", border: "#66bb6a", line: .dashed, font: "#1b5e20")
        case .doneUnknown: return Style(fill: "#eeeeee", border: "#66bb6a", line: .dashed, font: "#424242")
        case .inProgress: return Style(fill: "#fff59d", border: "#f9a825", line: .solid, font: "#212121")
        case .inProgressElsewhere: return Style(fill: "#fff9c4", border: "#f9a825", line: .dashed, font: "#212121")
        case .stale: return Style(fill: "#ffe0b2", border: "#ef6c00", line: .solid, font: "#212121")
        case .ready: return Style(fill: "#bbdefb", border: "#1565c0", line: .solid, font: "#0d47a1")
        case .waiting: return Style(fill: "#f5f5f5", border: "#9e9e9e", line: .solid, font: "#424242")
        case .blocked: return Style(fill: "#ffcdd2", border: "#c62828", line: .solid, font: "#b71c1c")
        case .cancelled: return Style(fill: "#fafafa", border: "#bdbdbd", line: .dotted, font: "#9e9e9e")
        }
    }

    /// The colour of critical paths.
    public static let criticalColor = "#d50000"
    /// Titles are cut to this many bytes in node labels (the JSON and the HTML page keep them whole).
    public static let titleWidth = 60

    static func label(_ title: String) -> String { Inline.cut(Inline.fold(title), width: titleWidth) }

    /// `project on branch at abc1234`.
    static func heading(_ m: GraphModel) -> String {
        var s = Inline.cut(Inline.fold(m.input.project), width: 80)
        s += m.input.branch.map { " on " + Inline.cut(Inline.fold($0), width: 80) } ?? " on a detached HEAD"
        if let c = m.input.commit { s += " at " + String(c.prefix(7)) }
        return s
    }

    static func shownText(_ m: GraphModel, all: Bool) -> String {
        "\(m.nodes.count) of \(m.totalTasks) task(s)"
    }

    // MARK: - DOT

    public static func dot(_ m: GraphModel) -> String {
        var out = ""
        func line(_ s: String, _ depth: Int = 1) {
            out += String(repeating: "  ", count: depth) + s + "\n"
        }
        out += "// codex-state graph: an edge A -> B means B waits on A\n"
        out += "digraph \"codex-state\" {\n"
        line(
            "graph [rankdir=LR, fontname=\"Helvetica\", fontsize=12, labelloc=t, label=\(dotString(heading(m) + " (" + shownText(m, all: false) + ")"))];"
        )
        line("node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10];")
        line("edge [color=\"#616161\", arrowsize=0.7];")
        func node(_ id: String, _ depth: Int) {
            guard let n = m.node(id) else { return }
            let st = style(n.status)
            var styles = ["rounded", "filled"]
            if st.line != .solid { styles.append(st.line.rawValue) }
            var attrs = [
                "id=\(dotString(n.id))",
                "label=\(dotString(label(n.title) + "\n" + n.id + " · " + n.statusText + " · P\(n.priority)"))",
                "tooltip=\(dotString(Inline.cut(Inline.fold(n.title), width: 400)))",
                "style=\(dotString(styles.joined(separator: ",")))",
                "fillcolor=\(dotString(st.fill))",
                "fontcolor=\(dotString(st.font))",
            ]
            if m.onCriticalPath.contains(id) {
                attrs.append("color=\(dotString(criticalColor))")
                attrs.append("penwidth=2.5")
            } else {
                attrs.append("color=\(dotString(st.border))")
                if n.status == .ready { attrs.append("penwidth=2.5") }
            }
            line("\(dotString(id)) [\(attrs.joined(separator: ", "))];", depth)
        }
        func cluster(_ id: String, _ depth: Int) {
            guard let kids = m.children[id] else {
                node(id, depth)
                return
            }
            let title = m.node(id).map { label($0.title) } ?? id
            line("subgraph \(dotString("cluster_" + id)) {", depth)
            line(
                "label=\(dotString(title)); style=\"rounded,dashed\"; color=\"#90a4ae\"; fontname=\"Helvetica\"; fontsize=11;",
                depth + 1)
            node(id, depth + 1)
            for k in kids { cluster(k, depth + 1) }
            line("}", depth)
        }
        for r in m.roots { cluster(r, 1) }
        for e in m.edges {
            var attrs: [String] = []
            if e.kind == .child { attrs += ["style=dashed", "arrowhead=empty"] }
            if e.critical { attrs += ["color=\(dotString(criticalColor))", "penwidth=2.5"] }
            line(
                "\(dotString(e.from)) -> \(dotString(e.to))"
                    + (attrs.isEmpty ? "" : " [\(attrs.joined(separator: ", "))]") + ";")
        }
        for p in m.critical {
            line(
                "// critical path to \(Inline.fold(p.milestone.title).filter { $0 != "\n" }): \(p.tasks.joined(separator: " -> "))"
            )
        }
        // A legend of the statuses shown, in a fixed order.
        let present = GraphInput.Status.allCases.filter { m.statusCounts[$0] != nil }
        if !present.isEmpty {
            line("subgraph \"cluster_legend\" {")
            line("label=\"legend\"; style=\"rounded\"; color=\"#cfd8dc\"; fontname=\"Helvetica\"; fontsize=10;", 2)
            for s in present {
                let st = style(s)
                var styles = ["rounded", "filled"]
                if st.line != .solid { styles.append(st.line.rawValue) }
                line(
                    "\(dotString("legend_" + s.rawValue)) [label=\(dotString(legendText(s))), style=\(dotString(styles.joined(separator: ","))), fillcolor=\(dotString(st.fill)), color=\(dotString(st.border)), fontcolor=\(dotString(st.font))];",
                    2)
            }
            if !m.critical.isEmpty {
                line(
                    "\"legend_critical\" [label=\"critical path\", style=\"rounded\", color=\(dotString(criticalColor)), penwidth=2.5];",
                    2)
            }
            line("}")
        }
        out += "}\n"
        return out
    }

    static func legendText(_ s: GraphInput.Status) -> String {
        switch s {
        case .doneElsewhere: return "done@branch"
        case .doneUnknown: return "done?"
        case .inProgressElsewhere: return "in_progress@copy"
        default: return s.rawValue
        }
    }

    /// A DOT quoted string: backslashes and quotes escaped, so no escape sequence of Graphviz's
    /// (`\N`, `\G`, `\l`) or attribute can come in through a title. A line break becomes `\n`.
    static func dotString(_ s: String) -> String {
        "\"" + escaped(s, ["\\": "\\\\", "\"": "\\\"", "\n": "\\n"], droppingControls: true) + "\""
    }

    /// `s` with each scalar `table` names replaced, and C0 controls and DEL dropped when asked:
    /// the one escaper of the picture formats (DOT, Mermaid, HTML), each with its own table.
    static func escaped(_ s: String, _ table: [Unicode.Scalar: String], droppingControls: Bool) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s.unicodeScalars {
            if let r = table[ch] {
                out += r
            } else if !(droppingControls && (ch.value < 0x20 || ch.value == 0x7F)) {
                out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    // MARK: - Mermaid

    public static func mermaid(_ m: GraphModel) -> String {
        var out =
            "%% codex-state graph: " + mermaidComment(heading(m)) + " (" + shownText(m, all: false)
            + "); A --> B means B waits on A\n"
        out += "flowchart LR\n"
        func line(_ s: String, _ depth: Int = 1) {
            out += String(repeating: "  ", count: depth) + s + "\n"
        }
        func node(_ id: String, _ depth: Int) {
            guard let n = m.node(id) else { return }
            let text =
                mermaidText(label(n.title)) + "<br/>" + n.id + " · " + mermaidText(n.statusText) + " · P\(n.priority)"
            line("\(mermaidID(id))[\"\(text)\"]:::\(n.status.rawValue)", depth)
        }
        func cluster(_ id: String, _ depth: Int) {
            guard let kids = m.children[id] else {
                node(id, depth)
                return
            }
            let title = m.node(id).map { mermaidText(label($0.title)) } ?? id
            line("subgraph \("c_" + mermaidID(id))[\"\(title)\"]", depth)
            node(id, depth + 1)
            for k in kids { cluster(k, depth + 1) }
            line("end", depth)
        }
        for r in m.roots { cluster(r, 1) }
        var critical: [Int] = []
        for (i, e) in m.edges.enumerated() {
            line("\(mermaidID(e.from)) \(e.kind == .child ? "-.->" : "-->") \(mermaidID(e.to))")
            if e.critical { critical.append(i) }
        }
        for s in GraphInput.Status.allCases {
            let st = style(s)
            var def = "classDef \(s.rawValue) fill:\(st.fill),stroke:\(st.border),color:\(st.font)"
            if st.line == .dashed { def += ",stroke-dasharray:5 3" }
            if st.line == .dotted { def += ",stroke-dasharray:2 2" }
            if s == .ready { def += ",stroke-width:3px" }
            line(def)
        }
        line("classDef critical stroke:\(criticalColor),stroke-width:3px")
        let onPath = m.nodes.map(\.id).filter { m.onCriticalPath.contains($0) }
        for chunk in stride(from: 0, to: onPath.count, by: 40) {
            line(
                "class \(onPath[chunk..<min(chunk + 40, onPath.count)].map(mermaidID).joined(separator: ",")) critical")
        }
        for chunk in stride(from: 0, to: critical.count, by: 40) {
            let ids = critical[chunk..<min(chunk + 40, critical.count)].map(String.init).joined(separator: ",")
            line("linkStyle \(ids) stroke:\(criticalColor),stroke-width:3px")
        }
        return out
    }

    /// `t-3f9a2b1c0d` → `t_3f9a2b1c0d`: a Mermaid id of letters, digits and `_` only.
    static func mermaidID(_ id: String) -> String {
        String(id.map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    /// Text inside a quoted Mermaid label: quotes, angle brackets, `&` and `#` as Mermaid's
    /// entity codes, so a title cannot end the label or add markup.
    static func mermaidText(_ s: String) -> String {
        escaped(
            s, ["\"": "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;", "#": "#35;", "`": "#96;"],
            droppingControls: true)
    }

    static func mermaidComment(_ s: String) -> String {
        String(s.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.map(Character.init))
    }

    // MARK: - ASCII

    /// The parent tree, one task per line: `*` marks the ready front, `!` a task on a critical
    /// path, `<-` what a task waits on among the tasks shown.
    public static func ascii(_ m: GraphModel, hint: String?) -> String {
        var out = heading(m) + ": " + shownText(m, all: false)
        if m.hidden > 0, let hint { out += " (" + hint + ")" }
        out += "\n"
        if m.nodes.isEmpty { return out + "No tasks to draw.\n" }
        for p in m.critical {
            var name = Inline.cut(Inline.fold(p.milestone.title), width: 80)
            if let due = p.milestone.due { name += ", due " + due }
            out +=
                "Critical path to \(name) (\(p.unfinished) of \(p.total) open): "
                + p.tasks.joined(separator: " -> ") + "\n"
        }
        out += "Ready: " + (m.readyFront.isEmpty ? "none" : m.readyFront.joined(separator: ", ")) + "\n\n"
        let shown = Set(m.nodes.map(\.id))
        let statusWidth = max(8, m.nodes.map { $0.statusText.count }.max() ?? 8)
        func row(_ id: String, prefix: String, branch: String) {
            guard let n = m.node(id) else { return }
            let mark = (n.status == .ready ? "*" : " ") + (m.onCriticalPath.contains(id) ? "!" : " ")
            var s =
                mark + " " + prefix + branch + n.id + "  " + pad(n.statusText, statusWidth) + "  P\(n.priority)  "
                + Inline.cut(Inline.fold(n.title), width: 100)
            let waits = n.deps.filter { shown.contains($0) }.sorted()
            if !waits.isEmpty { s += "  <- " + waits.joined(separator: ", ") }
            out += s + "\n"
        }
        func tree(_ id: String, prefix: String, branch: String, childPrefix: String) {
            row(id, prefix: prefix, branch: branch)
            let kids = m.children[id] ?? []
            for (i, k) in kids.enumerated() {
                let last = i == kids.count - 1
                tree(
                    k, prefix: childPrefix, branch: last ? "`- " : "+- ",
                    childPrefix: childPrefix + (last ? "   " : "|  "))
            }
        }
        for r in m.roots { tree(r, prefix: "", branch: "", childPrefix: "") }
        return out
    }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }

    // MARK: - JSON

    /// The graph's data (`graph --json`; docs/cli.md has the shape).
    public static func json(_ m: GraphModel) -> JSONValue {
        let nodes: [JSONValue] = m.nodes.map { n in
            .object([
                "id": .string(n.id), "title": .string(n.title), "status": .string(n.status.rawValue),
                "status_text": .string(n.statusText), "place": .optional(n.place), "priority": .integer(n.priority),
                "parent": .optional(n.parent), "deps": .strings(n.deps), "milestone": .optional(n.milestone),
                "labels": .strings(n.labels), "ready": .bool(n.status == .ready),
                "critical": .bool(m.onCriticalPath.contains(n.id)),
            ])
        }
        let edges: [JSONValue] = m.edges.map { e in
            .object([
                "from": .string(e.from), "to": .string(e.to), "kind": .string(e.kind.rawValue),
                "critical": .bool(e.critical),
            ])
        }
        let paths: [JSONValue] = m.critical.map { p in
            .object([
                "milestone": .object([
                    "id": .string(p.milestone.id), "title": .string(p.milestone.title),
                    "due": .optional(p.milestone.due),
                ]),
                "tasks": .strings(p.tasks), "unfinished": .integer(p.unfinished), "total": .integer(p.total),
            ])
        }
        return .object([
            "head": .object([
                "project": .string(m.input.project), "branch": .optional(m.input.branch),
                "commit": .optional(m.input.commit),
            ]),
            "tasks_total": .integer(m.totalTasks), "hidden": .integer(m.hidden), "nodes": .array(nodes),
            "edges": .array(edges), "critical_paths": .array(paths), "ready_front": .strings(m.readyFront),
        ])
    }
}
