import CMbedCrypto

/// SHA-256, computed by mbedTLS's libmbedcrypto: the crypto library libgit2 already brings into
/// the process. It replaced swift-crypto, whose BoringSSL was half of every clean build's object
/// files for one hash function. The NIST vectors in the tests hold it to the standard; the
/// on-disk format (ids, content hashes) did not change.
public enum SHA256 {
    /// The 32-byte digest of `bytes`.
    public static func digest<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        var out = [UInt8](repeating: 0, count: 32)
        let status: Int32 =
            bytes.withContiguousStorageIfAvailable { buffer in
                out.withUnsafeMutableBufferPointer {
                    codex_state_sha256(buffer.baseAddress, buffer.count, $0.baseAddress)
                }
            }
            ?? Array(bytes).withUnsafeBufferPointer { buffer in
                out.withUnsafeMutableBufferPointer {
                    codex_state_sha256(buffer.baseAddress, buffer.count, $0.baseAddress)
                }
            }
        // mbedtls_sha256 fails only on bad parameters (a null output), which cannot happen here.
        precondition(status == 0, "mbedtls_sha256 failed: \(status)")
        return out
    }

    /// The digest as 64 lowercase hex digits.
    public static func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        Identifiers.hex(digest(bytes))
    }
}
