/* The PAM conversation of every C program that drives PAM in this project:
 * the test fixtures (pam_fixture.h) and the bench's load generators
 * (bench/loadgen/pam_loop.c, first_login.c, built with -I to this folder).
 * Every prompt is answered with `password`, which the caller sets before
 * pam_start. */
#ifndef PAM_CONVERSATION_H
#define PAM_CONVERSATION_H

#include <security/pam_appl.h>
#include <stdlib.h>
#include <string.h>

/* The password the conversation gives; set before pam_start. */
static const char *password;

static int conversation(int n, const struct pam_message **msg, struct pam_response **resp, void *data) {
  (void)data;
  struct pam_response *r = calloc((size_t)n, sizeof *r);
  if (!r) return PAM_BUF_ERR;
  for (int i = 0; i < n; i++) {
    if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
      r[i].resp = strdup(password);
  }
  *resp = r;
  return PAM_SUCCESS;
}

#endif
