/* The PAM conversation of the in-process load generators (pam_loop,
 * first_login): every prompt is answered with conversation_answer, which the
 * caller sets before pam_start. */
#ifndef BENCH_CONVERSATION_H
#define BENCH_CONVERSATION_H

#include <security/pam_appl.h>
#include <stdlib.h>
#include <string.h>

static const char *conversation_answer;

static int conversation(int n, const struct pam_message **msg, struct pam_response **resp, void *data) {
  (void)data;
  struct pam_response *r = calloc((size_t)n, sizeof *r);
  if (!r) return PAM_BUF_ERR;
  for (int i = 0; i < n; i++) {
    if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF || msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
      r[i].resp = strdup(conversation_answer);
  }
  *resp = r;
  return PAM_SUCCESS;
}

#endif
