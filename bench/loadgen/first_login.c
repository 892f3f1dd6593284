/* first_login: what the first login costs in a fresh process, against what
 * the same work costs with libpq and the C libraries alone. make bench runs
 * each mode many times, each in a new process, alternating, and compares
 * the medians.
 *
 *   first_login pam SERVICE LOGIN PASSWORD [once]
 *       one PAM transaction as saslauthd runs it (pam_start … pam_end),
 *       timed, then a second one (not with "once", for instruction counts
 *       of the first alone): {"first_ms":…,"second_ms":…}. For our module
 *       the first includes dlopen, the Swift runtime's start-up, reading
 *       the configuration, the decoy hash, connecting and preparing.
 *   first_login dlopen PATH…
 *       dlopen(PATH, RTLD_NOW) of each in turn: {"dlopen_ms":…} (all of
 *       them), "first_ms" (the first), "rest_ms" (the others, with the
 *       first already loaded: libpq.so.5 then the module shows what the
 *       module costs beyond libpq and its dependencies)
 *   first_login libpq CONNINFO USER DOMAIN PASSWORD
 *       dlopen libpq (and with it its dependencies), PQconnectdb:
 *       "connect_ms"; then prepare and run the lookup: "lookup_ms"; then
 *       dlopen the library that verifies the stored value and verify it:
 *       "total_ms" is all of it.
 * Every mode also prints "libraries": the shared objects mapped at the end.
 * This program links only libc and libpam, so that every other library is
 * loaded inside the timed part, as it is for the module. */
#include "pam_conversation.h"
#include "verify.h"

#include <dlfcn.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)now.tv_sec * 1e3 + (double)now.tv_nsec / 1e6;
}

/* The shared objects mapped into this process now. */
static int libraries(void) {
  FILE *maps = fopen("/proc/self/maps", "r");
  if (!maps) return -1;
  char line[4096], seen[256][256];
  int count = 0;
  while (fgets(line, sizeof line, maps)) {
    char *path = strchr(line, '/');
    if (!path || !strstr(path, ".so")) continue;
    path[strcspn(path, "\n")] = 0;
    int known = 0;
    for (int i = 0; i < count && !known; i++) known = strcmp(seen[i], path) == 0;
    if (!known && count < 256) snprintf(seen[count++], sizeof seen[0], "%s", path);
  }
  fclose(maps);
  return count;
}


static int transaction(const char *service, const char *login) {
  struct pam_conv conv = {conversation, NULL};
  pam_handle_t *pamh = NULL;
  if (pam_start(service, login, &conv, &pamh) != PAM_SUCCESS) return -1;
  int auth = pam_authenticate(pamh, PAM_SILENT);
  int acct = auth == PAM_SUCCESS ? pam_acct_mgmt(pamh, PAM_SILENT) : auth;
  pam_end(pamh, acct);
  return acct == PAM_SUCCESS ? 0 : -1;
}

/* libpq's functions, found with dlsym. */
typedef void PGconn;
typedef void PGresult;
static PGconn *(*pq_connectdb)(const char *);
static int (*pq_status)(const PGconn *);
static char *(*pq_error_message)(const PGconn *);
static PGresult *(*pq_prepare)(PGconn *, const char *, const char *, int, const void *);
static PGresult *(*pq_exec_prepared)(PGconn *, const char *, int, const char *const *, const int *, const int *, int);
static int (*pq_result_status)(const PGresult *);
static int (*pq_ntuples)(const PGresult *);
static char *(*pq_getvalue)(const PGresult *, int, int);
static void (*pq_clear)(PGresult *);
static void (*pq_finish)(PGconn *);

static void *symbol(void *library, const char *name) {
  void *found = dlsym(library, name);
  if (!found) {
    fprintf(stderr, "first_login: no %s: %s\n", name, dlerror());
    exit(1);
  }
  return found;
}

static void *load(const char *name) {
  void *library = dlopen(name, RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    fprintf(stderr, "first_login: %s\n", dlerror());
    exit(1);
  }
  return library;
}

static int libpq_mode(const char *conninfo, const char *user, const char *domain) {
  double t0 = now_ms();
  void *libpq = load("libpq.so.5");
  *(void **)&pq_connectdb = symbol(libpq, "PQconnectdb");
  *(void **)&pq_status = symbol(libpq, "PQstatus");
  *(void **)&pq_error_message = symbol(libpq, "PQerrorMessage");
  *(void **)&pq_prepare = symbol(libpq, "PQprepare");
  *(void **)&pq_exec_prepared = symbol(libpq, "PQexecPrepared");
  *(void **)&pq_result_status = symbol(libpq, "PQresultStatus");
  *(void **)&pq_ntuples = symbol(libpq, "PQntuples");
  *(void **)&pq_getvalue = symbol(libpq, "PQgetvalue");
  *(void **)&pq_clear = symbol(libpq, "PQclear");
  *(void **)&pq_finish = symbol(libpq, "PQfinish");
  PGconn *connection = pq_connectdb(conninfo);
  if (pq_status(connection) != 0 /* CONNECTION_OK */) {
    fprintf(stderr, "first_login: %s", pq_error_message(connection));
    return 1;
  }
  double t1 = now_ms();
  PGresult *prepared =
      pq_prepare(connection, "lookup", "SELECT password FROM users WHERE username = $1 AND domain = $2", 2, NULL);
  pq_clear(prepared);
  const char *values[2] = {user, domain};
  PGresult *result = pq_exec_prepared(connection, "lookup", 2, values, NULL, NULL, 0);
  if (pq_result_status(result) != 2 /* PGRES_TUPLES_OK */ || pq_ntuples(result) != 1) {
    fprintf(stderr, "first_login: the lookup failed: %s", pq_error_message(connection));
    return 1;
  }
  double t2 = now_ms();
  const char *stored = pq_getvalue(result, 0, 0), *payload;
  verify_functions functions = {0};
  switch (verify_classify(stored, &payload)) {
  case VERIFY_CRYPT: *(void **)&functions.crypt_rn = symbol(load("libcrypt.so.1"), "crypt_rn"); break;
  case VERIFY_ARGON2ID: {
    void *sodium = load("libsodium.so.23");
    int (*sodium_init)(void);
    *(void **)&sodium_init = symbol(sodium, "sodium_init");
    if (sodium_init() < 0) {
      fprintf(stderr, "first_login: sodium_init failed\n");
      return 1;
    }
    *(void **)&functions.argon2id_str_verify = symbol(sodium, "crypto_pwhash_argon2id_str_verify");
    break;
  }
  case VERIFY_SSHA256: *(void **)&functions.sha256 = symbol(load("libcrypto.so.3"), "SHA256"); break;
  default: fprintf(stderr, "first_login: unknown stored value\n"); return 1;
  }
  static char crypt_data[VERIFY_CRYPT_DATA_SIZE];
  int match = verify_password(&functions, crypt_data, stored, password);
  double t3 = now_ms();
  pq_clear(result);
  pq_finish(connection);
  if (match != 1) {
    fprintf(stderr, "first_login: the password does not verify\n");
    return 1;
  }
  printf("{\"connect_ms\":%.3f,\"lookup_ms\":%.3f,\"total_ms\":%.3f,\"libraries\":%d}\n", t1 - t0, t2 - t1,
         t3 - t0, libraries());
  return 0;
}

int main(int argc, char **argv) {
  if ((argc == 5 || (argc == 6 && strcmp(argv[5], "once") == 0)) && strcmp(argv[1], "pam") == 0) {
    password = argv[4];
    double t0 = now_ms();
    int first = transaction(argv[2], argv[3]);
    double t1 = now_ms();
    int second = argc == 5 ? transaction(argv[2], argv[3]) : 0;
    double t2 = now_ms();
    if (first || second) {
      fprintf(stderr, "first_login: %s was not accepted through %s\n", argv[3], argv[2]);
      return 1;
    }
    /* libpam has unloaded what it does not keep (all but -z nodelete). */
    printf("{\"first_ms\":%.3f,\"second_ms\":%.3f,\"libraries\":%d}\n", t1 - t0, t2 - t1, libraries());
    return 0;
  }
  if (argc >= 3 && strcmp(argv[1], "dlopen") == 0) {
    double t0 = now_ms();
    load(argv[2]);
    double t1 = now_ms();
    for (int i = 3; i < argc; i++) load(argv[i]);
    double t2 = now_ms();
    printf("{\"dlopen_ms\":%.3f,\"first_ms\":%.3f,\"rest_ms\":%.3f,\"libraries\":%d}\n", t2 - t0, t1 - t0, t2 - t1,
           libraries());
    return 0;
  }
  if (argc == 6 && strcmp(argv[1], "libpq") == 0) {
    password = argv[5];
    return libpq_mode(argv[2], argv[3], argv[4]);
  }
  fprintf(stderr, "usage: first_login pam SERVICE LOGIN PASSWORD [once]\n"
                  "       first_login dlopen PATH...\n"
                  "       first_login libpq CONNINFO USER DOMAIN PASSWORD\n");
  return 2;
}
