/* libpq, PostgreSQL's client library (Debian: libpq-dev). */
#ifndef PAM_SWIFTSQL_CLIBPQ_SHIM_H
#define PAM_SWIFTSQL_CLIBPQ_SHIM_H
#include <postgresql/libpq-fe.h>
#endif
