/* Test fixture: drives real libpam the way saslauthd does (pam_start,
 * pam_authenticate, pam_acct_mgmt, pam_end), COUNT times in one process, and
 * prints one line per transaction: "auth=PAM_X acct=PAM_Y".
 *
 * usage: pam_driver [-c CONFDIR] [-n COUNT] [-r RHOST] [-f] SERVICE LOGIN PASSWORD
 *        pam_driver [-c CONFDIR] [-r RHOST] -i SERVICE
 *   -c  use pam_start_confdir with CONFDIR instead of /etc/pam.d
 *   -f  after the first transaction, fork; parent and child each run the rest
 *       (lines are prefixed "parent " / "child ")
 *   -i  interactive: read "LOGIN<TAB>PASSWORD" lines from standard input and
 *       answer each with a result line followed by " ms=<milliseconds>", all
 *       in this one process (so the module's connection is kept between them);
 *       a line "SERVICE<TAB>LOGIN<TAB>PASSWORD" uses another service of CONFDIR
 * It is kept in C and minimal so that a trace of it (strace) shows only what
 * libpam and the module do. */
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pam_fixture.h"

static int transaction(const char *confdir, const char *service, const char *login, const char *rhost,
                       const char *prefix, const char *suffix) {
  struct pam_conv conv = {conversation, NULL};
  pam_handle_t *pamh = NULL;
  int rc = confdir ? pam_start_confdir(service, login, &conv, confdir, &pamh)
                   : pam_start(service, login, &conv, &pamh);
  if (rc != PAM_SUCCESS) {
    printf("%sstart=%s%s", prefix, name(rc), suffix);
    return 1;
  }
  if (rhost) pam_set_item(pamh, PAM_RHOST, rhost);
  int auth = pam_authenticate(pamh, PAM_SILENT);
  int acct = auth == PAM_SUCCESS ? pam_acct_mgmt(pamh, PAM_SILENT) : -1;
  printf("%sauth=%s acct=%s%s", prefix, name(auth), acct == -1 ? "-" : name(acct), suffix);
  fflush(stdout);
  pam_end(pamh, auth == PAM_SUCCESS ? acct : auth);
  return auth == PAM_SUCCESS && acct == PAM_SUCCESS ? 0 : 1;
}

int main(int argc, char **argv) {
  const char *confdir = NULL, *rhost = NULL;
  long count = 1;
  int forking = 0, interactive = 0, c;
  while ((c = getopt(argc, argv, "c:n:r:fi")) != -1) {
    switch (c) {
    case 'c': confdir = optarg; break;
    case 'n': count = strtol(optarg, NULL, 10); break;
    case 'r': rhost = optarg; break;
    case 'f': forking = 1; break;
    case 'i': interactive = 1; break;
    default: return 2;
    }
  }
  if (interactive && argc - optind == 1) {
    char line[4096];
    while (fgets(line, sizeof line, stdin)) {
      line[strcspn(line, "\n")] = 0;
      char *tab = strchr(line, '\t');
      if (!tab) continue;
      *tab = 0;
      const char *service = argv[optind], *login = line;
      password = tab + 1;
      char *second = strchr(tab + 1, '\t');
      if (second) {
        *second = 0;
        service = line;
        login = tab + 1;
        password = second + 1;
      }
      struct timespec start, end;
      clock_gettime(CLOCK_MONOTONIC, &start);
      transaction(confdir, service, login, rhost, "", "");
      clock_gettime(CLOCK_MONOTONIC, &end);
      long ms = (end.tv_sec - start.tv_sec) * 1000 + (end.tv_nsec - start.tv_nsec) / 1000000;
      printf(" ms=%ld\n", ms);
      fflush(stdout);
    }
    return 0;
  }
  if (argc - optind != 3) {
    fprintf(stderr, "usage: pam_driver [-c CONFDIR] [-n COUNT] [-r RHOST] [-f] SERVICE LOGIN PASSWORD\n"
                    "       pam_driver [-c CONFDIR] [-r RHOST] -i SERVICE\n");
    return 2;
  }
  const char *service = argv[optind], *login = argv[optind + 1];
  password = argv[optind + 2];
  int failed = 0;
  if (forking) {
    failed |= transaction(confdir, service, login, rhost, "first ", "\n");
    pid_t child = fork();
    const char *prefix = child == 0 ? "child " : "parent ";
    for (long i = 1; i < count; i++) failed |= transaction(confdir, service, login, rhost, prefix, "\n");
    if (child == 0) _exit(failed);
    int status = 0;
    waitpid(child, &status, 0);
    return failed || !WIFEXITED(status) || WEXITSTATUS(status) != 0;
  }
  for (long i = 0; i < count; i++) failed |= transaction(confdir, service, login, rhost, "", "\n");
  return failed;
}
