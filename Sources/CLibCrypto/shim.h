/* OpenSSL's libcrypto (Debian: libssl-dev): digests, HMAC and PBKDF2 through
 * EVP in a private library context, CRYPTO_memcmp, and the
 * low-level MD5 context whose intermediate state CRAM-MD5/HMAC-MD5 stores
 * (there is no EVP interface to it; the API is deprecated, not removed). */
#ifndef PAM_SWIFTSQL_CLIBCRYPTO_SHIM_H
#define PAM_SWIFTSQL_CLIBCRYPTO_SHIM_H
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/md5.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#endif
