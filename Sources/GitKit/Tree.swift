import CLibGit2

extension Repository {
    /// The commit the local branch `name` points at; nil when there is no such branch. Unlike
    /// ``resolveCommit(_:)``, `main~1` or a tag is not a branch.
    ///
    /// Read from the reference files when they are plain (a branch is taken to name a commit).
    public func branchTip(_ name: String) throws -> ObjectID? {
        if let layout {
            switch try RepoFiles.resolve("refs/heads/" + name, layout.dirs).value {
            case .commit(let id): return id
            case .absent: return nil
            case .unknown: break
            }
        }
        var ref: OpaquePointer?
        let rc = try git_reference_lookup(&ref, handle, "refs/heads/" + name)
        if rc == GIT_ENOTFOUND.rawValue || rc == GIT_EINVALIDSPEC.rawValue { return nil }
        try check(rc, "look up branch \(name)")
        defer { git_reference_free(ref) }
        var commit: OpaquePointer?
        try check(git_reference_peel(&commit, ref, GIT_OBJECT_COMMIT), "resolve branch \(name)")
        defer { git_object_free(commit) }
        return ObjectID(git_object_id(commit).pointee)
    }

    /// The bytes of the file at `path` (relative to the root, `/`-separated) in the tree of
    /// `commit`; nil when the tree has no file there.
    public func fileContents(_ path: String, at commit: ObjectID) throws -> [UInt8]? {
        try withTree(of: commit) { tree in
            var entry: OpaquePointer?
            let rc = git_tree_entry_bypath(&entry, tree, path)
            if rc == GIT_ENOTFOUND.rawValue { return nil }
            try check(rc, "find \(path) in \(commit.short)")
            defer { git_tree_entry_free(entry) }
            guard git_tree_entry_type(entry) == GIT_OBJECT_BLOB, let id = git_tree_entry_id(entry) else { return nil }
            var blob: OpaquePointer?
            try check(git_blob_lookup(&blob, handle, id), "read \(path) in \(commit.short)")
            defer { git_blob_free(blob) }
            let size = Int(git_blob_rawsize(blob))
            guard size > 0, let raw = git_blob_rawcontent(blob) else { return [] }
            return Array(UnsafeRawBufferPointer(start: raw, count: size))
        }
    }

    /// The blob id of the file at `path` in `commit`'s tree; nil when there is no file there.
    /// Comparing ids tells whether two commits hold the same bytes without reading them.
    public func fileID(_ path: String, at commit: ObjectID) throws -> ObjectID? {
        try withTree(of: commit) { tree in
            var entry: OpaquePointer?
            let rc = git_tree_entry_bypath(&entry, tree, path)
            if rc == GIT_ENOTFOUND.rawValue { return nil }
            try check(rc, "find \(path) in \(commit.short)")
            defer { git_tree_entry_free(entry) }
            guard git_tree_entry_type(entry) == GIT_OBJECT_BLOB, let id = git_tree_entry_id(entry) else { return nil }
            return ObjectID(id.pointee)
        }
    }

    /// The id git gives `bytes` as a blob (`git hash-object`), without writing anything.
    public func blobID(of bytes: [UInt8]) throws -> ObjectID {
        var oid = git_oid()
        try bytes.withUnsafeBytes { buf in
            try check(git_odb_hash(&oid, buf.baseAddress, buf.count, GIT_OBJECT_BLOB), "hash a blob")
        }
        return ObjectID(oid)
    }

    /// Whether `path` held exactly the blob `blob` at `head` or any of its newest `limit`
    /// commits: whether a version of a file is part of HEAD's history.
    public func historyHolds(_ path: String, blob: ObjectID, from head: ObjectID, limit: Int) throws -> Bool {
        for info in try commits(from: head, limit: limit) where try fileID(path, at: info.id) == blob {
            return true
        }
        return false
    }

    /// The bytes of the blob `id`.
    public func blob(_ id: ObjectID) throws -> [UInt8] {
        var oid = id.gitOID
        var blob: OpaquePointer?
        try check(git_blob_lookup(&blob, handle, &oid), "read blob \(id.short)")
        defer { git_blob_free(blob) }
        let size = Int(git_blob_rawsize(blob))
        guard size > 0, let raw = git_blob_rawcontent(blob) else { return [] }
        return Array(UnsafeRawBufferPointer(start: raw, count: size))
    }

    /// The parents of `commit`, first parent first. In a shallow clone, only those the clone
    /// has: a commit at the boundary reads as a root (libgit2 1.5 ignores `.git/shallow`).
    public func parents(of commit: ObjectID) throws -> [ObjectID] {
        var oid = commit.gitOID
        var c: OpaquePointer?
        try check(git_commit_lookup(&c, handle, &oid), "look up commit \(commit.short)")
        defer { git_commit_free(c) }
        let all = (0..<git_commit_parentcount(c)).compactMap { i in
            git_commit_parent_id(c, i).map { ObjectID($0.pointee) }
        }
        return try isShallow ? all.filter(commitExists) : all
    }

    /// The names of the files directly in the directory `path` of `commit`'s tree, unsorted;
    /// empty when there is no such directory.
    public func fileNames(in path: String, at commit: ObjectID) throws -> [String] {
        try withTree(of: commit) { root in
            var entry: OpaquePointer?
            let rc = git_tree_entry_bypath(&entry, root, path)
            if rc == GIT_ENOTFOUND.rawValue { return [] }
            try check(rc, "find \(path) in \(commit.short)")
            defer { git_tree_entry_free(entry) }
            guard git_tree_entry_type(entry) == GIT_OBJECT_TREE, let id = git_tree_entry_id(entry) else { return [] }
            var dir: OpaquePointer?
            try check(git_tree_lookup(&dir, handle, id), "read \(path) in \(commit.short)")
            defer { git_tree_free(dir) }
            var names: [String] = []
            for i in 0..<git_tree_entrycount(dir) {
                guard let e = git_tree_entry_byindex(dir, i), git_tree_entry_type(e) == GIT_OBJECT_BLOB,
                    let name = git_tree_entry_name(e)
                else { continue }
                names.append(decodeLossy(name))
            }
            return names
        }
    }

    func withTree<T>(of commit: ObjectID, _ body: (OpaquePointer?) throws -> T) throws -> T {
        var oid = commit.gitOID
        var c: OpaquePointer?
        try check(git_commit_lookup(&c, handle, &oid), "look up commit \(commit.short)")
        defer { git_commit_free(c) }
        var tree: OpaquePointer?
        try check(git_commit_tree(&tree, c), "read the tree of \(commit.short)")
        defer { git_tree_free(tree) }
        return try body(tree)
    }

    /// Whether `commit` changes nothing but the top-level entry `name` (a file or directory)
    /// against its first parent: a commit that only records state. False for a root commit and
    /// when any other top-level entry was added, removed or changed.
    public func changesOnly(topLevelEntry name: String, commit: ObjectID) throws -> Bool {
        guard let parent = try parents(of: commit).first, try commitExists(parent) else { return false }
        func entries(_ id: ObjectID) throws -> [String: ObjectID] {
            try withTree(of: id) { tree in
                var out: [String: ObjectID] = [:]
                for i in 0..<git_tree_entrycount(tree) {
                    guard let e = git_tree_entry_byindex(tree, i), let n = git_tree_entry_name(e),
                        let oid = git_tree_entry_id(e)
                    else { continue }
                    let entryName = decodeLossy(n)
                    if entryName != name { out[entryName] = ObjectID(oid.pointee) }
                }
                return out
            }
        }
        return try entries(commit) == entries(parent)
    }
}
