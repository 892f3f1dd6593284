/* What the PAM-driving fixtures (pam_driver, pam_soak, pam_threads,
 * pam_fork) share: the conversation (pam_conversation.h, which answers every
 * prompt with `password`), the names of the PAM return codes they print, and one
 * saslauthd-like transaction that describes its answer. */
#ifndef PAM_FIXTURE_H
#define PAM_FIXTURE_H

#include "pam_conversation.h"

#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *name(int code) {
  switch (code) {
  case PAM_SUCCESS: return "PAM_SUCCESS";
  case PAM_AUTH_ERR: return "PAM_AUTH_ERR";
  case PAM_USER_UNKNOWN: return "PAM_USER_UNKNOWN";
  case PAM_PERM_DENIED: return "PAM_PERM_DENIED";
  case PAM_ACCT_EXPIRED: return "PAM_ACCT_EXPIRED";
  case PAM_NEW_AUTHTOK_REQD: return "PAM_NEW_AUTHTOK_REQD";
  case PAM_AUTHTOK_EXPIRED: return "PAM_AUTHTOK_EXPIRED";
  case PAM_BUF_ERR: return "PAM_BUF_ERR";
  case PAM_AUTHINFO_UNAVAIL: return "PAM_AUTHINFO_UNAVAIL";
  case PAM_SERVICE_ERR: return "PAM_SERVICE_ERR";
  case PAM_SYSTEM_ERR: return "PAM_SYSTEM_ERR";
  case PAM_CONV_ERR: return "PAM_CONV_ERR";
  case PAM_ABORT: return "PAM_ABORT";
  case PAM_MODULE_UNKNOWN: return "PAM_MODULE_UNKNOWN";
  case PAM_IGNORE: return "PAM_IGNORE";
  default: {
    static char unnamed[32];
    snprintf(unnamed, sizeof unnamed, "PAM_CODE_%d", code);
    return unnamed;
  }
  }
}

/* One transaction as saslauthd runs it (pam_start_confdir,
 * pam_authenticate, pam_acct_mgmt, pam_end), its answer written to `text`
 * as "auth=PAM_X acct=PAM_Y" (or "start=PAM_X"). */
__attribute__((unused)) static void describe_transaction(const char *confdir, const char *service, const char *login, char *text,
                                 size_t size) {
  struct pam_conv conv = {conversation, NULL};
  pam_handle_t *pamh = NULL;
  int rc = pam_start_confdir(service, login, &conv, confdir, &pamh);
  if (rc != PAM_SUCCESS) {
    snprintf(text, size, "start=%s", name(rc));
    return;
  }
  int auth = pam_authenticate(pamh, PAM_SILENT);
  int acct = auth == PAM_SUCCESS ? pam_acct_mgmt(pamh, PAM_SILENT) : -1;
  /* name() keeps its text for an unnamed code in one static buffer. */
  char auth_name[40];
  snprintf(auth_name, sizeof auth_name, "%s", name(auth));
  snprintf(text, size, "auth=%s acct=%s", auth_name, acct == -1 ? "-" : name(acct));
  pam_end(pamh, auth == PAM_SUCCESS ? acct : auth);
}

#endif
