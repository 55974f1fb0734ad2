import CLibGit2

/// What a git attribute is for a path, as `git check-attr` would report it.
public enum AttributeValue: Sendable, Equatable {
    case unspecified
    /// Set without a value (`path attr`).
    case set
    /// Explicitly unset (`path -attr`).
    case unset
    case value(String)
}

extension Repository {
    /// Runs `body` with the repository's local configuration (the `config` file in the common git
    /// directory, which every linked worktree shares).
    private func withLocalConfig<T>(_ operation: String, _ body: (OpaquePointer?) throws -> T) throws -> T {
        var all: OpaquePointer?
        try check(git_repository_config(&all, handle), "open the configuration to \(operation)")
        defer { git_config_free(all) }
        var local: OpaquePointer?
        try check(
            git_config_open_level(&local, all, GIT_CONFIG_LEVEL_LOCAL), "open the local configuration to \(operation)")
        defer { git_config_free(local) }
        return try body(local)
    }

    /// Sets `key` in the repository's local configuration (`git config --local key value`).
    public func setLocalConfig(_ key: String, to value: String) throws {
        configCache = nil
        _ = try withLocalConfig("set \(key)") { local in
            try check(git_config_set_string(local, key, value), "set \(key) in the local configuration")
        }
    }

    /// Removes `key` from the local configuration; returns whether it was there.
    @discardableResult
    public func removeLocalConfig(_ key: String) throws -> Bool {
        configCache = nil
        return try withLocalConfig("remove \(key)") { local in
            let rc = git_config_delete_entry(local, key)
            if rc == GIT_ENOTFOUND.rawValue { return false }
            try check(rc, "remove \(key) from the local configuration")
            return true
        }
    }

    /// The value of attribute `name` for `path` (relative to the working tree's root), reading
    /// every source git does: `.gitattributes` files in the working tree, `info/attributes`,
    /// `core.attributesFile` and the system file.
    public func attribute(_ name: String, forPath path: String) throws -> AttributeValue {
        // Attribute files are cached per repository handle; this process may have just edited one.
        _ = try git_attr_cache_flush(handle)
        var value: UnsafePointer<CChar>?
        try check(
            git_attr_get(&value, handle, UInt32(GIT_ATTR_CHECK_FILE_THEN_INDEX), path, name),
            "read attribute '\(name)' of \(path)")
        switch git_attr_value(value) {
        case GIT_ATTR_VALUE_TRUE: return .set
        case GIT_ATTR_VALUE_FALSE: return .unset
        case GIT_ATTR_VALUE_STRING: return value.map { .value(decodeLossy($0)) } ?? .unspecified
        default: return .unspecified
        }
    }
}
