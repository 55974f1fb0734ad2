import MCP
import Workspace

/// A tool's arguments, read strictly: a missing required argument, a wrong type or an unknown
/// name is an error naming the argument, never a guess. The SDK's `Value`s become our one
/// untyped value, ``JSONValue``, here at the boundary (as the SDK itself would write them).
struct Arguments {
    let tool: String
    let values: [String: JSONValue]

    init(tool: String, values: [String: Value]?, allowed: Set<String>) throws {
        self.tool = tool
        self.values = try (values ?? [:]).mapValues { try JSONValue(encoding: $0) }
        if let unknown = self.values.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw ArgumentError(
                "\(tool): unknown argument '\(unknown)' (known: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    private func present(_ key: String) -> JSONValue? {
        guard let v = values[key], v != .null else { return nil }
        return v
    }

    func string(_ key: String) throws -> String? {
        guard let v = present(key) else { return nil }
        guard case .string(let s) = v else { throw mistyped(key, "a string") }
        return s
    }

    func requiredString(_ key: String) throws -> String {
        guard let s = try string(key) else { throw ArgumentError("\(tool): missing required argument '\(key)'") }
        return s
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let v = present(key) else { return nil }
        let n: Int
        switch v {
        case .int(let i): n = Int(i)
        case .double(let d) where d == d.rounded() && abs(d) < 1e9: n = Int(d)
        default: throw mistyped(key, "an integer")
        }
        guard range.contains(n) else {
            throw ArgumentError("\(tool): '\(key)' must be \(range.lowerBound) to \(range.upperBound), not \(n)")
        }
        return n
    }

    func bool(_ key: String) throws -> Bool? {
        guard let v = present(key) else { return nil }
        guard case .bool(let b) = v else { throw mistyped(key, "true or false") }
        return b
    }

    func strings(_ key: String) throws -> [String] {
        guard let v = present(key) else { return [] }
        if case .string(let s) = v { return [s] }
        guard case .array(let a) = v else { throw mistyped(key, "an array of strings") }
        return try a.map { e in
            guard case .string(let s) = e else { throw mistyped(key, "an array of strings") }
            return s
        }
    }

    private func mistyped(_ key: String, _ what: String) -> ArgumentError {
        ArgumentError("\(tool): '\(key)' must be \(what), not \(Self.describe(values[key]))")
    }

    static func describe(_ v: JSONValue?) -> String {
        switch v {
        case .bool?: return "a boolean"
        case .int?, .double?: return "a number"
        case .string?: return "a string"
        case .array?: return "an array"
        case .object?: return "an object"
        case .null?, nil: return "null"
        }
    }
}

struct ArgumentError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
