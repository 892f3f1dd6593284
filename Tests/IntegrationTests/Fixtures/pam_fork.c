/* Test fixture: a host with threads that forks while the module is busy.
 * A second thread runs a PAM transaction on SLOW_SERVICE (whose query takes
 * a while, so the module holds its lock); meanwhile the main thread forks,
 * and the child runs a transaction on FAST_SERVICE. A child that cannot get
 * the module's lock would wait forever: the parent gives it WAIT seconds,
 * then kills it. Prints "child auth=PAM_X acct=PAM_Y ms=N" (or "child hung")
 * and then "slow auth=PAM_X acct=PAM_Y".
 *
 * usage: pam_fork -c CONFDIR [-w WAIT] SLOW_SERVICE FAST_SERVICE LOGIN PASSWORD */
#include <pthread.h>
#include <security/pam_appl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pam_fixture.h"

static const char *confdir, *slow_service, *fast_service, *login;
static char slow_answer[96] = "slow did not answer";

static long milliseconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void transaction(const char *service, char *text, size_t size) {
  describe_transaction(confdir, service, login, text, size);
}

static void *slow(void *unused) {
  (void)unused;
  transaction(slow_service, slow_answer, sizeof slow_answer);
  return NULL;
}

int main(int argc, char **argv) {
  int wait_seconds = 10, c;
  while ((c = getopt(argc, argv, "c:w:")) != -1) {
    switch (c) {
    case 'c': confdir = optarg; break;
    case 'w': wait_seconds = atoi(optarg); break;
    default: return 2;
    }
  }
  if (argc - optind != 4 || !confdir) {
    fprintf(stderr, "usage: pam_fork -c CONFDIR [-w WAIT] SLOW_SERVICE FAST_SERVICE LOGIN PASSWORD\n");
    return 2;
  }
  slow_service = argv[optind];
  fast_service = argv[optind + 1];
  login = argv[optind + 2];
  password = argv[optind + 3];

  pthread_t thread;
  pthread_create(&thread, NULL, slow, NULL);
  usleep(500 * 1000); /* the slow transaction is now inside its query */
  int pipes[2];
  if (pipe(pipes) != 0) return 1;
  long started = milliseconds();
  pid_t child = fork();
  if (child == 0) {
    char answer[96];
    transaction(fast_service, answer, sizeof answer);
    if (write(pipes[1], answer, strlen(answer)) < 0) _exit(1);
    _exit(0);
  }
  close(pipes[1]);
  int status = 0, exited = 0;
  while (milliseconds() - started < wait_seconds * 1000L) {
    if (waitpid(child, &status, WNOHANG) == child) {
      exited = 1;
      break;
    }
    usleep(20 * 1000);
  }
  if (!exited) {
    kill(child, SIGKILL);
    waitpid(child, &status, 0);
    printf("child hung\n");
  } else {
    char answer[96] = {0};
    ssize_t got = read(pipes[0], answer, sizeof answer - 1);
    printf("child %s ms=%ld\n", got > 0 ? answer : "no answer", milliseconds() - started);
  }
  pthread_join(thread, NULL);
  printf("slow %s\n", slow_answer);
  return 0;
}
