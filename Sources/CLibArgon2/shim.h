/* The Argon2 reference library (Debian: libargon2-dev): argon2_verify and
 * argon2_hash for $argon2i$, $argon2d$ and $argon2id$ strings. */
#ifndef PAM_SWIFTSQL_CLIBARGON2_SHIM_H
#define PAM_SWIFTSQL_CLIBARGON2_SHIM_H
#include <argon2.h>
#endif
