// SHA-256 from mbedTLS's libmbedcrypto, which Debian's libgit2 already links (libmbedtls-dev is a
// dependency of libgit2-dev). One entry point that works on mbedTLS 2.x (`_ret` names) and 3.x.
#include <mbedtls/version.h>
#include <mbedtls/sha256.h>

static inline int codex_state_sha256(const unsigned char *input, size_t length, unsigned char output[32]) {
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    return mbedtls_sha256(input, length, output, 0);
#else
    return mbedtls_sha256_ret(input, length, output, 0);
#endif
}
