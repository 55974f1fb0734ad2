import CLibCrypto

/// SHA-256, computed by OpenSSL 3's libcrypto, which uses the CPU's SHA extensions (SHA-NI, ARMv8
/// SHA2) where present. It replaced mbedTLS 2.28, which has none: every mutation hashes the new
/// state file (10 MB at 10k tasks), 33 ms there against about 5 ms here. The FIPS 180-4 vectors
/// in the tests hold it to the standard; the on-disk format (ids, content hashes) did not change.
public enum SHA256 {
    /// The algorithm, fetched once per process: OpenSSL 3's one-shot helpers look it up by name
    /// on every call. A fetched `EVP_MD` is immutable and OpenSSL documents it as safe to use from
    /// several threads at once, hence `nonisolated(unsafe)` for the raw pointer.
    nonisolated(unsafe) private static let algorithm: OpaquePointer? = {
        _ = codex_state_crypto_init()
        return EVP_MD_fetch(nil, "SHA256", nil)
    }()

    /// The 32-byte digest of `bytes`.
    public static func digest<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        bytes.withContiguousStorageIfAvailable { digest(buffer: UnsafeRawBufferPointer($0)) }
            ?? Array(bytes).withUnsafeBytes { digest(buffer: $0) }
    }

    /// The digest of the concatenation of `buffers`, hashed where they lie (a spliced file's
    /// runs: ``CanonicalSplice/Splice``), as 64 lowercase hex digits.
    public static func hex(concatenating buffers: [UnsafeRawBufferPointer]) -> String {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let context = EVP_MD_CTX_new()
        defer { EVP_MD_CTX_free(context) }
        var status = EVP_DigestInit_ex(context, algorithm, nil)
        for b in buffers where status == 1 && b.count > 0 { status = EVP_DigestUpdate(context, b.baseAddress, b.count) }
        if status == 1 {
            status = out.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(context, $0.baseAddress, &length) }
        }
        precondition(context != nil && status == 1 && length == 32, "OpenSSL's SHA-256 failed")
        return Identifiers.hex(out)
    }

    /// The digest as 64 lowercase hex digits.
    public static func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        Identifiers.hex(digest(bytes))
    }

    private static func digest(buffer: UnsafeRawBufferPointer) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        // An empty buffer may have no base address: OpenSSL reads nothing when the count is zero.
        let status = out.withUnsafeMutableBufferPointer { output in
            EVP_Digest(buffer.baseAddress, buffer.count, output.baseAddress, &length, algorithm, nil)
        }
        // EVP_Digest fails only when the algorithm is unavailable (a libcrypto without SHA-256)
        // or memory runs out: nothing a caller could recover from.
        precondition(status == 1 && length == 32, "OpenSSL's SHA-256 failed")
        return out
    }
}
