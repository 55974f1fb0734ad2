extension ProjectState {
    /// Redacts the user text of every task, goal and milestone that differs from `old` (titles,
    /// bodies, acceptance criteria, notes, blockers, completion notes, the text an import keeps in
    /// `source.fields`). Text that did not change
    /// in this operation is left alone. Memories are redacted when they are made
    /// (`MemoryRules`). Returns what was found.
    public mutating func redactChangedText(since old: ProjectState) -> [Redaction.RuleHit] {
        var hits: [Redaction.RuleHit] = []
        func clean(_ s: inout String) {
            let r = Redaction.redact(s)
            guard !r.hits.isEmpty else { return }
            s = r.text
            hits += r.hits
        }
        func clean(_ s: inout String?) {
            guard var v = s else { return }
            clean(&v)
            s = v
        }
        for (id, t) in tasks where old.tasks[id] != t {
            var t = t
            clean(&t.title)
            clean(&t.body)
            clean(&t.blocker)
            for i in t.acceptance.indices { clean(&t.acceptance[i]) }
            for i in t.notes.indices { clean(&t.notes[i].text) }
            if var c = t.completion {
                clean(&c.note)
                t.completion = c
            }
            if var s = t.source, let fields = s.fields {
                s.fields = fields.mapValues {
                    $0.mappingStrings { text in
                        var text = text
                        clean(&text)
                        return text
                    }
                }
                t.source = s
            }
            tasks[id] = t
        }
        for (id, g) in goals where old.goals[id] != g {
            var g = g
            clean(&g.text)
            goals[id] = g
        }
        for (id, m) in milestones where old.milestones[id] != m {
            var m = m
            clean(&m.title)
            milestones[id] = m
        }
        return hits
    }
}
