/* raw_libpq: the floor of row a. Each client opens one libpq connection,
 * prepares the lookup once, then per login runs it (PQexecPrepared, one row)
 * and verifies the password with the C library alone (verify.h). The lookup
 * is timed on its own too ("part"), so that the hash's own time is the
 * difference.
 *
 * usage: raw_libpq -C CONNINFO -p PASSWORD [harness options] */
#include "harness.h"
#include "verify.h"

#include <sodium.h>
#include <crypt.h>
#include <libpq-fe.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char *conninfo, *password;
static PGconn *connection;
static struct crypt_data crypt_area;
static verify_functions functions;

static char *crypt_rn_adapter(const char *phrase, const char *setting, void *data, int size) {
  return crypt_rn(phrase, setting, data, size);
}

static int setup(int client, char *why, size_t why_size) {
  (void)client;
  connection = PQconnectdb(conninfo);
  if (PQstatus(connection) != CONNECTION_OK) {
    snprintf(why, why_size, "connect: %s", PQerrorMessage(connection));
    return -1;
  }
  PGresult *result =
      PQprepare(connection, "lookup", "SELECT password FROM users WHERE username = $1 AND domain = $2", 2, NULL);
  int ok = PQresultStatus(result) == PGRES_COMMAND_OK;
  if (!ok) snprintf(why, why_size, "prepare: %s", PQerrorMessage(connection));
  PQclear(result);
  return ok ? 0 : -1;
}

static int login(const harness_login *drawn, long long *part_ns, char *why, size_t why_size) {
  const char *values[2] = {drawn->user, drawn->domain};
  long long t0 = harness_now_ns();
  PGresult *result = PQexecPrepared(connection, "lookup", 2, values, NULL, NULL, 0);
  if (PQresultStatus(result) != PGRES_TUPLES_OK || PQntuples(result) != 1) {
    snprintf(why, why_size, "%s: lookup failed: %s", drawn->full, PQerrorMessage(connection));
    PQclear(result);
    return -1;
  }
  *part_ns = harness_now_ns() - t0;
  int match = verify_password(&functions, &crypt_area, PQgetvalue(result, 0, 0), password);
  PQclear(result);
  if (match != 1) snprintf(why, why_size, "%s: the C library says %s", drawn->full, match ? "unusable" : "no match");
  return match == 1 ? 0 : -1;
}

int main(int argc, char **argv) {
  harness_options options;
  harness_defaults(&options);
  functions.crypt_rn = crypt_rn_adapter;
  if (sodium_init() < 0) {
    fprintf(stderr, "raw_libpq: sodium_init failed\n");
    return 1;
  }
  functions.argon2id_str_verify = crypto_pwhash_argon2id_str_verify;
  functions.sha256 = SHA256;
  int c;
  while ((c = getopt(argc, argv, "C:p:" HARNESS_OPTSTRING)) != -1) {
    switch (c) {
    case 'C': conninfo = optarg; break;
    case 'p': password = optarg; break;
    default:
      if (!harness_option(&options, c, optarg)) return 2;
    }
  }
  if (!conninfo || !password) {
    fprintf(stderr, "usage: raw_libpq -C CONNINFO -p PASSWORD -D DOMAIN [-c N] [-d S]\n");
    return 2;
  }
  return harness_run(&options, setup, login);
}
