/* SQLite 3 (Debian: libsqlite3-dev). SQLITE_TRANSIENT is a cast macro Swift
 * cannot import; it is re-exported here as a function. */
#ifndef PAM_SWIFTSQL_CSQLITE3_SHIM_H
#define PAM_SWIFTSQL_CSQLITE3_SHIM_H
#include <sqlite3.h>

static inline sqlite3_destructor_type swiftsql_sqlite_transient(void) { return SQLITE_TRANSIENT; }
#endif
