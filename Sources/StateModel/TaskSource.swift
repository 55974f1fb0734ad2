/// The record an imported task came from. Its ``id`` is how a second import of the same tracker
/// finds the task again (and updates it instead of adding a copy); ``fields`` keeps what of the
/// record this model has no field for, so an export to the same format gives it back.
public struct TaskSource: Codable, Hashable, Sendable {
    /// `<format>:<the tracker's id>`: `beads:bd-0088`, `github:#123`, `taskmaster:master:1.2`.
    public var id: String
    /// The record's fields this model has no place for (issue type, assignee, design notes, the
    /// tracker's own status where it has no equal here, …), as the record had them; nil when
    /// none. Keys are the tracker's own field names.
    public var fields: [String: JSONValue]?
    /// SHA-256 of the record as last imported: a record that did not change since is skipped.
    public var digest: String?
    /// When and by whom the record was last imported. A task whose `updated` differs from it
    /// was changed here since: a later import of a changed record leaves it alone (refused)
    /// unless told to overwrite.
    public var imported: Stamp

    public init(id: String, fields: [String: JSONValue]? = nil, digest: String? = nil, imported: Stamp) {
        self.id = id
        self.fields = fields
        self.digest = digest
        self.imported = imported
    }
}

/// A relation between two tasks that holds neither back: `related`, `discovered-from`,
/// `duplicates`, … as another tracker named it. Dependencies stay in `deps`, parents in
/// `parent`; a link only records and shows.
public struct TaskLink: Codable, Hashable, Sendable, Comparable {
    /// The relation as the tracker named it (`related`, `discovered-from`, `tracks`).
    public var kind: String
    /// A task id of this state, or a reference outside it as the tracker wrote it
    /// (`external:project:capability`).
    public var target: String

    public init(kind: String, target: String) {
        self.kind = kind
        self.target = target
    }

    public static func < (a: TaskLink, b: TaskLink) -> Bool {
        a.kind != b.kind ? a.kind < b.kind : a.target < b.target
    }
}

extension JSONValue {
    /// The same value with every string (keys aside) passed through `transform`: how the text an
    /// import keeps in ``TaskSource/fields`` is redacted like a task's own text.
    public func mappingStrings(_ transform: (String) -> String) -> JSONValue {
        switch self {
        case .string(let s): return .string(transform(s))
        case .array(let a): return .array(a.map { $0.mappingStrings(transform) })
        case .object(let o): return .object(o.mapValues { $0.mappingStrings(transform) })
        default: return self
        }
    }
}
