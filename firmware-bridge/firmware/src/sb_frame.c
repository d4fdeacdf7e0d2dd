/* Frame encoding/parsing and the payload layouts of PROTOCOL.md. All integers little-endian. */
#include <string.h>

#include "sb_proto.h"

static void w16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static void w32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void w64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void wf32(uint8_t *p, float f) {
  uint32_t v;
  memcpy(&v, &f, sizeof v);
  w32(p, v);
}
static uint16_t r16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t r32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static uint64_t r64(const uint8_t *p) { return (uint64_t)r32(p) | ((uint64_t)r32(p + 4) << 32); }
static float rf32(const uint8_t *p) {
  uint32_t v = r32(p);
  float f;
  memcpy(&f, &v, sizeof f);
  return f;
}

size_t sb_encode_frame(const sb_header_t *h, const uint8_t *payload, size_t payload_len, uint8_t *out,
                       size_t out_cap) {
  if (payload_len > SB_MAX_PAYLOAD) return 0;
  uint8_t head[SB_HEADER_SIZE];
  head[0] = SB_PROTOCOL_VERSION;
  head[1] = h->type;
  head[2] = h->stream;
  head[3] = h->flags;
  w16(head + 4, h->seq);
  w64(head + 6, h->t_us);
  uint32_t crc = sb_crc32_update(0, head, sizeof head);
  crc = sb_crc32_update(crc, payload, payload_len);
  uint8_t tail[SB_CRC_SIZE];
  w32(tail, crc);

  sb_cobs_enc_t e;
  sb_cobs_enc_begin(&e, out, out_cap);
  for (size_t i = 0; i < sizeof head; i++) sb_cobs_enc_put(&e, head[i]);
  for (size_t i = 0; i < payload_len; i++) sb_cobs_enc_put(&e, payload[i]);
  for (size_t i = 0; i < sizeof tail; i++) sb_cobs_enc_put(&e, tail[i]);
  return sb_cobs_enc_end(&e);
}

int sb_parse_frame(const uint8_t *raw, size_t len, sb_frame_t *f) {
  if (len < SB_HEADER_SIZE + SB_CRC_SIZE) return SB_ERR_SHORT;
  if (len > SB_MAX_RAW_FRAME) return SB_ERR_TOO_LONG;
  uint32_t want = r32(raw + len - SB_CRC_SIZE);
  if (sb_crc32(raw, len - SB_CRC_SIZE) != want) return SB_ERR_CRC;
  if (raw[0] != SB_PROTOCOL_VERSION) return SB_ERR_VERSION;
  f->h.type = raw[1];
  f->h.stream = raw[2];
  f->h.flags = raw[3];
  f->h.seq = r16(raw + 4);
  f->h.t_us = r64(raw + 6);
  f->payload = raw + SB_HEADER_SIZE;
  f->payload_len = len - SB_HEADER_SIZE - SB_CRC_SIZE;
  return SB_OK;
}

size_t sb_put_hello(uint8_t *p, size_t cap, const sb_hello_t *hello) {
  size_t name_len = strlen(hello->name);
  if (name_len > SB_NAME_MAX || hello->sensor_count > SB_MAX_SENSORS) return 0;
  size_t n = 12u + 1u + name_len + (size_t)hello->sensor_count * SB_SENSOR_DESC_SIZE;
  if (n > cap) return 0;
  p[0] = hello->fw_major;
  p[1] = hello->fw_minor;
  p[2] = hello->fw_patch;
  p[3] = hello->sensor_count;
  w32(p + 4, hello->device_uid);
  w32(p + 8, hello->boot_id);
  p[12] = (uint8_t)name_len;
  memcpy(p + 13, hello->name, name_len);
  uint8_t *d = p + 13 + name_len;
  for (uint8_t i = 0; i < hello->sensor_count; i++, d += SB_SENSOR_DESC_SIZE) {
    const sb_sensor_desc_t *s = &hello->sensors[i];
    d[0] = s->stream;
    d[1] = s->kind;
    w16(d + 2, s->param_a);
    w16(d + 4, s->param_b);
    w16(d + 6, s->batch);
    w32(d + 8, s->rate_mhz);
    wf32(d + 12, s->scale_a);
    wf32(d + 16, s->scale_b);
  }
  return n;
}

int sb_get_hello(const uint8_t *p, size_t len, sb_hello_t *hello) {
  if (len < 13) return SB_ERR_PAYLOAD;
  size_t name_len = p[12];
  if (name_len > SB_NAME_MAX || p[3] > SB_MAX_SENSORS) return SB_ERR_PAYLOAD;
  if (len != 13u + name_len + (size_t)p[3] * SB_SENSOR_DESC_SIZE) return SB_ERR_PAYLOAD;
  hello->fw_major = p[0];
  hello->fw_minor = p[1];
  hello->fw_patch = p[2];
  hello->sensor_count = p[3];
  hello->device_uid = r32(p + 4);
  hello->boot_id = r32(p + 8);
  memcpy(hello->name, p + 13, name_len);
  hello->name[name_len] = '\0';
  const uint8_t *d = p + 13 + name_len;
  for (uint8_t i = 0; i < hello->sensor_count; i++, d += SB_SENSOR_DESC_SIZE) {
    sb_sensor_desc_t *s = &hello->sensors[i];
    s->stream = d[0];
    s->kind = d[1];
    s->param_a = r16(d + 2);
    s->param_b = r16(d + 4);
    s->batch = r16(d + 6);
    s->rate_mhz = r32(d + 8);
    s->scale_a = rf32(d + 12);
    s->scale_b = rf32(d + 16);
  }
  return SB_OK;
}

size_t sb_put_heartbeat(uint8_t *p, size_t cap, const sb_heartbeat_t *hb) {
  if (cap < 8) return 0;
  w32(p, hb->tx_dropped_frames);
  w16(p + 4, hb->tx_high_water);
  p[6] = hb->status;
  p[7] = 0;
  return 8;
}

int sb_get_heartbeat(const uint8_t *p, size_t len, sb_heartbeat_t *hb) {
  if (len != 8) return SB_ERR_PAYLOAD;
  hb->tx_dropped_frames = r32(p);
  hb->tx_high_water = r16(p + 4);
  hb->status = p[6];
  return SB_OK;
}

size_t sb_put_sync_request(uint8_t *p, size_t cap, const sb_sync_request_t *rq) {
  if (cap < 12) return 0;
  w32(p, rq->id);
  w64(p + 4, rq->host_t1);
  return 12;
}

int sb_get_sync_request(const uint8_t *p, size_t len, sb_sync_request_t *rq) {
  if (len != 12) return SB_ERR_PAYLOAD;
  rq->id = r32(p);
  rq->host_t1 = r64(p + 4);
  return SB_OK;
}

size_t sb_put_sync_reply(uint8_t *p, size_t cap, const sb_sync_reply_t *rp) {
  if (cap < 28) return 0;
  w32(p, rp->id);
  w64(p + 4, rp->host_t1);
  w64(p + 12, rp->dev_rx_us);
  w64(p + 20, rp->dev_tx_us);
  return 28;
}

int sb_get_sync_reply(const uint8_t *p, size_t len, sb_sync_reply_t *rp) {
  if (len != 28) return SB_ERR_PAYLOAD;
  rp->id = r32(p);
  rp->host_t1 = r64(p + 4);
  rp->dev_rx_us = r64(p + 12);
  rp->dev_tx_us = r64(p + 20);
  return SB_OK;
}

size_t sb_put_error(uint8_t *p, size_t cap, const sb_error_t *err) {
  size_t n = strlen(err->text);
  if (n > SB_ERROR_TEXT_MAX || cap < 4 + n) return 0;
  w16(p, err->code);
  p[2] = err->stream;
  p[3] = (uint8_t)n;
  memcpy(p + 4, err->text, n);
  return 4 + n;
}

int sb_get_error(const uint8_t *p, size_t len, sb_error_t *err) {
  if (len < 4 || p[3] > SB_ERROR_TEXT_MAX || len != 4u + p[3]) return SB_ERR_PAYLOAD;
  err->code = r16(p);
  err->stream = p[2];
  memcpy(err->text, p + 4, p[3]);
  err->text[p[3]] = '\0';
  return SB_OK;
}

size_t sb_put_imu(uint8_t *p, size_t cap, const sb_imu_sample_t *samples, uint8_t count) {
  size_t n = 2u + (size_t)count * 14u;
  if (count == 0 || count > SB_IMU_MAX_BATCH || n > cap) return 0;
  p[0] = count;
  p[1] = 0;
  uint8_t *q = p + 2;
  for (uint8_t i = 0; i < count; i++, q += 14) {
    w16(q, samples[i].dt_us);
    for (int c = 0; c < 3; c++) w16(q + 2 + 2 * c, (uint16_t)samples[i].acc[c]);
    for (int c = 0; c < 3; c++) w16(q + 8 + 2 * c, (uint16_t)samples[i].gyro[c]);
  }
  return n;
}

int sb_get_imu(const uint8_t *p, size_t len, sb_imu_sample_t *samples, uint8_t max, uint8_t *count) {
  if (len < 2 || p[0] == 0 || p[0] > SB_IMU_MAX_BATCH || len != 2u + (size_t)p[0] * 14u) return SB_ERR_PAYLOAD;
  *count = p[0] < max ? p[0] : max;
  const uint8_t *q = p + 2;
  for (uint8_t i = 0; i < *count; i++, q += 14) {
    samples[i].dt_us = r16(q);
    for (int c = 0; c < 3; c++) samples[i].acc[c] = (int16_t)r16(q + 2 + 2 * c);
    for (int c = 0; c < 3; c++) samples[i].gyro[c] = (int16_t)r16(q + 8 + 2 * c);
  }
  return SB_OK;
}

size_t sb_put_audio(uint8_t *p, size_t cap, uint32_t first_index, const int16_t *pcm, uint16_t count) {
  size_t n = 6u + (size_t)count * 2u;
  if (count == 0 || count > SB_AUDIO_MAX_CHUNK || n > cap) return 0;
  w32(p, first_index);
  w16(p + 4, count);
  for (uint16_t i = 0; i < count; i++) w16(p + 6 + 2 * i, (uint16_t)pcm[i]);
  return n;
}

int sb_get_audio(const uint8_t *p, size_t len, uint32_t *first_index, int16_t *pcm, uint16_t max, uint16_t *count) {
  if (len < 6) return SB_ERR_PAYLOAD;
  uint16_t n = r16(p + 4);
  if (n == 0 || n > SB_AUDIO_MAX_CHUNK || len != 6u + (size_t)n * 2u) return SB_ERR_PAYLOAD;
  *first_index = r32(p);
  *count = n < max ? n : max;
  for (uint16_t i = 0; i < *count; i++) pcm[i] = (int16_t)r16(p + 6 + 2 * i);
  return SB_OK;
}

size_t sb_put_depth(uint8_t *p, size_t cap, uint8_t width, uint8_t height, const uint16_t *mm) {
  size_t pixels = (size_t)width * height;
  size_t n = 2u + pixels * 2u;
  if (pixels == 0 || pixels > SB_DEPTH_MAX_PIXELS || n > cap) return 0;
  p[0] = width;
  p[1] = height;
  for (size_t i = 0; i < pixels; i++) w16(p + 2 + 2 * i, mm[i]);
  return n;
}

int sb_get_depth(const uint8_t *p, size_t len, uint8_t *width, uint8_t *height, uint16_t *mm, uint16_t max) {
  if (len < 2) return SB_ERR_PAYLOAD;
  size_t pixels = (size_t)p[0] * p[1];
  if (pixels == 0 || pixels > SB_DEPTH_MAX_PIXELS || len != 2u + pixels * 2u) return SB_ERR_PAYLOAD;
  *width = p[0];
  *height = p[1];
  for (size_t i = 0; i < pixels && i < max; i++) mm[i] = r16(p + 2 + 2 * i);
  return SB_OK;
}

sb_header_t sb_stream_next(sb_stream_t *s, uint8_t type, uint64_t t_us) {
  sb_header_t h = {type, s->id, 0, s->next_seq, t_us};
  s->next_seq = (uint16_t)(s->next_seq + 1u);
  return h;
}
