import Testing

@testable import StateModel

/// FIPS 180-4 example vectors (NIST CSRC "SHA256.pdf", "SHA256_2.pdf"): the hash behind every id and
/// content hash must be SHA-256 exactly, whichever library computes it.
@Suite struct SHA256Tests {
    @Test func nistVectors() {
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        // The 448-bit message: one block of data, the padding in a second block.
        #expect(
            SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // The 896-bit message: two full blocks of data.
        #expect(
            SHA256.hex(
                Array(
                    ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                        + "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu").utf8))
                == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
        #expect(
            SHA256.hex([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// A state file's size (10 MB at 10k tasks), not a multiple of the 64-byte block; the digest
    /// is Python's hashlib.sha256 of the same bytes.
    @Test func largeInput() {
        let bytes = (0..<10_000_019).map { UInt8(($0 * 31 + 7) % 251) }
        #expect(SHA256.hex(bytes) == "aa4e51fb97f08291daab469d84057355a3bf438854e7c92ddf5bcd1a4a0a9907")
    }

    @Test func slicesAndNonContiguousCollectionsHashLikeArrays() {
        let bytes = Array("xxabcxx".utf8)
        #expect(SHA256.hex(bytes[2..<5]) == SHA256.hex(Array("abc".utf8)))
        #expect(SHA256.hex(Array("abc".utf8).lazy.map { $0 }) == SHA256.hex(Array("abc".utf8)))
        #expect(SHA256.hex([UInt8]()[...]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(ContentHash.sha256(Array("abc".utf8)) == SHA256.hex(Array("abc".utf8)))
    }
}
