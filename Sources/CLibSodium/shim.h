/* libsodium (Debian: libsodium-dev): sodium_init and the Argon2 string
 * verifiers, the same code Dovecot verifies $argon2…$ strings with, with
 * vector instructions picked for the processor at run time. */
#ifndef PAM_SWIFTSQL_CLIBSODIUM_SHIM_H
#define PAM_SWIFTSQL_CLIBSODIUM_SHIM_H
#include <sodium/core.h>
#include <sodium/crypto_pwhash_argon2i.h>
#include <sodium/crypto_pwhash_argon2id.h>
#endif
