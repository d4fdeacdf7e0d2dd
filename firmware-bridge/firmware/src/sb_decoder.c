/* Streaming decoder: collects bytes up to a 0x00, un-COBSes in place, checks CRC. Never stalls on garbage. */
#include "sb_proto.h"

void sb_decoder_init(sb_decoder_t *d) {
  d->len = 0;
  d->discarding = false;
  d->frames_ok = 0;
  d->frames_bad = 0;
}

int sb_decoder_push(sb_decoder_t *d, uint8_t byte, sb_frame_t *f) {
  if (byte != 0) {
    if (d->discarding) return SB_NEED_MORE;
    if (d->len == sizeof d->buf) {
      /* No delimiter where one must have been: drop everything up to the next one. */
      d->discarding = true;
      d->len = 0;
      d->frames_bad++;
      return SB_ERR_TOO_LONG;
    }
    d->buf[d->len++] = byte;
    return SB_NEED_MORE;
  }
  if (d->discarding) {
    d->discarding = false;
    return SB_NEED_MORE;
  }
  if (d->len == 0) return SB_NEED_MORE; /* idle delimiters between frames are allowed */
  size_t n = d->len;
  d->len = 0;
  int raw = sb_cobs_decode(d->buf, n, d->buf);
  int rc = raw < 0 ? raw : sb_parse_frame(d->buf, (size_t)raw, f);
  if (rc == SB_OK) {
    d->frames_ok++;
  } else {
    d->frames_bad++;
  }
  return rc;
}
