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

    /// A spliced file is hashed run by run where it lies: any split, empty runs and runs across
    /// block boundaries included, gives the digest of the whole.
    @Test func aFileHashedInRunsHashesLikeTheWhole() {
        let bytes = (0..<200_003).map { UInt8(($0 * 17 + 3) % 251) }
        let whole = SHA256.hex(bytes)
        var state: UInt64 = 5
        for _ in 0..<20 {
            var cuts = [0, bytes.count]
            for _ in 0..<6 {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                cuts.append(Int((state >> 33) % UInt64(bytes.count + 1)))
            }
            cuts.sort()
            let hashed = bytes.withUnsafeBytes { base in
                SHA256.hex(
                    concatenating: zip(cuts, cuts.dropFirst()).map { UnsafeRawBufferPointer(rebasing: base[$0..<$1]) })
            }
            #expect(hashed == whole, "cuts \(cuts)")
        }
        #expect(SHA256.hex(concatenating: []) == SHA256.hex([UInt8]()))
    }

    /// The runs of a splice are the spliced file: the text new entities bring, the old bytes
    /// around it, hashed and concatenated alike.
    @Test func aSpliceHashesAndReadsAsTheFileItMakes() throws {
        var state = ProjectState(projectName: "p")
        let ctx = MutationContext(
            actor: "a", now: Timestamp(iso8601: "2026-01-15T09:00:00Z") ?? Timestamp(seconds: 0), branch: "main",
            head: nil, nonce: 1)
        var ids: [String] = []
        for i in 0..<40 { ids.append(try state.addTask(NewTask(title: "Task \(i)"), ctx)) }
        let old = try CanonicalJSON.encode(state)
        var next = state
        _ = try next.completeTask(ids[7], commit: nil, branch: "main", note: "done", ctx)
        _ = try next.addTask(
            NewTask(title: "Another", deps: [ids[3]]),
            MutationContext(
                actor: "a", now: ctx.now, branch: "main", head: nil, nonce: 2))
        let splice = try #require(try CanonicalSplice.splice(state.changes(to: next), in: old))
        let bytes = splice.bytes(from: old)
        #expect(bytes == (try CanonicalJSON.encode(next)))
        #expect(splice.count == bytes.count)
        #expect(splice.withBuffers(from: old) { SHA256.hex(concatenating: $0) } == SHA256.hex(bytes))
        #expect(splice.withBuffers(from: old) { $0.reduce(into: [UInt8]()) { $0 += $1 } } == bytes)
    }
}
