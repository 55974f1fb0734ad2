import CEmbeddingsCPU

#if canImport(Glibc)
    import Glibc
#endif

/// OpenBLAS's `cblas_sgemm`, opened with `dlopen` the first time a model is loaded. Linked, the
/// library (and its libgfortran and libquadmath) would be mapped and relocated, and OpenBLAS's
/// constructor would start its thread pool, at the start of every command; only `recall`,
/// `remember` and the MCP memory tools multiply matrices.
struct BLAS: @unchecked Sendable {
    typealias Sgemm =
        @convention(c) (
            Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32, UnsafePointer<Float>?,
            Int32, Float, UnsafeMutablePointer<Float>?, Int32
        ) -> Void
    typealias SetThreads = @convention(c) (Int32) -> Void

    /// The libraries tried, in order: Debian's OpenBLAS (libopenblas0), then any BLAS with the
    /// CBLAS interface installed as the system's libblas.so.3.
    static let candidates = ["libopenblas.so.0", "libopenblas.so", "libblas.so.3"]

    // CBLAS's enum values.
    static let rowMajor: Int32 = 101
    static let noTrans: Int32 = 111
    static let trans: Int32 = 112

    let sgemm: Sgemm
    let library: String

    /// The library, loaded once per process; the error names every library tried.
    static let shared: Result<BLAS, EmbeddingError> = {
        var reasons: [String] = []
        // OpenBLAS picks its kernels for the CPU when it is loaded; Debian's 0.3.21 does not know
        // recent Xeons (family 6, model 207 here) and falls back to its SSE3 kernels ("Prescott"):
        // embedding 1,000 memories took 22 s of CPU instead of about 5. Unless the user chose,
        // name the kernels the CPU can run, for the load only.
        let chosen = getenv("OPENBLAS_CORETYPE") != nil
        if !chosen {
            if codex_state_cpu_avx512() == 1 {
                setenv("OPENBLAS_CORETYPE", "SkylakeX", 1)
            } else if codex_state_cpu_avx2() == 1 {
                setenv("OPENBLAS_CORETYPE", "Haswell", 1)
            }
        }
        defer { if !chosen { unsetenv("OPENBLAS_CORETYPE") } }
        // One thread, from the start: OpenBLAS starts its pool when it is loaded, and the idle
        // threads spin (sched_yield) for as long as the process runs. A query is a few small
        // products; the machine's other cores stay with whatever else runs.
        let threads = getenv("OPENBLAS_NUM_THREADS") != nil
        if !threads { setenv("OPENBLAS_NUM_THREADS", "1", 1) }
        defer { if !threads { unsetenv("OPENBLAS_NUM_THREADS") } }
        for name in candidates {
            // Lazy binding: the library has thousands of symbols and one is called; resolving all
            // of them at load was a tenth of a warm `recall`.
            guard let handle = dlopen(name, RTLD_LAZY | RTLD_LOCAL) else {
                reasons.append(dlerror().map { String(cString: $0) } ?? name)
                continue
            }
            guard let sym = dlsym(handle, "cblas_sgemm") else {
                reasons.append("\(name) has no cblas_sgemm")
                continue
            }
            if let set = dlsym(handle, "openblas_set_num_threads") {
                unsafeBitCast(set, to: SetThreads.self)(1)
            }
            return .success(BLAS(sgemm: unsafeBitCast(sym, to: Sgemm.self), library: name))
        }
        return .failure(
            .library(
                "no BLAS library (install libopenblas0: apt-get install libopenblas0): "
                    + reasons.joined(separator: "; ")))
    }()

    /// C = A · Bᵀ (+ C when `accumulate`), all row-major: A is m×k (row stride `lda`), B is n×k
    /// (stride `ldb`, a weight matrix as PyTorch stores it), C is m×n (stride `ldc`).
    func multiplyTransposed(
        m: Int, n: Int, k: Int, alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        accumulate: Bool, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        sgemm(
            Self.rowMajor, Self.noTrans, Self.trans, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
            accumulate ? 1 : 0, c, Int32(ldc))
    }

    /// C = A · B, row-major: A is m×k, B is k×n.
    func multiply(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        sgemm(
            Self.rowMajor, Self.noTrans, Self.noTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), 0,
            c, Int32(ldc))
    }
}
