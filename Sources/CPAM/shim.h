/* libpam, for the module (pam_modules.h, pam_ext.h) and for the tool's
 * direct PAM driver (pam_appl.h). Swift cannot call variadic C functions and
 * user data must never become a format string, so the one logging call goes
 * through this inline wrapper with a fixed "%s" format (STYLE.md point 9). */
#ifndef PAM_SWIFTSQL_CPAM_SHIM_H
#define PAM_SWIFTSQL_CPAM_SHIM_H

#include <security/pam_appl.h>
#include <security/pam_modules.h>
#include <security/pam_ext.h>
#include <syslog.h>

static inline void swiftsql_pam_syslog(const pam_handle_t *pamh, int priority, const char *message) {
  pam_syslog(pamh, priority, "%s", message);
}

#endif
