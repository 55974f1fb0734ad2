import Foundation

/// Any JSON value: the one untyped JSON value of the code base. Every `Encodable` becomes one
/// (``init(encoding:)``) and ``JSONWriter`` writes it. Merge conflict records keep the value a
/// field had on the side that lost, and fields differ in type (a title is text, a priority a
/// number, a completion an object), so the record holds it untyped and ``decode(_:)`` turns it
/// back into the field's type on resolution. The JSON shapes of `--json` and the MCP tools are
/// built as values too.
public enum JSONValue: Hashable, Sendable, Codable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// An integer (the case holds an `Int64`).
    public static func integer<I: BinaryInteger>(_ i: I) -> JSONValue { .int(Int64(i)) }

    /// A string, or null.
    public static func optional(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }

    /// The JSON form of any encodable value (as the state file would write it).
    public init<T: Encodable>(encoding value: T) throws {
        self = try JSONValueEncoder.encode(value)
    }

    /// The value as `T`, decoded exactly as the state file's field would be.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(json(.compact)))
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? c.decode(Int64.self) {
            self = .int(i)
        } else if let d = try? c.decode(Double.self) {
            self = .double(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// Compact JSON with sorted keys, for one-line display.
    public var description: String {
        String(decoding: json(.compact), as: UTF8.self)
    }
}
