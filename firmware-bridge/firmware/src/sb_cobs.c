/* Consistent Overhead Byte Stuffing: removes every 0x00 from a frame so 0x00 can mark frame ends. */
#include "sb_proto.h"

static void put_raw(sb_cobs_enc_t *e, size_t pos, uint8_t b) {
  if (pos < e->cap) {
    e->out[pos] = b;
  } else {
    e->overflow = true;
  }
}

void sb_cobs_enc_begin(sb_cobs_enc_t *e, uint8_t *out, size_t cap) {
  e->out = out;
  e->cap = cap;
  e->code_pos = 0;
  e->len = 1; /* position 0 is reserved for the first code byte */
  e->code = 1;
  e->overflow = false;
}

static void close_block(sb_cobs_enc_t *e) {
  put_raw(e, e->code_pos, e->code);
  e->code_pos = e->len;
  e->len++;
  e->code = 1;
}

void sb_cobs_enc_put(sb_cobs_enc_t *e, uint8_t byte) {
  if (byte == 0) {
    close_block(e);
    return;
  }
  put_raw(e, e->len, byte);
  e->len++;
  e->code++;
  if (e->code == 0xFF) close_block(e);
}

size_t sb_cobs_enc_end(sb_cobs_enc_t *e) {
  put_raw(e, e->code_pos, e->code);
  put_raw(e, e->len, 0x00);
  e->len++;
  return e->overflow ? 0 : e->len;
}

int sb_cobs_decode(const uint8_t *in, size_t len, uint8_t *out) {
  size_t r = 0, w = 0;
  while (r < len) {
    uint8_t code = in[r];
    if (code == 0) return SB_ERR_COBS;
    r++;
    size_t n = (size_t)code - 1u;
    if (r + n > len) return SB_ERR_COBS;
    for (size_t i = 0; i < n; i++) {
      if (in[r] == 0) return SB_ERR_COBS;
      out[w++] = in[r++];
    }
    /* A block shorter than 254 data bytes stands for a zero, except at the very end. */
    if (code != 0xFF && r < len) out[w++] = 0;
  }
  return (int)w;
}
