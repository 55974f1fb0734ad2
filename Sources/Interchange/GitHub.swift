import StateModel

/// GitHub issues as `gh issue list --json number,title,body,state,labels,assignees,milestone`
/// prints them (camelCase, `OPEN`/`CLOSED`), or as the REST API lists them (`gh api
/// repos/O/R/issues`: snake_case, `open`/`closed`, pull requests among them; `--paginate` prints
/// one array per page, back to back). Learnt from GitHub's REST reference ("List repository
/// issues") and gh's `issue list --json` fields.
public enum GitHub {
    /// What of an issue is kept in the task's source fields (the REST objects carry dozens of
    /// URLs and counters that are GitHub's own business).
    /// In order: a later key wins over an earlier one with the same name here (`html_url`, the
    /// page, over `url`, the API's address).
    static let kept: [(key: String, name: String)] = [
        ("url", "url"), ("html_url", "url"), ("assignees", "assignees"), ("user", "author"), ("author", "author"),
        ("state_reason", "state_reason"), ("stateReason", "state_reason"), ("locked", "locked"),
    ]

    /// Reads the whole file: one JSON array, several arrays back to back, or one issue object.
    public static func read(_ bytes: [UInt8], file: String) throws -> ImportBatch {
        if let bad = ForeignJSON.firstInvalidUTF8(bytes[...]) {
            throw ImportError(["\(file): not valid UTF-8 (byte \(bad + 1))"])
        }
        var issues: [JSONValue] = []
        var page = 0
        for document in documents(bytes) {
            page += 1
            let v: JSONValue
            do {
                v = try ForeignJSON.parse(document)
            } catch {
                throw ImportError(["\(file): JSON value \(page) is not valid JSON (\(error))"])
            }
            if let a = v.arrayValue {
                issues += a
            } else if v.objectValue != nil {
                issues.append(v)
            } else {
                throw ImportError(["\(file): expected an array of issues"])
            }
        }
        var batch = ImportBatch(format: .github)
        var problems: [String] = []
        for (i, v) in issues.enumerated() {
            let origin = "\(file): issue [\(i)]"
            guard let o = v.objectValue else {
                problems.append("\(origin): not an object")
                continue
            }
            guard let number = o["number"]?.integerValue else {
                batch.skipped.append(
                    SkippedRecord(origin: origin, source: nil, reason: "no issue number (not on GitHub yet)"))
                continue
            }
            let source = "github:#\(number)"
            let at = "\(file): #\(number)"
            if let pr = o["pull_request"], !pr.isNull {
                batch.skipped.append(SkippedRecord(origin: at, source: source, reason: "a pull request"))
                continue
            }
            guard let title = o["title"]?.stringValue?.trimmed, !title.isEmpty else {
                problems.append("\(at): no title")
                continue
            }
            var fields: [String: JSONValue] = [:]
            for (k, name) in kept {
                guard let v = o[k], !v.isNull else { continue }
                switch name {
                case "assignees": fields[name] = .strings(logins(v))
                case "author": fields[name] = login(v).map(JSONValue.string)
                default: fields[name] = v
                }
            }
            if fields["assignees"] == .array([]) { fields["assignees"] = nil }
            let state = (o["state"]?.stringValue ?? "open").lowercased()
            let reason = (fields["state_reason"]?.stringValue ?? "").lowercased()
            var status: TaskStatus = .open
            if state == "closed" { status = reason == "not_planned" ? .cancelled : .done }
            if status == .cancelled, let c = o["closed_at"] ?? o["closedAt"], !c.isNull {
                fields["closed_at"] = c  // a cancelled task has no completion to hold it
            }
            let author = fields["author"]?.stringValue
            let worker = logins(o["assignees"] ?? .null).first ?? author ?? "github"
            func time(_ keys: String...) -> Timestamp? {
                for k in keys { if let t = o[k]?.stringValue.flatMap(ForeignJSON.time) { return t } }
                return nil
            }
            var milestone: ImportedMilestone?
            if let m = o["milestone"]?.objectValue, let t = m["title"]?.stringValue, !t.trimmed.isEmpty {
                let due = (m["dueOn"] ?? m["due_on"])?.stringValue.flatMap(ForeignJSON.time).map {
                    String($0.iso8601.prefix(10))
                }
                milestone = ImportedMilestone(title: t.trimmed, due: due)
            }
            var labels: [String] = []
            for l in o["labels"]?.arrayValue ?? [] {
                if let s = l.stringValue {
                    labels.append(s)
                } else if let n = l.objectValue?["name"]?.stringValue {
                    labels.append(n)
                }
            }
            var notes: [Note] = []
            for c in o["comments"]?.arrayValue ?? [] {
                guard let co = c.objectValue, let body = co["body"]?.stringValue, !body.isEmpty else { continue }
                guard let when = (co["createdAt"] ?? co["created_at"])?.stringValue.flatMap(ForeignJSON.time) else {
                    problems.append("\(at): a comment without createdAt")
                    continue
                }
                notes.append(Note(at: when, actor: login(co["author"] ?? co["user"] ?? .null) ?? "github", text: body))
            }
            batch.tasks.append(
                ImportedTask(
                    source: source, origin: at, digest: ForeignJSON.digest(v), title: title,
                    body: o["body"]?.stringValue,
                    status: status, labels: labels, notes: notes,
                    created: ForeignStamp(at: time("createdAt", "created_at"), actor: author),
                    completed: ForeignStamp(at: time("closedAt", "closed_at"), actor: worker),
                    hasGraph: false, hasMilestone: true, milestone: milestone, fields: fields))
        }
        guard problems.isEmpty else { throw ImportError(problems) }
        return batch
    }

    static func login(_ v: JSONValue) -> String? {
        if let s = v.stringValue { return s }
        return v.objectValue?["login"]?.stringValue
    }

    static func logins(_ v: JSONValue) -> [String] { (v.arrayValue ?? []).compactMap(login) }

    /// The top-level JSON values of a file, split where one ends and the next begins (`gh api
    /// --paginate` prints one array per page with nothing between them).
    static func documents(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var out: [ArraySlice<UInt8>] = []
        var depth = 0
        var inString = false
        var escaped = false
        var start: Int?
        for (i, b) in bytes.enumerated() {
            if inString {
                if escaped {
                    escaped = false
                } else if b == 0x5C {
                    escaped = true
                } else if b == 0x22 {
                    inString = false
                }
                continue
            }
            switch b {
            case 0x22:
                inString = true
                if start == nil { start = i }
            case 0x5B, 0x7B:
                if start == nil { start = i }
                depth += 1
            case 0x5D, 0x7D:
                depth -= 1
                if depth == 0, let s = start {
                    out.append(bytes[s...i])
                    start = nil
                }
            case 0x20, 0x09, 0x0A, 0x0D: continue
            default: if start == nil { start = i }
            }
        }
        if let s = start { out.append(bytes[s...]) }
        return out
    }
}
