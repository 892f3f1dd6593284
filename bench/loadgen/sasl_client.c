/* sasl_client: logins through saslauthd's mux socket, as Postfix's libsasl2
 * sends them: one connection per login, four fields (login, password,
 * service, realm), each a big-endian 16-bit length and the bytes; the reply
 * is a length and text that starts with "OK" or "NO". The login is split
 * the way libsasl2 splits it: the user part, and the domain as the realm
 * (saslauthd -r joins them again). Rows b (through saslauthd), e and f.
 *
 * usage: sasl_client -f SOCKET -s SERVICE -p PASSWORD [harness options] */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char *socket_path, *service, *password;

static int put_field(unsigned char *buffer, size_t *at, size_t size, const char *text) {
  size_t n = strlen(text);
  if (n > 0xffff || *at + 2 + n > size) return -1;
  uint16_t length = htons((uint16_t)n);
  memcpy(buffer + *at, &length, 2);
  memcpy(buffer + *at + 2, text, n);
  *at += 2 + n;
  return 0;
}

static int login(const harness_login *drawn, long long *part_ns, char *why, size_t why_size) {
  (void)part_ns;
  unsigned char request[2048];
  size_t size = 0;
  if (put_field(request, &size, sizeof request, drawn->user) || put_field(request, &size, sizeof request, password) ||
      put_field(request, &size, sizeof request, service) ||
      put_field(request, &size, sizeof request, drawn->domain)) {
    snprintf(why, why_size, "request too long");
    return -1;
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    snprintf(why, why_size, "socket: %s", strerror(errno));
    return -1;
  }
  struct sockaddr_un address = {.sun_family = AF_UNIX};
  snprintf(address.sun_path, sizeof address.sun_path, "%s", socket_path);
  if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
    snprintf(why, why_size, "connect %s: %s", socket_path, strerror(errno));
    close(fd);
    return -1;
  }
  int result = -1;
  uint16_t length;
  char reply[1024];
  ssize_t written = write(fd, request, size);
  if (written != (ssize_t)size) {
    snprintf(why, why_size, "write: %s", strerror(errno));
  } else if (harness_read_all(fd, &length, 2) != 0) {
    snprintf(why, why_size, "no reply from saslauthd");
  } else {
    size_t n = ntohs(length);
    if (n >= sizeof reply || harness_read_all(fd, reply, n) != 0) {
      snprintf(why, why_size, "short reply from saslauthd");
    } else {
      reply[n] = 0;
      if (n >= 2 && memcmp(reply, "OK", 2) == 0) result = 0;
      else snprintf(why, why_size, "%s: saslauthd answered \"%s\"", drawn->full, reply);
    }
  }
  close(fd);
  return result;
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
  if (!socket_path || !service || !password) {
    fprintf(stderr, "usage: sasl_client -f SOCKET -s SERVICE -p PASSWORD -D DOMAIN [-c N] [-d S]\n");
    return 2;
  }
  return harness_run(&options, NULL, login);
}
