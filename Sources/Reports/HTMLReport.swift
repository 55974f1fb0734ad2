import StateModel

/// What `codex-state report --html` shows, gathered by Workspace (its one adapter file).
public struct HTMLReportInput: Sendable {
    public var graph: GraphInput
    /// Full records by id: bodies, acceptance criteria, notes, anchors.
    public var records: [String: TaskRecord]
    /// How a completion not reachable from HEAD was found on it anyway (rewritten, squashed,
    /// cherry-picked), by task: `abc1234 (patch-id)`.
    public var recovered: [String: String]
    /// Burn-down points, oldest first.
    public var burndown: [BurnPoint]
    /// Versions of the state file the history held (the burn-down samples them).
    public var versions: Int
    public var sessions: [SessionRecord]
    /// Committed memories only (private ones never go into a file).
    public var memories: [Memory]
    public var memoryStatus: [String: MemoryStatus]
    public var supersededBy: [String: [String]]
    /// The drift check's findings; nil when not run (a commit that is not checked out).
    public var findings: [CheckFinding]?
    /// `--rev X`, `--branch B`: what was asked for, shown in the header.
    public var requested: String?
    public var generated: Timestamp

    public init(
        graph: GraphInput, records: [String: TaskRecord], recovered: [String: String] = [:],
        burndown: [BurnPoint] = [], versions: Int = 0, sessions: [SessionRecord] = [], memories: [Memory] = [],
        memoryStatus: [String: MemoryStatus] = [:], supersededBy: [String: [String]] = [:],
        findings: [CheckFinding]? = nil, requested: String? = nil, generated: Timestamp
    ) {
        self.graph = graph
        self.records = records
        self.recovered = recovered
        self.burndown = burndown
        self.versions = versions
        self.sessions = sessions
        self.memories = memories
        self.memoryStatus = memoryStatus
        self.supersededBy = supersededBy
        self.findings = findings
        self.requested = requested
        self.generated = generated
    }
}

/// One static HTML page: no server, no network, every style and script inline, the data as one
/// JSON block; it works from `file://`. Pure: the same input gives the same bytes.
public enum HTMLReport {
    public static func render(_ input: HTMLReportInput) -> [UInt8] {
        let model = GraphModel(input.graph, options: GraphOptions(all: true))
        let layout = GraphLayout(model)
        var out = Array(head(input).utf8)
        // `<` never appears raw in the JSON block, so no text can close the script element.
        for b in data(input, model, layout).json(.compact) {
            if b == 0x3C { out += Array("\\u003c".utf8) } else { out.append(b) }
        }
        out += Array(tail.utf8)
        return out
    }

    static func html(_ s: String) -> String {
        GraphRender.escaped(
            s, ["&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"], droppingControls: false)
    }

    static func head(_ input: HTMLReportInput) -> String {
        let g = input.graph
        var title = g.project + " — " + (g.branch ?? "detached HEAD")
        if let c = g.commit { title += " @ " + String(c.prefix(7)) }
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="generator" content="codex-state report --html">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
            <title>\(html(title))</title>
            <style>\(css)</style>
            </head>
            <body>
            <header><h1 id="title">\(html(title))</h1><div id="subtitle"></div><div id="counts"></div></header>
            <nav><a href="#graph">Graph</a><a href="#milestones">Milestones</a><a href="#sessions">Sessions</a><a href="#memories">Memories</a><a href="#drift">Drift</a></nav>
            <section id="graph"><h2>Task graph</h2>
            <div class="toolbar"><input id="search" type="search" placeholder="Search tasks (id or title)" autocomplete="off">
            <label><input id="hide-finished" type="checkbox"> hide done and cancelled</label>
            <button id="zoom-in" type="button" title="Zoom in">+</button><button id="zoom-out" type="button" title="Zoom out">−</button><button id="fit" type="button">Fit</button>
            <span id="search-count"></span><span class="hint">drag to pan, wheel to zoom, click a task for its details</span></div>
            <div id="graph-area"><svg id="dag" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="task graph"></svg>
            <aside id="details" hidden></aside></div>
            <div id="graph-note" class="muted"></div>
            <div id="legend"></div>
            <details><summary>All tasks as a list</summary><ol id="task-index"></ol></details>
            </section>
            <section id="milestones"><h2>Milestones</h2><div id="milestone-list"></div><h3>Burn-down</h3><div id="burndown"></div></section>
            <section id="sessions"><h2>Sessions by branch</h2><div id="timeline"></div><div id="session-list"></div></section>
            <section id="memories"><h2>Memories</h2><div id="memory-list"></div></section>
            <section id="drift"><h2>Drift</h2><div id="findings"></div></section>
            <footer id="footer"></footer>
            <script type="application/json" id="report-data">
            """
    }

    static let tail = """

        </script>
        <script>\(script)</script>
        </body>
        </html>

        """

    static func stamp(_ s: Stamp) -> JSONValue { .array([.string(s.at.iso8601), .string(s.actor)]) }

    static func data(_ input: HTMLReportInput, _ m: GraphModel, _ layout: GraphLayout) -> JSONValue {
        let g = input.graph
        var index: [String: Int] = [:]
        for (i, n) in m.nodes.enumerated() { index[n.id] = i }
        var nodes: [JSONValue] = []
        for (i, n) in m.nodes.enumerated() {
            nodes.append(
                .object([
                    "id": .string(n.id), "title": .string(n.title), "status": .string(n.status.rawValue),
                    "text": .string(n.statusText), "p": .integer(n.priority), "parent": .optional(n.parent),
                    "deps": .strings(n.deps), "m": .optional(n.milestone), "labels": .strings(n.labels),
                    "x": .integer(layout.column[i]), "y": .integer(layout.row[i]),
                    "crit": .bool(m.onCriticalPath.contains(n.id)),
                ]))
        }
        var edges: [JSONValue] = []
        for e in m.edges {
            guard let a = index[e.from], let b = index[e.to] else { continue }
            edges.append(.array([.integer(a), .integer(b), .integer(e.kind == .child ? 1 : 0), .bool(e.critical)]))
        }
        // The parent of each drawn task: a light edge, so nesting shows in the picture too.
        for n in m.nodes {
            guard let p = n.parent, let a = index[n.id], let b = index[p],
                !m.edges.contains(where: { $0.kind == .child && $0.from == n.id && $0.to == p })
            else { continue }
            edges.append(.array([.integer(a), .integer(b), .integer(2), .bool(false)]))
        }
        // Sessions and memories, by the tasks they name.
        var sessionsOf: [String: [String]] = [:]
        for s in input.sessions {
            for t in Set(s.tasksStarted.map(\.id) + s.tasksCompleted.map(\.id) + s.tasksCreated.map(\.id)) {
                sessionsOf[t, default: []].append(s.id)
            }
        }
        var memoriesOf: [String: [String]] = [:]
        for mem in input.memories { for t in mem.tasks { memoriesOf[t, default: []].append(mem.id) } }
        var details: [String: JSONValue] = [:]
        for (id, t) in input.records {
            var d: [String: JSONValue] = [
                "body": .optional(t.body), "acceptance": .strings(t.acceptance),
                "notes": .array(t.notes.map { .array([.string($0.at.iso8601), .string($0.actor), .string($0.text)]) }),
                "created": stamp(t.created), "updated": stamp(t.updated), "blocker": .optional(t.blocker),
                "stored": .string(t.status.rawValue), "sessions": .strings((sessionsOf[id] ?? []).sorted()),
                "memories": .strings((memoriesOf[id] ?? []).sorted()),
            ]
            if let s = t.started {
                d["started"] = .object([
                    "at": .string(s.at.iso8601), "actor": .string(s.actor), "branch": .optional(s.branch),
                    "commit": .optional(s.commit),
                ])
            }
            if let c = t.completion {
                d["completion"] = .object([
                    "at": .string(c.at.iso8601), "actor": .string(c.actor), "branch": .optional(c.branch),
                    "commit": .optional(c.commit), "note": .optional(c.note),
                    "recovered": .optional(input.recovered[id]),
                ])
            }
            if let c = t.claim { d["claim"] = .array([.string(c.actor), .string(c.expires.iso8601)]) }
            if let s = t.source { d["source"] = .string(s.id) }
            if let l = t.links { d["links"] = .array(l.map { .array([.string($0.kind), .string($0.target)]) }) }
            details[id] = .object(d)
        }
        let milestones: [JSONValue] = g.milestones.map { ms in
            let mine = g.nodes.filter { $0.milestone == ms.id }
            return .object([
                "id": .string(ms.id), "title": .string(ms.title), "due": .optional(ms.due),
                "done": .integer(mine.filter { $0.status.isFinished }.count), "total": .integer(mine.count),
                "critical": .strings(m.critical.first { $0.milestone.id == ms.id }?.tasks ?? []),
            ])
        }
        let burndown: [JSONValue] = input.burndown.map { p in
            .object([
                "t": .string(p.time.iso8601), "c": .string(String(p.commit.prefix(7))), "total": .integer(p.total),
                "open": .integer(p.open),
                "m": .object(p.milestones.mapValues { .array([.integer($0.total), .integer($0.open)]) }),
            ])
        }
        let sessions: [JSONValue] = input.sessions.sorted { ($0.started, $0.id) < ($1.started, $1.id) }.map { s in
            .object([
                "id": .string(s.id), "branch": .optional(s.branch), "actor": .string(s.actor),
                "start": .string(s.started.iso8601), "end": .string(s.ended.iso8601), "summary": .optional(s.summary),
                "started": .strings(s.tasksStarted.map(\.id)), "completed": .strings(s.tasksCompleted.map(\.id)),
                "created": .strings(s.tasksCreated.map(\.id)), "commits": .integer(s.commits.count + s.commitsOmitted),
                "decisions": .strings(s.decisions), "follow_ups": .strings(s.followUps),
            ])
        }
        let memories: [JSONValue] = input.memories.sorted { ($0.created.at, $0.id) < ($1.created.at, $1.id) }.map {
            mem in
            .object([
                "id": .string(mem.id), "kind": .string(mem.kind.rawValue), "text": .string(mem.text),
                "why": .optional(mem.why), "status": .string(input.memoryStatus[mem.id]?.rawValue ?? "current"),
                "supersedes": .strings(mem.supersedes), "by": .strings(input.supersededBy[mem.id] ?? []),
                "tasks": .strings(mem.tasks), "paths": .strings(mem.paths), "at": .string(mem.created.at.iso8601),
                "actor": .string(mem.created.actor), "branch": .optional(mem.created.branch),
            ])
        }
        let findings: JSONValue =
            input.findings.map { list in
                .array(
                    list.map { f in
                        .object([
                            "code": .string(f.code.rawValue), "severity": .string(f.severity.rawValue),
                            "entity": .optional(f.entity), "message": .string(f.message), "fix": .string(f.fix),
                            "file": .optional(f.file), "line": f.line.map { .integer($0) } ?? .null,
                        ])
                    })
            } ?? .null
        var styles: [String: JSONValue] = [:]
        for s in GraphInput.Status.allCases {
            let st = GraphRender.style(s)
            styles[s.rawValue] = .object([
                "fill": .string(st.fill), "border": .string(st.border), "line": .string(st.line.rawValue),
                "font": .string(st.font), "label": .string(GraphRender.legendText(s)),
            ])
        }
        return .object([
            "project": .string(g.project), "branch": .optional(g.branch), "commit": .optional(g.commit),
            "requested": .optional(input.requested), "generated": .string(input.generated.iso8601),
            "styles": .object(styles), "critical_color": .string(GraphRender.criticalColor), "nodes": .array(nodes),
            "edges": .array(edges), "details": .object(details), "milestones": .array(milestones),
            "burndown": .array(burndown), "versions": .integer(input.versions), "sessions": .array(sessions),
            "memories": .array(memories), "findings": findings,
        ])
    }

    static let css = """
        *{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#212121;background:#fafafa}
        header{padding:14px 20px 8px;background:#263238;color:#eceff1}header h1{margin:0;font-size:20px;font-weight:600}
        #subtitle{font-size:12px;color:#b0bec5;margin-top:2px}#counts{margin-top:8px;display:flex;flex-wrap:wrap;gap:6px}
        .chip{font-size:12px;padding:2px 8px;border-radius:10px;border:1px solid;color:#212121}
        nav{position:sticky;top:0;z-index:5;background:#37474f;padding:6px 20px;display:flex;gap:16px}nav a{color:#eceff1;text-decoration:none;font-size:13px}
        section{padding:10px 20px 20px;border-bottom:1px solid #e0e0e0}h2{font-size:17px;margin:8px 0}h3{font-size:14px;margin:14px 0 6px}
        .toolbar{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin-bottom:6px}.toolbar input[type=search]{width:280px;padding:4px 8px;border:1px solid #b0bec5;border-radius:4px}
        .toolbar button{min-width:30px;padding:3px 8px;border:1px solid #b0bec5;background:#fff;border-radius:4px;cursor:pointer}
        .hint{color:#78909c;font-size:12px}#search-count{font-size:12px;color:#37474f}
        #graph-area{position:relative;height:68vh;min-height:380px;border:1px solid #cfd8dc;background:#fff;border-radius:4px;overflow:hidden}
        #dag{width:100%;height:100%;cursor:grab;user-select:none}#dag.panning{cursor:grabbing}
        #dag .node{cursor:pointer}#dag .node rect{stroke-width:1.2}#dag .node.ready rect{stroke-width:2.6}#dag .node.crit rect{stroke:#d50000;stroke-width:2.6}
        #dag .node text{font-size:11px;pointer-events:none}#dag .node .sub{font-size:9.5px;opacity:.8}
        #dag .edge{fill:none;stroke:#90a4ae;stroke-width:1.1}#dag .edge.crit{stroke:#d50000;stroke-width:2.4}#dag .edge.child{stroke-dasharray:4 3}#dag .edge.parent{stroke:#cfd8dc;stroke-dasharray:2 3}
        #dag .dim{opacity:.18}#dag .hit rect{stroke:#6a1b9a!important;stroke-width:3!important}#dag .selected rect{stroke:#000!important;stroke-width:3!important}
        #details{position:absolute;top:0;right:0;width:min(420px,48%);height:100%;overflow:auto;background:#fff;border-left:1px solid #cfd8dc;padding:10px 14px;box-shadow:-2px 0 6px rgba(0,0,0,.08)}
        #details h3{margin:4px 0 2px;font-size:15px}#details .close{float:right;border:none;background:none;font-size:18px;cursor:pointer}
        #details dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 10px;font-size:12.5px;margin:8px 0}#details dt{color:#607d8b}#details dd{margin:0}
        .pre{white-space:pre-wrap;word-break:break-word;background:#f5f5f5;padding:6px 8px;border-radius:4px;font-size:12.5px}
        a.task{color:#1565c0;cursor:pointer;text-decoration:underline dotted}
        #task-index{font-size:12.5px;max-height:320px;overflow:auto}#legend{display:flex;flex-wrap:wrap;gap:6px;margin-top:6px}
        .milestone{margin:6px 0 12px}.bar{height:12px;background:#eceff1;border-radius:6px;overflow:hidden;max-width:520px}.bar>div{height:100%;background:#43a047}
        svg.chart text{font-size:11px;fill:#546e7a}.lane-label{font-size:11px;fill:#37474f}
        table{border-collapse:collapse;font-size:12.5px}td,th{border-bottom:1px solid #eceff1;padding:4px 8px;text-align:left;vertical-align:top}
        .memory{margin:6px 0;padding:6px 10px;background:#fff;border:1px solid #e0e0e0;border-left:4px solid #90a4ae;border-radius:3px}
        .memory.constraint{border-left-color:#c62828}.memory.decision{border-left-color:#1565c0}.memory.superseded,.memory.forgotten,.memory.elsewhere{opacity:.6}.memory.superseded .text{text-decoration:line-through}
        .badge{font-size:11px;padding:1px 6px;border-radius:8px;background:#eceff1;margin-left:6px}.muted{color:#78909c;font-size:12px}
        footer{padding:10px 20px;color:#78909c;font-size:12px}
        """

    /// The page's behaviour. It reads the JSON block and builds the picture; every text from the
    /// state goes in through `textContent` or the `esc` function, never as markup.
    static let script = #"""
        "use strict";
        (function(){
        const D = JSON.parse(document.getElementById("report-data").textContent);
        const $ = (id) => document.getElementById(id);
        const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({"&":"&amp;","<":"&lt;",">":"&gt;","\"":"&quot;","'":"&#39;"})[c]);
        const el = (tag, attrs, ...kids) => { const e = document.createElement(tag); for (const k in (attrs||{})) { if (k === "text") e.textContent = attrs[k]; else if (k === "cls") e.className = attrs[k]; else e.setAttribute(k, attrs[k]); } for (const c of kids) if (c != null) e.append(c); return e; };
        const byId = new Map(D.nodes.map((n, i) => [n.id, i]));
        const finished = (s) => s === "done" || s === "cancelled";
        const W = 230, H = 46, GX = 90, GY = 14;
        const short = (s, n) => s.length > n ? s.slice(0, n - 1) + "…" : s;

        // Header.
        $("subtitle").textContent = (D.requested ? D.requested + " · " : "") + (D.commit ? "HEAD " + D.commit.slice(0, 12) + " · " : "") + "generated " + D.generated + " by codex-state";
        const counts = {};
        for (const n of D.nodes) counts[n.status] = (counts[n.status] || 0) + 1;
        for (const s of Object.keys(D.styles)) {
          const st = D.styles[s];
          const chip = el("span", {cls: "chip", "data-status": s, text: st.label + " " + (counts[s] || 0)});
          chip.style.background = st.fill; chip.style.borderColor = st.border;
          $("legend").append(chip.cloneNode(true));
          if (counts[s]) $("counts").append(chip);
        }

        // The graph. Only what the view shows is in the DOM (a 10k-task graph would take seconds
        // to paint): the tasks in the visible columns and rows and the edges touching them,
        // drawn as markup (every text escaped) whenever the view settles. Zoomed far out, tasks
        // are bare boxes; with thousands in view, only critical edges are drawn.
        const svg = $("dag");
        svg.innerHTML = '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#90a4ae"/></marker><marker id="arrow-crit" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="' + D.critical_color + '"/></marker></defs><g id="viewport"><g id="edges"></g><g id="nodes"></g></g>';
        const viewport = $("viewport"), edgeLayer = $("edges"), nodeLayer = $("nodes");
        const columns = [];
        D.nodes.forEach((n, i) => { (columns[n.x] = columns[n.x] || []).push(i); });
        for (const c of columns) if (c) c.sort((a, b) => D.nodes[a].y - D.nodes[b].y);
        const edgesOf = D.nodes.map(() => []);
        D.edges.forEach((e, i) => { edgesOf[e[0]].push(i); edgesOf[e[1]].push(i); });
        const index = $("task-index");
        index.innerHTML = D.nodes.map((n) => '<li data-id="' + esc(n.id) + '" data-status="' + esc(n.status) + '">' + esc(n.id + " · " + n.text + " · " + n.title) + '</li>').join("");
        let view = {x: 0, y: 0, k: 1};
        let hitSet = new Set(), query = "", selectedId = null, hideFinished = false;
        const shown = () => {
          const r = svg.getBoundingClientRect(), mx = r.width * 0.5, my = r.height * 0.5;
          const x0 = (-view.x - mx) / view.k, x1 = (r.width - view.x + mx) / view.k, y0 = (-view.y - my) / view.k, y1 = (r.height - view.y + my) / view.k;
          const c0 = Math.max(0, Math.floor(x0 / (W + GX))), c1 = Math.min(columns.length - 1, Math.floor(x1 / (W + GX)));
          const r0 = Math.floor(y0 / (H + GY)), r1 = Math.floor(y1 / (H + GY));
          const out = [];
          for (let c = c0; c <= c1; c++) {
            const col = columns[c]; if (!col) continue;
            let lo = 0, hi = col.length;
            while (lo < hi) { const m = (lo + hi) >> 1; if (D.nodes[col[m]].y < r0) lo = m + 1; else hi = m; }
            for (let k = lo; k < col.length && D.nodes[col[k]].y <= r1; k++) out.push(col[k]);
          }
          return out;
        };
        const draw = () => {
          viewport.setAttribute("transform", "translate(" + view.x + "," + view.y + ") scale(" + view.k + ")");
          const visible = shown().filter((i) => !(hideFinished && finished(D.nodes[i].status)));
          const bare = view.k < 0.4 || visible.length > 1500, crowd = visible.length > 2500;
          const nodes = [], edges = [], seen = new Set();
          for (const i of visible) {
            const n = D.nodes[i], st = D.styles[n.status], x = n.x * (W + GX), y = n.y * (H + GY);
            const dash = st.line === "dashed" ? ' stroke-dasharray="5 3"' : st.line === "dotted" ? ' stroke-dasharray="2 2"' : '';
            const cls = "node " + n.status + (n.status === "ready" ? " ready" : "") + (n.crit ? " crit" : "") + (finished(n.status) ? " finished" : "") + (hitSet.has(n.id) ? " hit" : query && !bare ? " dim" : "") + (n.id === selectedId ? " selected" : "");
            let g = '<g class="' + cls + '" data-id="' + esc(n.id) + '" data-status="' + esc(n.status) + '" transform="translate(' + x + ',' + y + ')">';
            g += '<rect width="' + W + '" height="' + H + '" rx="7" fill="' + st.fill + '" stroke="' + st.border + '"' + dash + '/>';
            if (!bare) g += '<title>' + esc(n.id + " · " + n.text + " · " + n.title) + '</title><text x="8" y="18" fill="' + st.font + '">' + esc(short(n.title, 34)) + '</text><text class="sub" x="8" y="35" fill="' + st.font + '">' + esc(n.id + " · " + short(n.text, 22) + " · P" + n.p) + '</text>';
            nodes.push(g + '</g>');
            for (const ei of edgesOf[i]) {
              if (seen.has(ei)) continue; seen.add(ei);
              const [a, b, kind, crit] = D.edges[ei], s2 = D.nodes[a], t = D.nodes[b];
              if (crowd && !crit) continue;
              if (hideFinished && (finished(s2.status) || finished(t.status))) continue;
              const x1 = s2.x * (W + GX) + W, y1 = s2.y * (H + GY) + H / 2, x2 = t.x * (W + GX), y2 = t.y * (H + GY) + H / 2, dx = Math.max(30, (x2 - x1) / 2);
              const ecls = "edge" + (crit ? " crit" : "") + (kind === 1 ? " child" : "") + (kind === 2 ? " parent" : "");
              edges.push('<path class="' + ecls + '" d="M' + x1 + ',' + y1 + 'C' + (x1 + dx) + ',' + y1 + ' ' + (x2 - dx) + ',' + y2 + ' ' + x2 + ',' + y2 + '"' + (kind === 2 ? '' : ' marker-end="url(#' + (crit ? 'arrow-crit' : 'arrow') + ')"') + '/>');
            }
          }
          edgeLayer.innerHTML = edges.join(""); nodeLayer.innerHTML = nodes.join("");
          $("graph-note").textContent = crowd ? visible.length + " tasks in view: zoom in to see their edges and titles" : bare ? "zoom in to read the titles" : "";
        };
        let pending = false;
        const apply = () => { if (pending) return; pending = true; requestAnimationFrame(() => { pending = false; draw(); }); };

        // Pan and zoom.
        const fit = () => {
          const w = columns.length * (W + GX), h = Math.max(1, ...columns.map((c) => c ? c.length : 0)) * (H + GY), r = svg.getBoundingClientRect();
          view.k = Math.min(1.2, Math.max(0.02, Math.min((r.width - 20) / w, (r.height - 20) / h)));
          view.x = 10; view.y = 10; apply();
        };
        const zoom = (f, cx, cy) => { const k = Math.min(4, Math.max(0.02, view.k * f)); view.x = cx - (cx - view.x) * k / view.k; view.y = cy - (cy - view.y) * k / view.k; view.k = k; apply(); };
        svg.addEventListener("wheel", (e) => { e.preventDefault(); const r = svg.getBoundingClientRect(); zoom(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX - r.left, e.clientY - r.top); }, {passive: false});
        let drag = null;
        svg.addEventListener("mousedown", (e) => { if (e.target.closest(".node")) return; drag = {x: e.clientX - view.x, y: e.clientY - view.y}; svg.classList.add("panning"); });
        window.addEventListener("mousemove", (e) => { if (!drag) return; view.x = e.clientX - drag.x; view.y = e.clientY - drag.y; apply(); });
        window.addEventListener("mouseup", () => { drag = null; svg.classList.remove("panning"); });
        $("zoom-in").onclick = () => { const r = svg.getBoundingClientRect(); zoom(1.25, r.width / 2, r.height / 2); };
        $("zoom-out").onclick = () => { const r = svg.getBoundingClientRect(); zoom(1 / 1.25, r.width / 2, r.height / 2); };
        $("fit").onclick = fit;
        const center = (i) => { const n = D.nodes[i], r = svg.getBoundingClientRect(); view.k = Math.max(view.k, 0.8); view.x = r.width / 2 - (n.x * (W + GX) + W / 2) * view.k; view.y = r.height / 2 - (n.y * (H + GY) + H / 2) * view.k; apply(); };
        $("hide-finished").onchange = (e) => { hideFinished = e.target.checked; apply(); };

        // Search.
        let hits = [];
        $("search").addEventListener("input", (e) => {
          query = e.target.value.trim().toLowerCase();
          hits = query === "" ? [] : D.nodes.filter((n) => n.id.includes(query) || n.title.toLowerCase().includes(query)).map((n) => n.id);
          hitSet = new Set(hits);
          $("search-count").textContent = query === "" ? "" : hits.length + " match" + (hits.length === 1 ? "" : "es");
          apply();
        });
        $("search").addEventListener("keydown", (e) => { if (e.key === "Enter" && hits.length) { show(hits[0]); center(byId.get(hits[0])); } });

        // Details.
        const taskLink = (id) => { const a = el("a", {cls: "task", text: id}); a.onclick = () => { if (byId.has(id)) { show(id); center(byId.get(id)); location.hash = "#graph"; } }; return a; };
        const links = (ids) => { const s = el("span"); ids.forEach((id, i) => { if (i) s.append(", "); s.append(taskLink(id)); }); if (!ids.length) s.append("—"); return s; };
        const show = (id) => {
          const i = byId.get(id), n = D.nodes[i], d = D.details[id] || {};
          selectedId = id; apply();
          const box = $("details"); box.replaceChildren(); box.hidden = false; box.setAttribute("data-task", id);
          const close = el("button", {cls: "close", type: "button", title: "Close", text: "×"}); close.onclick = () => { box.hidden = true; selectedId = null; apply(); };
          box.append(close, el("h3", {text: n.title}), el("div", {cls: "muted", text: n.id + " · " + n.text + " · P" + n.p}));
          const dl = el("dl");
          const row = (k, v) => { if (v == null || v === "") return; dl.append(el("dt", {text: k}), el("dd", {}, typeof v === "string" ? document.createTextNode(v) : v)); };
          const ms = D.milestones.find((m) => m.id === n.m);
          row("milestone", ms ? ms.title + (ms.due ? " (due " + ms.due + ")" : "") : null);
          row("labels", n.labels.join(", "));
          if (n.parent) row("parent", taskLink(n.parent));
          const kids = D.nodes.filter((k) => k.parent === id).map((k) => k.id);
          if (kids.length) row("children", links(kids));
          row("waits on", links(n.deps));
          row("needed by", links(D.nodes.filter((k) => k.deps.includes(id)).map((k) => k.id)));
          if (d.created) row("created", d.created[0] + " by " + d.created[1]);
          if (d.started) row("started", d.started.at + " by " + d.started.actor + (d.started.branch ? " on " + d.started.branch : "") + (d.started.commit ? " at " + d.started.commit.slice(0, 7) : ""));
          if (d.completion) row("completed", d.completion.at + " by " + d.completion.actor + (d.completion.branch ? " on " + d.completion.branch : "") + (d.completion.commit ? ", anchored at " + d.completion.commit.slice(0, 7) : ", anchored by the commit that records it") + (d.completion.recovered ? "; found on HEAD as " + d.completion.recovered : "") + (d.completion.note ? " — " + d.completion.note : ""));
          if (d.claim) row("claim", d.claim[0] + " until " + d.claim[1]);
          row("blocker", d.blocker);
          row("source", d.source);
          if (d.links) { const s = el("span"); d.links.forEach(([k, t], j) => { if (j) s.append(", "); s.append(k + " "); s.append(byId.has(t) ? taskLink(t) : document.createTextNode(t)); }); row("links", s); }
          box.append(dl);
          if (d.body) box.append(el("h4", {text: "Description"}), el("div", {cls: "pre", text: d.body}));
          if (d.acceptance && d.acceptance.length) { const ul = el("ul"); for (const a of d.acceptance) ul.append(el("li", {text: a})); box.append(el("h4", {text: "Acceptance"}), ul); }
          if (d.notes && d.notes.length) { const ul = el("ul"); for (const [at, who, text] of d.notes) ul.append(el("li", {}, el("span", {cls: "muted", text: at + " " + who + ": "}), el("span", {cls: "pre", text: text}))); box.append(el("h4", {text: "Notes"}), ul); }
          const sess = (d.sessions || []).map((sid) => D.sessions.find((s) => s.id === sid)).filter(Boolean);
          if (sess.length) { const ul = el("ul"); for (const s of sess) ul.append(el("li", {text: s.start + " " + (s.branch || "detached") + " · " + s.actor + (s.summary ? " — " + s.summary : "")})); box.append(el("h4", {text: "Sessions"}), ul); }
          const mems = (d.memories || []).map((mid) => D.memories.find((m) => m.id === mid)).filter(Boolean);
          if (mems.length) { const ul = el("ul"); for (const m of mems) ul.append(el("li", {text: m.kind + " (" + m.status + "): " + m.text})); box.append(el("h4", {text: "Memories"}), ul); }
        };
        svg.addEventListener("click", (e) => { const g = e.target.closest(".node"); if (g) show(g.getAttribute("data-id")); });

        // Milestones and burn-down.
        const ml = $("milestone-list");
        if (!D.milestones.length) ml.append(el("p", {cls: "muted", text: "No milestones."}));
        for (const m of D.milestones) {
          const pct = m.total ? Math.round(100 * m.done / m.total) : 0;
          const bar = el("div", {cls: "bar"}, el("div")); bar.firstChild.style.width = pct + "%";
          const box = el("div", {cls: "milestone", "data-milestone": m.id}, el("strong", {text: m.title}), el("span", {cls: "muted", text: "  " + (m.due ? "due " + m.due + " · " : "") + m.done + " of " + m.total + " finished (" + pct + "%)"}), bar);
          if (m.critical.length) { const p = el("div", {cls: "muted"}, "critical path: "); m.critical.forEach((id, i) => { if (i) p.append(" → "); p.append(taskLink(id)); }); box.append(p); }
          ml.append(box);
        }
        const chart = (points, w, h) => {
          const ns = "http://www.w3.org/2000/svg", s = document.createElementNS(ns, "svg");
          s.setAttribute("class", "chart"); s.setAttribute("width", w); s.setAttribute("height", h); s.setAttribute("id", "burndown-chart");
          if (points.length === 0) return s;
          const t0 = Date.parse(points[0].t), t1 = Math.max(t0 + 1, Date.parse(points[points.length - 1].t));
          const max = Math.max(1, ...points.map((p) => p.total));
          const X = (t) => 40 + (w - 60) * (Date.parse(t) - t0) / (t1 - t0), Y = (v) => h - 24 - (h - 40) * v / max;
          const line = (key, color) => { const pl = document.createElementNS(ns, "polyline"); pl.setAttribute("fill", "none"); pl.setAttribute("stroke", color); pl.setAttribute("stroke-width", "2"); pl.setAttribute("class", "series-" + key); pl.setAttribute("points", points.map((p) => X(p.t) + "," + Y(p[key])).join(" ")); s.append(pl); };
          line("total", "#90a4ae"); line("open", "#d50000");
          for (const p of points) { const c = document.createElementNS(ns, "circle"); c.setAttribute("cx", X(p.t)); c.setAttribute("cy", Y(p.open)); c.setAttribute("r", 2.5); c.setAttribute("fill", "#d50000"); const tt = document.createElementNS(ns, "title"); tt.textContent = p.t + " " + p.c + ": " + p.open + " open of " + p.total; c.append(tt); s.append(c); }
          const label = (x, y, text, anchor) => { const t = document.createElementNS(ns, "text"); t.setAttribute("x", x); t.setAttribute("y", y); if (anchor) t.setAttribute("text-anchor", anchor); t.textContent = text; s.append(t); };
          label(40, h - 6, points[0].t.slice(0, 10)); label(w - 20, h - 6, points[points.length - 1].t.slice(0, 10), "end"); label(4, Y(max) + 4, String(max)); label(4, Y(0), "0");
          label(w - 20, 14, "— open (red), all tasks (grey)", "end");
          return s;
        };
        $("burndown").append(D.burndown.length ? chart(D.burndown, 720, 220) : el("p", {cls: "muted", text: "No history of the state file on this branch yet."}));
        if (D.burndown.length) $("burndown").append(el("p", {cls: "muted", text: D.burndown.length + " of " + D.versions + " committed version(s) of the state file, by commit time."}));

        // Sessions: one lane per branch.
        const sessions = D.sessions, tl = $("timeline");
        if (!sessions.length) tl.append(el("p", {cls: "muted", text: "No sessions recorded."}));
        else {
          const ns = "http://www.w3.org/2000/svg", lanes = [...new Set(sessions.map((s) => s.branch || "(detached)"))].sort();
          const t0 = Math.min(...sessions.map((s) => Date.parse(s.start))), t1 = Math.max(t0 + 1, ...sessions.map((s) => Date.parse(s.end)));
          const w = 900, lh = 26, s = document.createElementNS(ns, "svg");
          s.setAttribute("class", "chart"); s.setAttribute("width", w); s.setAttribute("height", lanes.length * lh + 24); s.setAttribute("id", "session-timeline");
          lanes.forEach((b, i) => { const t = document.createElementNS(ns, "text"); t.setAttribute("x", 0); t.setAttribute("y", i * lh + 17); t.setAttribute("class", "lane-label"); t.textContent = short(b, 22); s.append(t); });
          for (const x of sessions) {
            const i = lanes.indexOf(x.branch || "(detached)"), a = 160 + (w - 170) * (Date.parse(x.start) - t0) / (t1 - t0), b = 160 + (w - 170) * (Date.parse(x.end) - t0) / (t1 - t0);
            const r = document.createElementNS(ns, "rect"); r.setAttribute("x", a); r.setAttribute("y", i * lh + 5); r.setAttribute("width", Math.max(3, b - a)); r.setAttribute("height", lh - 10); r.setAttribute("rx", 3); r.setAttribute("fill", x.completed.length ? "#43a047" : "#1e88e5"); r.setAttribute("class", "session"); r.setAttribute("data-session", x.id);
            const tt = document.createElementNS(ns, "title"); tt.textContent = x.start + " → " + x.end + " · " + x.actor + (x.summary ? " — " + x.summary : ""); r.append(tt); s.append(r);
          }
          tl.append(s);
          const table = el("table", {}, el("tr", {}, el("th", {text: "started"}), el("th", {text: "branch"}), el("th", {text: "actor"}), el("th", {text: "summary"}), el("th", {text: "tasks"}), el("th", {text: "commits"})));
          for (const x of sessions.slice().reverse()) {
            const tasks = el("span"); [...x.completed.map((t) => ["✓", t]), ...x.started.map((t) => ["▶", t])].forEach(([m, t], i) => { if (i) tasks.append(" "); tasks.append(m + " "); tasks.append(taskLink(t)); });
            table.append(el("tr", {}, el("td", {text: x.start}), el("td", {text: x.branch || "(detached)"}), el("td", {text: x.actor}), el("td", {text: x.summary || ""}), el("td", {}, tasks), el("td", {text: String(x.commits)})));
          }
          $("session-list").append(table);
        }

        // Memories by kind, superseded ones with what replaced them.
        const mlist = $("memory-list");
        if (!D.memories.length) mlist.append(el("p", {cls: "muted", text: "No memories."}));
        for (const kind of ["constraint", "decision", "note"]) {
          const mine = D.memories.filter((m) => m.kind === kind);
          if (!mine.length) continue;
          mlist.append(el("h3", {text: kind + "s (" + mine.length + ")"}));
          for (const m of mine) {
            const box = el("div", {cls: "memory " + kind + " " + m.status, "data-memory": m.id, id: "memory-" + m.id}, el("div", {cls: "text pre", text: m.status === "forgotten" ? "(forgotten)" : m.text}));
            const meta = el("div", {cls: "muted", text: m.id + " · " + m.at + " by " + m.actor + (m.branch ? " on " + m.branch : "")}, el("span", {cls: "badge", text: m.status}));
            if (m.why) box.append(el("div", {cls: "muted", text: "why: " + m.why}));
            if (m.by.length) meta.append(" · superseded by " + m.by.join(", "));
            if (m.supersedes.length) meta.append(" · supersedes " + m.supersedes.join(", "));
            if (m.tasks.length) { meta.append(" · tasks "); m.tasks.forEach((t, i) => { if (i) meta.append(", "); meta.append(taskLink(t)); }); }
            box.append(meta); mlist.append(box);
          }
        }

        // Drift findings.
        const f = $("findings");
        if (D.findings === null) f.append(el("p", {cls: "muted", text: "The drift check runs for the checked-out HEAD only."}));
        else if (!D.findings.length) f.append(el("p", {text: "No drift: the state matches the history."}));
        else {
          const table = el("table", {}, el("tr", {}, el("th", {text: "code"}), el("th", {text: "severity"}), el("th", {text: "entity"}), el("th", {text: "finding"}), el("th", {text: "fix"})));
          for (const x of D.findings) table.append(el("tr", {"data-code": x.code}, el("td", {text: x.code}), el("td", {text: x.severity}), el("td", {}, x.entity && byId.has(x.entity) ? taskLink(x.entity) : document.createTextNode(x.entity || "")), el("td", {text: x.message}), el("td", {text: x.fix})));
          f.append(table);
        }
        $("footer").textContent = D.nodes.length + " task(s) · " + D.sessions.length + " session(s) · " + D.memories.length + " memorie(s) · written by codex-state report --html";
        // Start readable: the whole graph when it fits at a legible size, else its top left.
        fit();
        if (view.k < 0.45) { view.k = 0.6; view.x = 10; view.y = 10; }
        draw();
        window.codexStateReport = {renderMs: performance.now()};
        document.body.setAttribute("data-ready", "1");
        })();
        """#
}
