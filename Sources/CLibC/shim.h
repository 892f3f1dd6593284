/* The C library, for the module's own libc calls: SwiftSQLSystem, and the
 * boundary files that copy, wipe or free C strings. Embedded Swift has no
 * Glibc module (DESIGN.md §2), so the module's targets import the libc
 * headers they need through this one, in both build modes (the tool and the
 * tests may still import Glibc or Foundation). errno is a macro over a
 * thread-local location, and open(2) is variadic: Swift can import neither,
 * so each goes through an inline function here. */
#ifndef PAM_SWIFTSQL_CLIBC_SHIM_H
#define PAM_SWIFTSQL_CLIBC_SHIM_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* errno, read and set. */
static inline int swiftsql_errno(void) { return errno; }
static inline void swiftsql_set_errno(int value) { errno = value; }

/* open(2) without its optional mode argument (the module creates no files). */
static inline int swiftsql_open(const char *path, int flags) { return open(path, flags); }

#endif
