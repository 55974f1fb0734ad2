/// An `Encoder` that turns any `Encodable` into a ``JSONValue``, as Foundation's `JSONEncoder`
/// would see it: nil optionals given to `encode` are `null`, `encodeIfPresent` leaves them out,
/// integers stay integers. (No `Date`, `Data` or `URL` special cases: nothing in this tool encodes
/// one; they encode by their own `Encodable` conformance.)
struct JSONValueEncoder: Encoder {
    var codingPath: [CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    /// Where the value goes; one slot per encoder.
    let slot: Slot

    init(codingPath: [CodingKey] = [], slot: Slot = Slot()) {
        self.codingPath = codingPath
        self.slot = slot
    }

    static func encode<T: Encodable>(_ value: T, codingPath: [CodingKey] = []) throws -> JSONValue {
        if let direct = primitive(value) { return direct }
        let encoder = JSONValueEncoder(codingPath: codingPath)
        try value.encode(to: encoder)
        return encoder.slot.resolve()
    }

    /// The common leaves, without an encoder of their own.
    private static func primitive<T: Encodable>(_ value: T) -> JSONValue? {
        switch value {
        case let s as String: return .string(s)
        case let i as Int: return .int(Int64(i))
        case let b as Bool: return .bool(b)
        case let v as JSONValue: return v
        case let a as [String]: return .array(a.map(JSONValue.string))
        default: return nil
        }
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(Keyed<Key>(object: slot.object(), codingPath: codingPath))
    }

    func unkeyedContainer() -> UnkeyedEncodingContainer {
        Unkeyed(array: slot.array(), codingPath: codingPath)
    }

    func singleValueContainer() -> SingleValueEncodingContainer { Single(slot: slot, codingPath: codingPath) }

    /// What an encoder or a nested container has written so far. Reference types, so a nested
    /// container can be filled after its parent took it.
    final class Slot {
        enum Content {
            case empty
            case value(JSONValue)
            case object(ObjectBox)
            case array(ArrayBox)
        }
        var content = Content.empty

        func object() -> ObjectBox {
            if case .object(let o) = content { return o }
            let o = ObjectBox()
            content = .object(o)
            return o
        }

        func array() -> ArrayBox {
            if case .array(let a) = content { return a }
            let a = ArrayBox()
            content = .array(a)
            return a
        }

        func resolve() -> JSONValue {
            switch content {
            case .empty: return .object([:])  // as JSONEncoder: an encoder nothing was written to
            case .value(let v): return v
            case .object(let o): return o.resolve()
            case .array(let a): return a.resolve()
            }
        }
    }

    final class ObjectBox {
        var fields: [String: JSONValue] = [:]
        /// Members whose value is still being written (nested containers, super encoders).
        var pending: [String: Slot] = [:]

        func resolve() -> JSONValue {
            for (k, s) in pending { fields[k] = s.resolve() }
            pending = [:]
            return .object(fields)
        }
    }

    final class ArrayBox {
        var items: [JSONValue] = []
        var pending: [Int: Slot] = [:]

        func resolve() -> JSONValue {
            for (i, s) in pending { items[i] = s.resolve() }
            pending = [:]
            return .array(items)
        }
    }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let object: ObjectBox
        var codingPath: [CodingKey]

        private func set(_ v: JSONValue, _ key: Key) {
            object.pending[key.stringValue] = nil
            object.fields[key.stringValue] = v
        }

        mutating func encodeNil(forKey key: Key) throws { set(.null, key) }
        mutating func encode(_ value: Bool, forKey key: Key) throws { set(.bool(value), key) }
        mutating func encode(_ value: String, forKey key: Key) throws { set(.string(value), key) }
        mutating func encode(_ value: Double, forKey key: Key) throws {
            set(try number(value, codingPath + [key]), key)
        }
        mutating func encode(_ value: Float, forKey key: Key) throws {
            set(try number(Double(value.description) ?? 0, codingPath + [key]), key)
        }
        mutating func encode(_ value: Int, forKey key: Key) throws { set(.int(Int64(value)), key) }
        mutating func encode(_ value: Int8, forKey key: Key) throws { set(.int(Int64(value)), key) }
        mutating func encode(_ value: Int16, forKey key: Key) throws { set(.int(Int64(value)), key) }
        mutating func encode(_ value: Int32, forKey key: Key) throws { set(.int(Int64(value)), key) }
        mutating func encode(_ value: Int64, forKey key: Key) throws { set(.int(value), key) }
        mutating func encode(_ value: UInt, forKey key: Key) throws {
            set(try unsigned(value, codingPath + [key]), key)
        }
        mutating func encode(_ value: UInt8, forKey key: Key) throws { set(.int(Int64(value)), key) }
        mutating func encode(_ value: UInt16, forKey key: Key) throws { set(.int(Int64(value)), key) }
        mutating func encode(_ value: UInt32, forKey key: Key) throws { set(.int(Int64(value)), key) }
        mutating func encode(_ value: UInt64, forKey key: Key) throws {
            set(try unsigned(value, codingPath + [key]), key)
        }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            set(try JSONValueEncoder.encode(value, codingPath: codingPath + [key]), key)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
            -> KeyedEncodingContainer<NestedKey>
        {
            KeyedEncodingContainer(Keyed<NestedKey>(object: slot(key).object(), codingPath: codingPath + [key]))
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer {
            Unkeyed(array: slot(key).array(), codingPath: codingPath + [key])
        }

        mutating func superEncoder() -> Encoder {
            JSONValueEncoder(codingPath: codingPath + [AnyKey("super")], slot: slot(AnyKey("super")))
        }

        mutating func superEncoder(forKey key: Key) -> Encoder {
            JSONValueEncoder(codingPath: codingPath + [key], slot: slot(key))
        }

        private func slot(_ key: CodingKey) -> Slot {
            if let s = object.pending[key.stringValue] { return s }
            let s = Slot()
            object.fields[key.stringValue] = nil
            object.pending[key.stringValue] = s
            return s
        }
    }

    struct Unkeyed: UnkeyedEncodingContainer {
        let array: ArrayBox
        var codingPath: [CodingKey]
        var count: Int { array.items.count }

        private func append(_ v: JSONValue) { array.items.append(v) }
        private var next: [CodingKey] { codingPath + [AnyKey(index: array.items.count)] }

        mutating func encodeNil() throws { append(.null) }
        mutating func encode(_ value: Bool) throws { append(.bool(value)) }
        mutating func encode(_ value: String) throws { append(.string(value)) }
        mutating func encode(_ value: Double) throws { append(try number(value, next)) }
        mutating func encode(_ value: Float) throws { append(try number(Double(value.description) ?? 0, next)) }
        mutating func encode(_ value: Int) throws { append(.int(Int64(value))) }
        mutating func encode(_ value: Int8) throws { append(.int(Int64(value))) }
        mutating func encode(_ value: Int16) throws { append(.int(Int64(value))) }
        mutating func encode(_ value: Int32) throws { append(.int(Int64(value))) }
        mutating func encode(_ value: Int64) throws { append(.int(value)) }
        mutating func encode(_ value: UInt) throws { append(try unsigned(value, next)) }
        mutating func encode(_ value: UInt8) throws { append(.int(Int64(value))) }
        mutating func encode(_ value: UInt16) throws { append(.int(Int64(value))) }
        mutating func encode(_ value: UInt32) throws { append(.int(Int64(value))) }
        mutating func encode(_ value: UInt64) throws { append(try unsigned(value, next)) }
        mutating func encode<T: Encodable>(_ value: T) throws {
            append(try JSONValueEncoder.encode(value, codingPath: next))
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
            -> KeyedEncodingContainer<NestedKey>
        {
            let path = next
            return KeyedEncodingContainer(Keyed<NestedKey>(object: pendingSlot().object(), codingPath: path))
        }

        mutating func nestedUnkeyedContainer() -> UnkeyedEncodingContainer {
            let path = next
            return Unkeyed(array: pendingSlot().array(), codingPath: path)
        }

        mutating func superEncoder() -> Encoder {
            let path = next
            return JSONValueEncoder(codingPath: path, slot: pendingSlot())
        }

        private func pendingSlot() -> Slot {
            let s = Slot()
            array.pending[array.items.count] = s
            array.items.append(.null)
            return s
        }
    }

    struct Single: SingleValueEncodingContainer {
        let slot: Slot
        var codingPath: [CodingKey]

        private func set(_ v: JSONValue) { slot.content = .value(v) }

        mutating func encodeNil() throws { set(.null) }
        mutating func encode(_ value: Bool) throws { set(.bool(value)) }
        mutating func encode(_ value: String) throws { set(.string(value)) }
        mutating func encode(_ value: Double) throws { set(try number(value, codingPath)) }
        mutating func encode(_ value: Float) throws { set(try number(Double(value.description) ?? 0, codingPath)) }
        mutating func encode(_ value: Int) throws { set(.int(Int64(value))) }
        mutating func encode(_ value: Int8) throws { set(.int(Int64(value))) }
        mutating func encode(_ value: Int16) throws { set(.int(Int64(value))) }
        mutating func encode(_ value: Int32) throws { set(.int(Int64(value))) }
        mutating func encode(_ value: Int64) throws { set(.int(value)) }
        mutating func encode(_ value: UInt) throws { set(try unsigned(value, codingPath)) }
        mutating func encode(_ value: UInt8) throws { set(.int(Int64(value))) }
        mutating func encode(_ value: UInt16) throws { set(.int(Int64(value))) }
        mutating func encode(_ value: UInt32) throws { set(.int(Int64(value))) }
        mutating func encode(_ value: UInt64) throws { set(try unsigned(value, codingPath)) }
        mutating func encode<T: Encodable>(_ value: T) throws {
            set(try JSONValueEncoder.encode(value, codingPath: codingPath))
        }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int?
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init(index: Int) {
            stringValue = "Index \(index)"
            intValue = index
        }
        init?(intValue: Int) { self.init(index: intValue) }
    }
}

/// A finite double (JSON has no NaN or infinity: `JSONEncoder` refuses them too).
private func number(_ d: Double, _ path: [CodingKey]) throws -> JSONValue {
    guard d.isFinite else {
        throw EncodingError.invalidValue(d, .init(codingPath: path, debugDescription: "\(d) is not valid JSON"))
    }
    return .double(d)
}

/// ``JSONValue`` holds integers as `Int64`; a larger unsigned value cannot be written.
private func unsigned<U: UnsignedInteger & FixedWidthInteger>(_ u: U, _ path: [CodingKey]) throws -> JSONValue {
    guard let i = Int64(exactly: u) else {
        throw EncodingError.invalidValue(u, .init(codingPath: path, debugDescription: "\(u) is larger than Int64"))
    }
    return .int(i)
}
