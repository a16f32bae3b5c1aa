/* synovia — SHA-256 through nettle (see sha256.h). */
#include "sha256.h"

#include <nettle/sha2.h>

_Static_assert(sizeof(struct sha256_ctx) <= sizeof(((syn_sha256 *)0)->opaque),
               "syn_sha256 too small for nettle's sha256_ctx");

void syn_sha256_init(syn_sha256 *h) { sha256_init((struct sha256_ctx *)(void *)h->opaque); }

void syn_sha256_update(syn_sha256 *h, const void *data, size_t len) {
  sha256_update((struct sha256_ctx *)(void *)h->opaque, len, data);
}

void syn_sha256_hex(syn_sha256 *h, char out[SYN_SHA256_HEX]) {
  static const char digits[] = "0123456789abcdef";
  unsigned char d[SHA256_DIGEST_SIZE];
  sha256_digest((struct sha256_ctx *)(void *)h->opaque, sizeof d, d);
  for (size_t i = 0; i < sizeof d; i++) {
    out[2 * i] = digits[d[i] >> 4];
    out[2 * i + 1] = digits[d[i] & 15];
  }
  out[64] = 0;
}
