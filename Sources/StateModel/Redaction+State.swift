extension ProjectState {
    /// Redacts the user text of every task, goal and milestone that differs from `old` (titles,
    /// bodies, acceptance criteria, notes, blockers, completion notes, the text an import keeps in
    /// `source.fields`). Text that did not change
    /// in this operation is left alone. Memories are redacted when they are made
    /// (`MemoryRules`). Returns what was found.
    public mutating func redactChangedText(since old: ProjectState) -> [Redaction.RuleHit] {
        var hits: [Redaction.RuleHit] = []
        for (id, t) in tasks where old.tasks[id] != t {
            var t = t
            hits += t.redactText()
            tasks[id] = t
        }
        for (id, g) in goals where old.goals[id] != g {
            var g = g
            hits += g.redactText()
            goals[id] = g
        }
        for (id, m) in milestones where old.milestones[id] != m {
            var m = m
            hits += m.redactText()
            milestones[id] = m
        }
        return hits
    }
}

extension Redaction {
    /// Redacts `s` in place; returns what was found.
    static func clean(_ s: inout String) -> [RuleHit] {
        let r = redact(s)
        guard !r.hits.isEmpty else { return [] }
        s = r.text
        return r.hits
    }

    static func clean(_ s: inout String?) -> [RuleHit] {
        guard var v = s else { return [] }
        let hits = clean(&v)
        s = v
        return hits
    }
}

extension TaskRecord {
    /// Redacts the task's user text: title, body, blocker, acceptance criteria, notes, the
    /// completion's note and the text an import keeps in `source.fields`.
    mutating func redactText() -> [Redaction.RuleHit] {
        var hits = Redaction.clean(&title) + Redaction.clean(&body) + Redaction.clean(&blocker)
        for i in acceptance.indices { hits += Redaction.clean(&acceptance[i]) }
        for i in notes.indices { hits += Redaction.clean(&notes[i].text) }
        if var c = completion {
            hits += Redaction.clean(&c.note)
            completion = c
        }
        if var s = source, let fields = s.fields {
            s.fields = fields.mapValues {
                $0.mappingStrings { text in
                    var text = text
                    hits += Redaction.clean(&text)
                    return text
                }
            }
            source = s
        }
        return hits
    }
}

extension Goal {
    mutating func redactText() -> [Redaction.RuleHit] { Redaction.clean(&text) }
}

extension Milestone {
    mutating func redactText() -> [Redaction.RuleHit] { Redaction.clean(&title) }
}
