/* The measuring loop the load generators share (make bench, bench/README.md).
 *
 * harness_run forks N client processes. Each sets itself up (a connection,
 * a handshake), runs logins for a warm-up period, then waits at a barrier so
 * that all clients start measuring at the same moment; it then runs logins
 * back to back for the duration, timing each with CLOCK_MONOTONIC, and sends
 * its latencies to the parent through a pipe. The parent prints one JSON
 * object on standard output:
 *
 *   {"clients":N,"count":…,"errors":…,"rate":…,"p50_ms":…,"p90_ms":…,
 *    "p99_ms":…,"mean_ms":…,"max_ms":…,"client_cpu_ms":…
 *    [,"part_p50_ms":…,"part_p99_ms":…]}
 *
 * rate is the sum over clients of logins / that client's measured time;
 * client_cpu_ms is the clients' CPU time (user + system) per login.
 * "part" is an optional second timing a login may report (raw_libpq: the
 * lookup alone, without the hash). A login that does not give the expected
 * answer is an error: the run still prints its figures but exits 1, so a
 * benchmark never silently measures failures.
 *
 * Options every generator takes (harness_option):
 *   -c CLIENTS   client processes (1)
 *   -d SECONDS   measured duration per client (3)
 *   -w SECONDS   warm-up per client (0.5)
 *   -W COUNT     and at least this many warm-up logins (1)
 *   -m COUNT     go on past the duration until this many logins (1)
 *   -M SECONDS   but stop after this long in any case (4 x duration)
 *   -U FORMAT    user part, printf with one int, e.g. "u%05d" (u%05d)
 *   -N USERS     users are FORMAT(0 … USERS-1), drawn at random (10000)
 *   -D DOMAIN    the domain (required)
 */
#ifndef BENCH_HARNESS_H
#define BENCH_HARNESS_H

#include <stddef.h>

typedef struct {
  int clients;
  double duration;
  double warmup;
  long warmup_count;
  long min_count;
  double max_duration;
  const char *user_format;
  int users;
  const char *domain;
} harness_options;

/* One drawn login: user part, domain, and both joined with '@'. */
typedef struct {
  char user[128];
  const char *domain;
  char full[256];
} harness_login;

/* A client's per-process state is whatever the generator keeps in statics:
 * each client is its own process. setup runs once in each client before the
 * warm-up (0 = ready); login runs one login and returns 0 when the answer
 * was the expected one. It may set *part_ns to a sub-timing. On an error it
 * may write a reason into why (size why_size). */
typedef int (*harness_setup)(int client, char *why, size_t why_size);
typedef int (*harness_login_fn)(const harness_login *login, long long *part_ns, char *why, size_t why_size);

void harness_defaults(harness_options *options);
/* Handles one of the shared options; returns 1 if `option` was one. */
int harness_option(harness_options *options, int option, const char *value);
/* The getopt string of the shared options, to append to a generator's own. */
#define HARNESS_OPTSTRING "c:d:w:W:m:M:U:N:D:"

int harness_run(const harness_options *options, harness_setup setup, harness_login_fn login);

/* Helpers. */
long long harness_now_ns(void);

/* read(2) until size bytes have come; 0, or -1 on an error or end of file. */
int harness_read_all(int fd, void *buffer, size_t size);
void harness_draw(const harness_options *options, unsigned *seed, harness_login *login);

#endif
