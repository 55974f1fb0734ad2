// SHA-256 from OpenSSL 3's libcrypto (libssl-dev; Debian's libgit2 already links it through
// libssh2). Its SHA-256 uses the CPU's SHA extensions where present: a 10 MB state file hashes in
// about 5 ms instead of mbedTLS 2.28's 33 ms.
#include <openssl/evp.h>
#include <openssl/crypto.h>

// Initialises libcrypto for what this tool uses (SHA-256 from the default provider) and no
// more: without these flags the first EVP call registers every legacy cipher and digest name and
// reads openssl.cnf, 1.1 ms of every command that hashes (a C program: 2.3 against 1.2 ms CPU).
// Skipping the configuration also keeps a user's OPENSSL_CONF out of the tool's results.
static inline int codex_state_crypto_init(void) {
    return OPENSSL_init_crypto(
        OPENSSL_INIT_NO_ADD_ALL_CIPHERS | OPENSSL_INIT_NO_ADD_ALL_DIGESTS | OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
}

// AES-256-GCM, HMAC-SHA-256 and random bytes for the private memories sealed at rest.
#include <openssl/hmac.h>
#include <openssl/rand.h>
