/* SPDX-License-Identifier: MIT */
/*
 * SHA-1 (FIPS 180-4), one shot, for the digests EVALSHA names Redis scripts by.
 * Not for anything security-related: Redis chose SHA-1 as a script's name.
 */
#include "sha1.h"

#include <stdio.h>
#include <string.h>

static uint32_t rol32(uint32_t x, int n)
{
    return (x << n) | (x >> (32 - n));
}

static void sha1_block(uint32_t h[5], const unsigned char *p)
{
    uint32_t w[80];
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    int i;

    for (i = 0; i < 16; i++) {
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    }
    for (i = 16; i < 80; i++) {
        w[i] = rol32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    }
    for (i = 0; i < 80; i++) {
        uint32_t f;
        uint32_t k;
        uint32_t t;

        if (i < 20) {
            f = (b & c) | (~b & d);
            k = 0x5a827999;
        } else if (i < 40) {
            f = b ^ c ^ d;
            k = 0x6ed9eba1;
        } else if (i < 60) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8f1bbcdc;
        } else {
            f = b ^ c ^ d;
            k = 0xca62c1d6;
        }
        t = rol32(a, 5) + f + e + k + w[i];
        e = d;
        d = c;
        c = rol32(b, 30);
        b = a;
        a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

void sha1_hex(const void *data, size_t len, char out[41])
{
    uint32_t h[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
    const unsigned char *p = data;
    unsigned char tail[128];
    size_t full = len - len % 64;
    size_t rest = len % 64;
    size_t n_tail = rest + 1 + 8 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)len * 8;
    size_t i;

    for (i = 0; i < full; i += 64) {
        sha1_block(h, p + i);
    }
    memset(tail, 0, sizeof(tail));
    if (rest > 0) {
        memcpy(tail, p + full, rest);
    }
    tail[rest] = 0x80;
    for (i = 0; i < 8; i++) {
        tail[n_tail - 1 - i] = (unsigned char)(bits >> (8 * i));
    }
    sha1_block(h, tail);
    if (n_tail == 128) {
        sha1_block(h, tail + 64);
    }
    for (i = 0; i < 5; i++) {
        snprintf(out + 8 * i, 9, "%08x", (unsigned)h[i]);
    }
}
