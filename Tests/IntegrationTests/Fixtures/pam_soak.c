/* Test fixture for leaks and lifetime: many PAM transactions (pam_start_confdir,
 * pam_authenticate, pam_acct_mgmt, pam_end, as saslauthd makes them) in one
 * process, so that the module's one kept connection serves them all.
 *
 * usage: pam_soak -c CONFDIR -n COUNT [-m EVERY] SERVICE LOGIN PASSWORD
 *   COUNT transactions. Transaction i (from 1) with i % 100 == 50 uses a
 *   wrong password, with i % 100 == 0 an unknown login ("nobody-" + LOGIN),
 *   so the failure and decoy paths run too; every other one is right.
 *   -m EVERY: after every EVERY-th transaction print "rss <i> <kB>", the
 *   process's resident set (VmRSS of /proc/self/status).
 *   At the end: "done ok=<n> wrong=<n> unknown=<n> unexpected=<n>"; the exit
 *   status is 0 only if every answer was the expected one.
 *
 * usage: pam_soak -c CONFDIR -F -n COUNT SERVICE LOGIN PASSWORD
 *   Fork mode, in this order: one transaction in the parent; fork; the child
 *   runs COUNT transactions and exits; the parent waits for it, then runs
 *   COUNT; fork again; parent and child run COUNT each at the same time; the
 *   parent waits, then runs one more. One line per transaction:
 *   "<role> pid=<pid> auth=PAM_X acct=PAM_Y" with role first, child1,
 *   parent-after, parent-beside, child2 or last.
 *
 * It calls openlog(…, LOG_PID, LOG_AUTHPRIV) so that every syslog line the
 * module writes through pam_syslog carries the pid of the process that wrote
 * it. Kept in C and minimal: valgrind then reports only libpam, the module
 * and the libraries it loads. */
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "pam_fixture.h"

/* One transaction; returns the pam_authenticate code, and the
 * pam_acct_mgmt code in *acct (-1 when it was not called). */
static int transaction(const char *confdir, const char *service, const char *login, const char *secret, int *acct) {
  struct pam_conv conv = {conversation, NULL};
  pam_handle_t *pamh = NULL;
  password = secret;
  *acct = -1;
  int rc = pam_start_confdir(service, login, &conv, confdir, &pamh);
  if (rc != PAM_SUCCESS) return rc;
  int auth = pam_authenticate(pamh, PAM_SILENT);
  if (auth == PAM_SUCCESS) *acct = pam_acct_mgmt(pamh, PAM_SILENT);
  pam_end(pamh, auth == PAM_SUCCESS ? *acct : auth);
  return auth;
}

static long resident_kilobytes(void) {
  FILE *status = fopen("/proc/self/status", "r");
  if (!status) return -1;
  char line[256];
  long kilobytes = -1;
  while (fgets(line, sizeof line, status)) {
    if (strncmp(line, "VmRSS:", 6) == 0) {
      kilobytes = strtol(line + 6, NULL, 10);
      break;
    }
  }
  fclose(status);
  return kilobytes;
}

/* Fork mode: COUNT right-password transactions, one line each. */
static int run_lines(const char *role, const char *confdir, const char *service, const char *login,
                     const char *secret, long count) {
  int failed = 0;
  for (long i = 0; i < count; i++) {
    int acct;
    int auth = transaction(confdir, service, login, secret, &acct);
    printf("%s pid=%d auth=%s acct=%s\n", role, (int)getpid(), name(auth), acct == -1 ? "-" : name(acct));
    fflush(stdout);
    failed |= auth != PAM_SUCCESS || acct != PAM_SUCCESS;
  }
  return failed;
}

static int wait_child(pid_t child) {
  int status = 0;
  if (waitpid(child, &status, 0) < 0) return 1;
  return !WIFEXITED(status) || WEXITSTATUS(status) != 0;
}

static int fork_mode(const char *confdir, const char *service, const char *login, const char *secret, long count) {
  int failed = run_lines("first", confdir, service, login, secret, 1);
  pid_t child = fork();
  if (child < 0) return 1;
  if (child == 0) _exit(run_lines("child1", confdir, service, login, secret, count));
  failed |= wait_child(child);
  failed |= run_lines("parent-after", confdir, service, login, secret, count);
  child = fork();
  if (child < 0) return 1;
  if (child == 0) _exit(run_lines("child2", confdir, service, login, secret, count));
  failed |= run_lines("parent-beside", confdir, service, login, secret, count);
  failed |= wait_child(child);
  failed |= run_lines("last", confdir, service, login, secret, 1);
  return failed;
}

int main(int argc, char **argv) {
  const char *confdir = NULL;
  long count = 1, every = 0;
  int forking = 0, c;
  while ((c = getopt(argc, argv, "c:n:m:F")) != -1) {
    switch (c) {
    case 'c': confdir = optarg; break;
    case 'n': count = strtol(optarg, NULL, 10); break;
    case 'm': every = strtol(optarg, NULL, 10); break;
    case 'F': forking = 1; break;
    default: return 2;
    }
  }
  if (!confdir || argc - optind != 3 || count < 1) {
    fprintf(stderr, "usage: pam_soak -c CONFDIR -n COUNT [-m EVERY] SERVICE LOGIN PASSWORD\n"
                    "       pam_soak -c CONFDIR -F -n COUNT SERVICE LOGIN PASSWORD\n");
    return 2;
  }
  const char *service = argv[optind], *login = argv[optind + 1], *secret = argv[optind + 2];
  openlog("pam_soak", LOG_PID, LOG_AUTHPRIV);
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (forking) return fork_mode(confdir, service, login, secret, count);

  char unknown[512];
  snprintf(unknown, sizeof unknown, "nobody-%s", login);
  long ok = 0, wrong = 0, missing = 0, unexpected = 0;
  for (long i = 1; i <= count; i++) {
    int acct;
    if (i % 100 == 50) {
      int auth = transaction(confdir, service, login, "not the password", &acct);
      if (auth == PAM_AUTH_ERR) wrong++;
      else unexpected++;
    } else if (i % 100 == 0) {
      int auth = transaction(confdir, service, unknown, secret, &acct);
      if (auth == PAM_USER_UNKNOWN) missing++;
      else unexpected++;
    } else {
      int auth = transaction(confdir, service, login, secret, &acct);
      if (auth == PAM_SUCCESS && acct == PAM_SUCCESS) ok++;
      else {
        unexpected++;
        fprintf(stderr, "transaction %ld: auth=%s acct=%s\n", i, name(auth), acct == -1 ? "-" : name(acct));
      }
    }
    if (every > 0 && i % every == 0) printf("rss %ld %ld\n", i, resident_kilobytes());
  }
  printf("done ok=%ld wrong=%ld unknown=%ld unexpected=%ld\n", ok, wrong, missing, unexpected);
  closelog();
  return unexpected == 0 ? 0 : 1;
}
