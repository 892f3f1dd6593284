/* Test fixture: THREADS threads of one process run PAM transactions (as
 * saslauthd does: pam_start_confdir, pam_authenticate, pam_acct_mgmt,
 * pam_end) on one service for SECONDS seconds, while the test rewrites the
 * module's configuration; then prints how often each answer came, one line
 * per answer: "<count> auth=PAM_X acct=PAM_Y".
 *
 * usage: pam_threads -c CONFDIR -t THREADS -s SECONDS SERVICE LOGIN PASSWORD */
#include <pthread.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pam_fixture.h"

#define MAX_ANSWERS 32

static const char *confdir, *service, *login;
static double seconds = 1;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
  char text[96];
  long count;
} answers[MAX_ANSWERS];
static int answer_count;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static void record(const char *text) {
  pthread_mutex_lock(&lock);
  int i = 0;
  while (i < answer_count && strcmp(answers[i].text, text) != 0) i++;
  if (i == answer_count && answer_count < MAX_ANSWERS) {
    snprintf(answers[i].text, sizeof answers[i].text, "%s", text);
    answer_count++;
  }
  if (i < answer_count) answers[i].count++;
  pthread_mutex_unlock(&lock);
}

static void *worker(void *unused) {
  (void)unused;
  double end = now() + seconds;
  while (now() < end) {
    char text[96];
    describe_transaction(confdir, service, login, text, sizeof text);
    record(text);
  }
  return NULL;
}

int main(int argc, char **argv) {
  int threads = 8, c;
  while ((c = getopt(argc, argv, "c:t:s:")) != -1) {
    switch (c) {
    case 'c': confdir = optarg; break;
    case 't': threads = atoi(optarg); break;
    case 's': seconds = atof(optarg); break;
    default: return 2;
    }
  }
  if (argc - optind != 3 || !confdir || threads < 1 || threads > 64) {
    fprintf(stderr, "usage: pam_threads -c CONFDIR -t THREADS -s SECONDS SERVICE LOGIN PASSWORD\n");
    return 2;
  }
  service = argv[optind];
  login = argv[optind + 1];
  password = argv[optind + 2];
  pthread_t ids[64];
  for (int i = 0; i < threads; i++) pthread_create(&ids[i], NULL, worker, NULL);
  for (int i = 0; i < threads; i++) pthread_join(ids[i], NULL);
  for (int i = 0; i < answer_count; i++) printf("%ld %s\n", answers[i].count, answers[i].text);
  return 0;
}
