extension Redaction {
    /// Every string of `value` redacted (object keys are field names and ids, and stay).
    public static func redactStrings(_ value: JSONValue) -> (value: JSONValue, hits: [RuleHit]) {
        switch value {
        case .string(let s):
            let r = redact(s)
            return r.hits.isEmpty ? (value, []) : (.string(r.text), r.hits)
        case .array(let items):
            var hits: [RuleHit] = []
            let out = items.map { item -> JSONValue in
                let r = redactStrings(item)
                hits += r.hits
                return r.value
            }
            return hits.isEmpty ? (value, []) : (.array(out), hits)
        case .object(let members):
            var hits: [RuleHit] = []
            var out = members
            for key in members.keys.sorted() {
                guard let member = members[key] else { continue }
                let r = redactStrings(member)
                if !r.hits.isEmpty {
                    out[key] = r.value
                    hits += r.hits
                }
            }
            return hits.isEmpty ? (value, []) : (.object(out), hits)
        default:
            return (value, [])
        }
    }

    /// `value` with every `String` it holds redacted, whatever its type: it is encoded to JSON,
    /// each string redacted, and decoded back (only when something was found). A field added to
    /// an entity later is redacted without anyone listing it; `RedactionCoverageTests` fills
    /// every string field of every stored type with a secret and holds this to it.
    public static func redactingStrings<T: Codable>(_ value: T) -> (value: T, hits: [RuleHit]) {
        guard let encoded = try? JSONValue(encoding: value) else { return (value, []) }
        let r = redactStrings(encoded)
        guard !r.hits.isEmpty else { return (value, []) }
        // Only a string of a checked form (an id, a time, a status) could fail to decode once
        // redacted, and no rule matches those forms: the value stays as it was then.
        guard let decoded = try? r.value.decode(T.self) else { return (value, []) }
        return (decoded, r.hits)
    }
}
