/* The C libraries' own verification of a stored value, for the floor rows
 * (raw_libpq, first_login): crypt_rn + strcmp for crypt(3) strings
 * ({MD5-CRYPT}, {SHA512-CRYPT}, bare $1$/$6$), libsodium's
 * crypto_pwhash_argon2id_str_verify for {ARGON2ID} (after sodium_init, as the
 * module and Dovecot verify them), and SHA-256 over password ‖ salt for
 * {SSHA256}. The functions are reached through pointers, so that
 * first_login can load the libraries with dlopen (timed) and raw_libpq can
 * link them. */
#ifndef BENCH_VERIFY_H
#define BENCH_VERIFY_H

#include <stddef.h>
#include <string.h>

typedef struct {
  /* libcrypt */
  char *(*crypt_rn)(const char *phrase, const char *setting, void *data, int size);
  /* libsodium */
  int (*argon2id_str_verify)(const char *encoded, const char *password, unsigned long long length);
  /* libcrypto: SHA256() */
  unsigned char *(*sha256)(const unsigned char *data, size_t count, unsigned char *md);
} verify_functions;

/* crypt_rn's data area: struct crypt_data is 32768 bytes in libxcrypt. */
#define VERIFY_CRYPT_DATA_SIZE 32768

static inline int verify_base64_value(int c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

/* Decodes standard base64 (with padding); returns the length or -1. */
static inline int verify_base64_decode(const char *in, unsigned char *out, size_t size) {
  size_t o = 0;
  unsigned bits = 0;
  int count = 0;
  for (; *in && *in != '='; in++) {
    int v = verify_base64_value((unsigned char)*in);
    if (v < 0) return -1;
    bits = bits << 6 | (unsigned)v;
    count += 6;
    if (count >= 8) {
      count -= 8;
      if (o >= size) return -1;
      out[o++] = (unsigned char)(bits >> count);
    }
  }
  return (int)o;
}

/* Which library does the work for a stored value; what follows its prefix. */
typedef enum { VERIFY_CRYPT, VERIFY_ARGON2ID, VERIFY_SSHA256, VERIFY_UNKNOWN } verify_kind;

static inline verify_kind verify_classify(const char *stored, const char **payload) {
  *payload = stored;
  if (stored[0] == '{') {
    const char *close = strchr(stored, '}');
    if (!close) return VERIFY_UNKNOWN;
    *payload = close + 1;
    size_t n = (size_t)(close - stored - 1);
    if (n == 8 && memcmp(stored + 1, "ARGON2ID", 8) == 0) return VERIFY_ARGON2ID;
    if (n == 7 && memcmp(stored + 1, "SSHA256", 7) == 0) return VERIFY_SSHA256;
    if (n >= 5 && memcmp(stored + 1 + n - 5, "CRYPT", 5) == 0) return VERIFY_CRYPT;
    return VERIFY_UNKNOWN;
  }
  return stored[0] == '$' ? VERIFY_CRYPT : VERIFY_UNKNOWN;
}

/* 1 when `password` matches `stored`, 0 when not, -1 when it cannot tell. */
static inline int verify_password(const verify_functions *f, void *crypt_data, const char *stored,
                                  const char *password) {
  const char *payload;
  switch (verify_classify(stored, &payload)) {
  case VERIFY_CRYPT: {
    const char *out = f->crypt_rn(password, payload, crypt_data, VERIFY_CRYPT_DATA_SIZE);
    if (!out || out[0] == '*') return -1;
    return strcmp(out, payload) == 0;
  }
  case VERIFY_ARGON2ID:
    return f->argon2id_str_verify(payload, password, strlen(password)) == 0;
  case VERIFY_SSHA256: {
    unsigned char raw[256], input[512], digest[32];
    int n = verify_base64_decode(payload, raw, sizeof raw);
    size_t length = strlen(password);
    if (n <= 32 || length + (size_t)(n - 32) > sizeof input) return -1;
    memcpy(input, password, length);
    memcpy(input + length, raw + 32, (size_t)n - 32);
    f->sha256(input, length + (size_t)n - 32, digest);
    unsigned char difference = 0;
    for (int i = 0; i < 32; i++) difference |= (unsigned char)(digest[i] ^ raw[i]);
    return difference == 0;
  }
  default:
    return -1;
  }
}

#endif
