/* The measuring loop the load generators share: see harness.h. */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

long long harness_now_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
}

void harness_defaults(harness_options *options) {
  options->clients = 1;
  options->duration = 3;
  options->warmup = 0.5;
  options->warmup_count = 1;
  options->min_count = 1;
  options->max_duration = 0;
  options->user_format = "u%05d";
  options->users = 10000;
  options->domain = NULL;
}

int harness_option(harness_options *options, int option, const char *value) {
  switch (option) {
  case 'c': options->clients = atoi(value); return 1;
  case 'd': options->duration = atof(value); return 1;
  case 'w': options->warmup = atof(value); return 1;
  case 'W': options->warmup_count = atol(value); return 1;
  case 'm': options->min_count = atol(value); return 1;
  case 'M': options->max_duration = atof(value); return 1;
  case 'U': options->user_format = value; return 1;
  case 'N': options->users = atoi(value); return 1;
  case 'D': options->domain = value; return 1;
  default: return 0;
  }
}

void harness_draw(const harness_options *options, unsigned *seed, harness_login *login) {
  int index = (int)(rand_r(seed) % (unsigned)(options->users > 0 ? options->users : 1));
  snprintf(login->user, sizeof login->user, options->user_format, index);
  login->domain = options->domain;
  snprintf(login->full, sizeof login->full, "%s@%s", login->user, options->domain);
}

/* What a client sends back first, before its latencies. */
typedef struct {
  long long count;
  long long errors;
  long long elapsed_ns;
  long long cpu_ns;
  int has_part;
  char why[200];
} client_report;

static int write_all(int fd, const void *buffer, size_t size) {
  const char *p = buffer;
  while (size > 0) {
    ssize_t n = write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    p += n;
    size -= (size_t)n;
  }
  return 0;
}

int harness_read_all(int fd, void *buffer, size_t size) {
  char *p = buffer;
  while (size > 0) {
    ssize_t n = read(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    p += n;
    size -= (size_t)n;
  }
  return 0;
}

/* Growable array of nanosecond latencies. */
typedef struct {
  long long *values;
  size_t count, capacity;
} series;

static int series_add(series *s, long long value) {
  if (s->count == s->capacity) {
    size_t capacity = s->capacity ? s->capacity * 2 : 4096;
    long long *grown = realloc(s->values, capacity * sizeof *grown);
    if (!grown) return -1;
    s->values = grown;
    s->capacity = capacity;
  }
  s->values[s->count++] = value;
  return 0;
}

static long long cpu_now_ns(void) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return (long long)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000000LL +
         (long long)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1000LL;
}

static void client_main(const harness_options *options, int client, int ready_fd, int go_fd, int result_fd,
                        harness_setup setup, harness_login_fn login) {
  client_report report;
  memset(&report, 0, sizeof report);
  series latencies = {0}, parts = {0};
  unsigned seed = (unsigned)(harness_now_ns() ^ (client * 2654435761u) ^ (unsigned)getpid());
  harness_login drawn;
  char ready = 'r';

  if (setup && setup(client, report.why, sizeof report.why) != 0) {
    report.errors = 1;
    if (!report.why[0]) snprintf(report.why, sizeof report.why, "client setup failed");
    write_all(ready_fd, &ready, 1);
    goto send;
  }
  /* Warm-up: until both the warm-up time and count have passed. */
  long long warm_start = harness_now_ns();
  long warm_count = 0;
  do {
    long long part = -1;
    harness_draw(options, &seed, &drawn);
    if (login(&drawn, &part, report.why, sizeof report.why) != 0) {
      report.errors++;
      write_all(ready_fd, &ready, 1);
      goto send;
    }
    warm_count++;
  } while (harness_now_ns() - warm_start < (long long)(options->warmup * 1e9) || warm_count < options->warmup_count);

  /* The barrier: say we are ready, wait until the parent closes `go`. */
  write_all(ready_fd, &ready, 1);
  {
    char ignored;
    while (read(go_fd, &ignored, 1) < 0 && errno == EINTR) {
    }
  }

  long long start = harness_now_ns(), cpu_start = cpu_now_ns();
  long long duration = (long long)(options->duration * 1e9);
  long long limit = (long long)((options->max_duration > 0 ? options->max_duration : 4 * options->duration) * 1e9);
  long long end = start;
  for (;;) {
    long long part = -1;
    harness_draw(options, &seed, &drawn);
    long long t0 = harness_now_ns();
    int rc = login(&drawn, &part, report.why, sizeof report.why);
    long long t1 = harness_now_ns();
    end = t1;
    if (rc != 0) {
      report.errors++;
    } else {
      if (series_add(&latencies, t1 - t0) != 0) break;
      if (part >= 0) {
        report.has_part = 1;
        if (series_add(&parts, part) != 0) break;
      }
    }
    long long elapsed = t1 - start;
    if (elapsed >= limit) break;
    if (elapsed >= duration && (long long)latencies.count >= options->min_count) break;
    if (report.errors > 100) break;
  }
  report.count = (long long)latencies.count;
  report.elapsed_ns = end - start;
  report.cpu_ns = cpu_now_ns() - cpu_start;

send:
  report.count = (long long)latencies.count;
  if (write_all(result_fd, &report, sizeof report) == 0 && latencies.count)
    write_all(result_fd, latencies.values, latencies.count * sizeof *latencies.values);
  if (report.has_part && parts.count == latencies.count)
    write_all(result_fd, parts.values, parts.count * sizeof *parts.values);
  _exit(0);
}

static int compare(const void *a, const void *b) {
  long long x = *(const long long *)a, y = *(const long long *)b;
  return (x > y) - (x < y);
}

/* The value at quantile q of a sorted array (nearest rank). */
static double quantile_ms(const long long *sorted, size_t n, double q) {
  if (n == 0) return 0;
  size_t rank = (size_t)(q * (double)n + 0.5);
  if (rank < 1) rank = 1;
  if (rank > n) rank = n;
  return (double)sorted[rank - 1] / 1e6;
}

int harness_run(const harness_options *options, harness_setup setup, harness_login_fn login) {
  if (!options->domain) {
    fprintf(stderr, "harness: -D DOMAIN is required\n");
    return 2;
  }
  int clients = options->clients > 0 ? options->clients : 1;
  signal(SIGPIPE, SIG_IGN);
  int ready[2], go[2];
  if (pipe(ready) != 0 || pipe(go) != 0) {
    perror("pipe");
    return 2;
  }
  pid_t *pids = calloc((size_t)clients, sizeof *pids);
  int *results = calloc((size_t)clients, sizeof *results);
  if (!pids || !results) return 2;
  fflush(stdout);
  for (int i = 0; i < clients; i++) {
    int result[2];
    if (pipe(result) != 0) {
      perror("pipe");
      return 2;
    }
    pid_t pid = fork();
    if (pid < 0) {
      perror("fork");
      return 2;
    }
    if (pid == 0) {
      close(ready[0]);
      close(go[1]);
      close(result[0]);
      client_main(options, i, ready[1], go[0], result[1], setup, login);
    }
    close(result[1]);
    pids[i] = pid;
    results[i] = result[0];
  }
  close(ready[1]);
  close(go[0]);
  for (int i = 0; i < clients; i++) {
    char byte;
    if (harness_read_all(ready[0], &byte, 1) != 0) break;
  }
  close(go[1]); /* every client starts now */

  series all = {0}, parts = {0};
  long long count = 0, errors = 0, cpu_ns = 0;
  double rate = 0;
  int has_part = 0;
  char why[200] = "";
  for (int i = 0; i < clients; i++) {
    client_report report;
    if (harness_read_all(results[i], &report, sizeof report) != 0) {
      errors++;
      snprintf(why, sizeof why, "client %d died", i);
      continue;
    }
    report.why[sizeof report.why - 1] = 0;
    size_t n = (size_t)report.count;
    long long *values = n ? malloc(n * sizeof *values) : NULL;
    if (n && (!values || harness_read_all(results[i], values, n * sizeof *values) != 0)) return 2;
    for (size_t k = 0; k < n; k++) series_add(&all, values[k]);
    if (report.has_part) {
      if (harness_read_all(results[i], values, n * sizeof *values) != 0) return 2;
      for (size_t k = 0; k < n; k++) series_add(&parts, values[k]);
      has_part = 1;
    }
    free(values);
    count += report.count;
    errors += report.errors;
    cpu_ns += report.cpu_ns;
    if (report.elapsed_ns > 0) rate += (double)report.count / ((double)report.elapsed_ns / 1e9);
    if (report.errors && !why[0]) snprintf(why, sizeof why, "%s", report.why);
    close(results[i]);
  }
  for (int i = 0; i < clients; i++) {
    int status;
    waitpid(pids[i], &status, 0);
  }
  qsort(all.values, all.count, sizeof *all.values, compare);
  double sum = 0;
  for (size_t k = 0; k < all.count; k++) sum += (double)all.values[k];
  printf("{\"clients\":%d,\"count\":%lld,\"errors\":%lld,\"rate\":%.2f,\"p50_ms\":%.4f,\"p90_ms\":%.4f,"
         "\"p99_ms\":%.4f,\"mean_ms\":%.4f,\"max_ms\":%.4f,\"client_cpu_ms\":%.4f",
         clients, count, errors, rate, quantile_ms(all.values, all.count, 0.50),
         quantile_ms(all.values, all.count, 0.90), quantile_ms(all.values, all.count, 0.99),
         all.count ? sum / (double)all.count / 1e6 : 0.0,
         all.count ? (double)all.values[all.count - 1] / 1e6 : 0.0, count ? (double)cpu_ns / (double)count / 1e6 : 0.0);
  if (has_part) {
    qsort(parts.values, parts.count, sizeof *parts.values, compare);
    printf(",\"part_p50_ms\":%.4f,\"part_p99_ms\":%.4f", quantile_ms(parts.values, parts.count, 0.50),
           quantile_ms(parts.values, parts.count, 0.99));
  }
  printf("}\n");
  fflush(stdout);
  if (errors) {
    fprintf(stderr, "%lld logins did not give the expected answer: %s\n", errors, why[0] ? why : "?");
    return 1;
  }
  return 0;
}
