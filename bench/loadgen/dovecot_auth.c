/* dovecot_auth: logins through Dovecot's auth-client socket, the way a
 * login process (imap-login) sends them: one connection per client, kept,
 * the handshake once (VERSION, CPID; the server answers VERSION, MECH…,
 * SPID, CUID, COOKIE, DONE), then per login
 *   AUTH <id> PLAIN service=SERVICE resp=base64(\0LOGIN\0PASSWORD)
 * answered by OK <id> … (or FAIL <id> …). Row g of make bench.
 *
 * usage: dovecot_auth -f SOCKET -p PASSWORD [-s SERVICE] [harness options] */
#include "harness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char *socket_path, *password, *service = "imap";
static int fd = -1;
static unsigned request_id;
static char buffer[8192];
static size_t buffered;

/* The next line from the server, without its '\n'; NULL on EOF or error. */
static char *next_line(void) {
  static size_t consumed;
  if (consumed) {
    memmove(buffer, buffer + consumed, buffered - consumed);
    buffered -= consumed;
    consumed = 0;
  }
  for (;;) {
    char *newline = memchr(buffer, '\n', buffered);
    if (newline) {
      *newline = 0;
      consumed = (size_t)(newline - buffer) + 1;
      return buffer;
    }
    if (buffered == sizeof buffer - 1) return NULL;
    ssize_t n = read(fd, buffer + buffered, sizeof buffer - 1 - buffered);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return NULL;
    buffered += (size_t)n;
  }
}

static int send_text(const char *text, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, text, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    text += n;
    size -= (size_t)n;
  }
  return 0;
}

static void base64(const unsigned char *in, size_t n, char *out) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t o = 0;
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
    out[o++] = alphabet[(v >> 18) & 63];
    out[o++] = alphabet[(v >> 12) & 63];
    out[o++] = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
    out[o++] = i + 2 < n ? alphabet[v & 63] : '=';
  }
  out[o] = 0;
}

static int setup(int client, char *why, size_t why_size) {
  (void)client;
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un address = {.sun_family = AF_UNIX};
  snprintf(address.sun_path, sizeof address.sun_path, "%s", socket_path);
  if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
    snprintf(why, why_size, "connect %s: %s", socket_path, strerror(errno));
    return -1;
  }
  char hello[64];
  int n = snprintf(hello, sizeof hello, "VERSION\t1\t2\nCPID\t%d\n", (int)getpid());
  if (send_text(hello, (size_t)n) != 0) {
    snprintf(why, why_size, "cannot send the handshake");
    return -1;
  }
  for (;;) {
    char *line = next_line();
    if (!line) {
      snprintf(why, why_size, "the auth server closed the connection during the handshake");
      return -1;
    }
    if (strcmp(line, "DONE") == 0) return 0;
  }
}

static int login(const harness_login *drawn, long long *part_ns, char *why, size_t why_size) {
  (void)part_ns;
  unsigned char plain[600];
  size_t user_length = strlen(drawn->full), password_length = strlen(password);
  if (user_length + password_length + 2 > sizeof plain) return -1;
  plain[0] = 0;
  memcpy(plain + 1, drawn->full, user_length);
  plain[1 + user_length] = 0;
  memcpy(plain + 2 + user_length, password, password_length);
  char encoded[820], request[1024];
  base64(plain, user_length + password_length + 2, encoded);
  unsigned id = ++request_id;
  int n = snprintf(request, sizeof request, "AUTH\t%u\tPLAIN\tservice=%s\tresp=%s\n", id, service, encoded);
  if (n <= 0 || (size_t)n >= sizeof request || send_text(request, (size_t)n) != 0) {
    snprintf(why, why_size, "cannot send AUTH");
    return -1;
  }
  char expect[32];
  snprintf(expect, sizeof expect, "\t%u", id);
  for (;;) {
    char *line = next_line();
    if (!line) {
      snprintf(why, why_size, "the auth server closed the connection");
      return -1;
    }
    char *tab = strchr(line, '\t');
    if (!tab || strncmp(tab, expect, strlen(expect)) != 0) continue;
    if (strncmp(line, "OK\t", 3) == 0) return 0;
    snprintf(why, why_size, "%s: %.150s", drawn->full, line);
    return -1;
  }
}

int main(int argc, char **argv) {
  harness_options options;
  harness_defaults(&options);
  int c;
  while ((c = getopt(argc, argv, "f:s:p:" HARNESS_OPTSTRING)) != -1) {
    switch (c) {
    case 'f': socket_path = optarg; break;
    case 's': service = optarg; break;
    case 'p': password = optarg; break;
    default:
      if (!harness_option(&options, c, optarg)) return 2;
    }
  }
  if (!socket_path || !password) {
    fprintf(stderr, "usage: dovecot_auth -f SOCKET -p PASSWORD [-s SERVICE] -D DOMAIN [-c N] [-d S]\n");
    return 2;
  }
  return harness_run(&options, setup, login);
}
