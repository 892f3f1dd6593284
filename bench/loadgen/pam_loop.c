/* pam_loop: PAM transactions in-process, the way saslauthd's PAM mechanism
 * runs them (pam_start, pam_authenticate(PAM_SILENT), pam_acct_mgmt when
 * that succeeded, pam_end), back to back in each of N client processes.
 * Rows b, c, d and the unknown-vs-wrong timing of make bench.
 *
 * usage: pam_loop -s SERVICE -p PASSWORD [-e success|auth|unknown] [harness options]
 *        pam_loop -s SERVICE -p PASSWORD -T PAIRS -D DOMAIN
 *   -e  the expected answer of pam_authenticate: PAM_SUCCESS (and then
 *       pam_acct_mgmt's PAM_SUCCESS), PAM_AUTH_ERR or PAM_USER_UNKNOWN
 *   -T  timing: PAIRS times, in one process, a login that exists with a
 *       wrong password (PASSWORD with its last character changed, so of the
 *       same length; PAM_AUTH_ERR) and a
 *       login that does not exist ("nobody%05d@DOMAIN"; PAM_USER_UNKNOWN),
 *       in alternating order, each timed; prints the medians and means:
 *       {"pairs":…,"wrong_p50_ms":…,"unknown_p50_ms":…,"wrong_mean_ms":…,
 *        "unknown_mean_ms":…}
 * The login is USER@DOMAIN (harness.h). */
#include "harness.h"

#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pam_conversation.h"

static const char *service; /* and `password`, the conversation's */
static int expected = PAM_SUCCESS;


static int login(const harness_login *drawn, long long *part_ns, char *why, size_t why_size) {
  (void)part_ns;
  struct pam_conv conv = {conversation, NULL};
  pam_handle_t *pamh = NULL;
  int rc = pam_start(service, drawn->full, &conv, &pamh);
  if (rc != PAM_SUCCESS) {
    snprintf(why, why_size, "pam_start(%s): %d", service, rc);
    return -1;
  }
  int auth = pam_authenticate(pamh, PAM_SILENT);
  int acct = auth == PAM_SUCCESS ? pam_acct_mgmt(pamh, PAM_SILENT) : PAM_SUCCESS;
  int ok = auth == expected && acct == PAM_SUCCESS;
  if (!ok)
    snprintf(why, why_size, "%s: pam_authenticate %s, pam_acct_mgmt %s", drawn->full, pam_strerror(pamh, auth),
             pam_strerror(pamh, acct));
  pam_end(pamh, auth == PAM_SUCCESS ? acct : auth);
  return ok ? 0 : -1;
}

static int compare(const void *a, const void *b) {
  long long x = *(const long long *)a, y = *(const long long *)b;
  return (x > y) - (x < y);
}

static double median_ms(long long *values, long n) {
  qsort(values, (size_t)n, sizeof *values, compare);
  return (double)(n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2) / 1e6;
}

static double mean_ms(const long long *values, long n) {
  double sum = 0;
  for (long i = 0; i < n; i++) sum += (double)values[i];
  return sum / (double)n / 1e6;
}

/* -T: one transaction (with the current `password`) that must answer
 * `want`; its time in ns, or -1. */
static long long timed(const harness_options *options, const char *user_format, int want, unsigned *seed) {
  harness_options drawn_options = *options;
  drawn_options.user_format = user_format;
  harness_login drawn;
  harness_draw(&drawn_options, seed, &drawn);
  char why[256] = "";
  int saved = expected;
  expected = want;
  long long t0 = harness_now_ns();
  int rc = login(&drawn, NULL, why, sizeof why);
  long long t1 = harness_now_ns();
  expected = saved;
  if (rc != 0) {
    fprintf(stderr, "pam_loop: %s\n", why);
    return -1;
  }
  return t1 - t0;
}

static int timing(const harness_options *options, long pairs) {
  if (!options->domain || pairs < 1) return 2;
  long long *wrong = calloc((size_t)pairs, sizeof *wrong), *unknown = calloc((size_t)pairs, sizeof *unknown);
  if (!wrong || !unknown) return 2;
  /* The same length as the right one: crypt(3)'s cost depends on the
   * length (SHA-512-crypt hashes 1 or 2 blocks per round), and the unknown
   * logins are checked with the typed, right password. */
  char wrong_password[512];
  snprintf(wrong_password, sizeof wrong_password, "%s", password);
  size_t length = strlen(wrong_password);
  if (length == 0) return 2;
  wrong_password[length - 1] = wrong_password[length - 1] == 'x' ? 'y' : 'x';
  const char *right = password;
  unsigned seed = (unsigned)harness_now_ns();
  for (long i = -2; i < pairs; i++) { /* two pairs of warm-up */
    long long w = 0, u = 0;
    for (int k = 0; k < 2; k++) {
      if ((k == 0) == (i % 2 == 0)) {
        password = wrong_password;
        w = timed(options, options->user_format, PAM_AUTH_ERR, &seed);
        password = right;
      } else {
        u = timed(options, "nobody%05d", PAM_USER_UNKNOWN, &seed);
      }
    }
    if (w < 0 || u < 0) return 1;
    if (i >= 0) {
      wrong[i] = w;
      unknown[i] = u;
    }
  }
  double wrong_mean = mean_ms(wrong, pairs), unknown_mean = mean_ms(unknown, pairs);
  printf("{\"pairs\":%ld,\"wrong_p50_ms\":%.4f,\"unknown_p50_ms\":%.4f,\"wrong_mean_ms\":%.4f,"
         "\"unknown_mean_ms\":%.4f}\n",
         pairs, median_ms(wrong, pairs), median_ms(unknown, pairs), wrong_mean, unknown_mean);
  return 0;
}

int main(int argc, char **argv) {
  harness_options options;
  harness_defaults(&options);
  int c;
  long pairs = 0;
  while ((c = getopt(argc, argv, "s:p:e:T:" HARNESS_OPTSTRING)) != -1) {
    switch (c) {
    case 'T': pairs = atol(optarg); break;
    case 's': service = optarg; break;
    case 'p': password = optarg; break;
    case 'e':
      if (strcmp(optarg, "success") == 0) expected = PAM_SUCCESS;
      else if (strcmp(optarg, "auth") == 0) expected = PAM_AUTH_ERR;
      else if (strcmp(optarg, "unknown") == 0) expected = PAM_USER_UNKNOWN;
      else return 2;
      break;
    default:
      if (!harness_option(&options, c, optarg)) return 2;
    }
  }
  if (!service || !password) {
    fprintf(stderr, "usage: pam_loop -s SERVICE -p PASSWORD [-e success|auth|unknown] -D DOMAIN [-c N] [-d S]\n");
    return 2;
  }
  if (pairs) return timing(&options, pairs);
  return harness_run(&options, NULL, login);
}
