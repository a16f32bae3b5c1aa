/* synovia — SHA-256 of byte strings, as lowercase hex (internal).
 * Wraps nettle so no other file includes it. */
#ifndef SYN_BASE_SHA256_H
#define SYN_BASE_SHA256_H

#include <stddef.h>

enum { SYN_SHA256_HEX = 65 }; /* 64 hex digits + NUL */

typedef struct syn_sha256 {
  _Alignas(16) unsigned char opaque[128]; /* holds nettle's sha256_ctx */
} syn_sha256;

void syn_sha256_init(syn_sha256 *h);
void syn_sha256_update(syn_sha256 *h, const void *data, size_t len);
void syn_sha256_hex(syn_sha256 *h, char out[SYN_SHA256_HEX]); /* finishes h */

#endif
