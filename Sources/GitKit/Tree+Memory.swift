import CLibGit2

/// What `check` asks of a commit's tree about the paths and identifiers memories name
/// (issue 20: memory that knows when it is stale).
extension Repository {
    /// Whether `commit`'s tree has an entry at `path`: a file, a directory or a link.
    public func entryExists(_ path: String, at commit: ObjectID) throws -> Bool {
        try withTree(of: commit) { tree in
            var entry: OpaquePointer?
            let rc = git_tree_entry_bypath(&entry, tree, path)
            if rc == GIT_ENOTFOUND.rawValue { return false }
            _ = try check(rc, "find \(path) in \(commit.short)")
            git_tree_entry_free(entry)
            return true
        }
    }

    /// Which of `needles` occur in the files of `commit`'s tree (byte for byte), outside the
    /// top-level entries `skipping`, reading at most `budget` bytes of files no larger than 1 MiB
    /// each; nil when the budget ran out before all were found (the answer would not be complete).
    public func textsFound(
        _ needles: Set<String>, at commit: ObjectID, skipping: Set<String> = [], budget: Int
    ) throws -> Set<String>? {
        guard !needles.isEmpty else { return [] }
        let patterns = needles.map { ($0, Array($0.utf8)) }
        var found: Set<String> = []
        var remaining = budget
        var exhausted = false
        func walk(_ tree: OpaquePointer?, top: Bool) throws {
            for i in 0..<git_tree_entrycount(tree) {
                if found.count == needles.count || exhausted { return }
                guard let e = git_tree_entry_byindex(tree, i), let id = git_tree_entry_id(e) else { continue }
                if top, let name = git_tree_entry_name(e), skipping.contains(decodeLossy(name)) { continue }
                switch git_tree_entry_type(e) {
                case GIT_OBJECT_TREE:
                    var sub: OpaquePointer?
                    _ = try check(git_tree_lookup(&sub, handle, id), "read a tree of \(commit.short)")
                    defer { git_tree_free(sub) }
                    try walk(sub, top: false)
                case GIT_OBJECT_BLOB:
                    var blob: OpaquePointer?
                    _ = try check(git_blob_lookup(&blob, handle, id), "read a file of \(commit.short)")
                    defer { git_blob_free(blob) }
                    let size = Int(git_blob_rawsize(blob))
                    guard size > 0, size <= 1 << 20, let raw = git_blob_rawcontent(blob) else { continue }
                    if size > remaining {
                        exhausted = true
                        return
                    }
                    remaining -= size
                    let bytes = UnsafeRawBufferPointer(start: raw, count: size)
                    for (text, pattern) in patterns where !found.contains(text) && Self.contains(bytes, pattern) {
                        found.insert(text)
                    }
                default:
                    continue
                }
            }
        }
        try withTree(of: commit) { try walk($0, top: true) }
        return exhausted && found.count < needles.count ? nil : found
    }

    static func contains(_ haystack: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
        guard let first = needle.first, haystack.count >= needle.count else { return false }
        var i = 0
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first {
                var j = 1
                while j < needle.count && haystack[i + j] == needle[j] { j += 1 }
                if j == needle.count { return true }
            }
            i += 1
        }
        return false
    }
}
