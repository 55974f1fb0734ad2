// What the CPU can do, for choosing OpenBLAS's kernels (Sources/Embeddings/BLAS.swift).
#ifndef CODEX_STATE_CPU_FEATURES_H
#define CODEX_STATE_CPU_FEATURES_H

// 1 when the CPU and the kernel support AVX-512 F, BW, DQ and VL (OpenBLAS's SkylakeX kernels).
int codex_state_cpu_avx512(void);
// 1 when the CPU supports AVX2 and FMA (OpenBLAS's Haswell kernels).
int codex_state_cpu_avx2(void);

#endif
