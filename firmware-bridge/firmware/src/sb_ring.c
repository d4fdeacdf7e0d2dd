/* Byte ring for the transmit queue: interrupt/DMA code drains it in whatever chunks the UART takes. */
#include <string.h>

#include "sb_proto.h"

void sb_ring_init(sb_ring_t *r, uint8_t *storage, size_t cap) {
  r->buf = storage;
  r->cap = cap;
  r->head = r->tail = r->used = r->high_water = 0;
}

size_t sb_ring_used(const sb_ring_t *r) { return r->used; }
size_t sb_ring_free(const sb_ring_t *r) { return r->cap - r->used; }

bool sb_ring_write(sb_ring_t *r, const uint8_t *data, size_t len) {
  if (len > sb_ring_free(r)) return false;
  size_t first = r->cap - r->head;
  if (first > len) first = len;
  memcpy(r->buf + r->head, data, first);
  memcpy(r->buf, data + first, len - first);
  r->head = (r->head + len) % r->cap;
  r->used += len;
  if (r->used > r->high_water) r->high_water = r->used;
  return true;
}

size_t sb_ring_peek(const sb_ring_t *r, const uint8_t **data) {
  *data = r->buf + r->tail;
  size_t contiguous = r->cap - r->tail;
  return r->used < contiguous ? r->used : contiguous;
}

void sb_ring_consume(sb_ring_t *r, size_t len) {
  if (len > r->used) len = r->used;
  r->tail = (r->tail + len) % r->cap;
  r->used -= len;
}
