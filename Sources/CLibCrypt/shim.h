/* libxcrypt (Debian: libcrypt-dev): crypt_rn and crypt_checksalt. */
#ifndef PAM_SWIFTSQL_CLIBCRYPT_SHIM_H
#define PAM_SWIFTSQL_CLIBCRYPT_SHIM_H
#include <crypt.h>
#endif
