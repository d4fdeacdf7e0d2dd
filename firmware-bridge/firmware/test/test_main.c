/*
 * Host unit tests of the portable core, plus the shared test vectors (firmware-bridge/test-vectors): each
 * vector's hex must decode to its stated meaning, and encoding the meaning must give the same bytes. The
 * TypeScript tests check the same file, so the two ends of the link cannot drift apart.
 *
 * Usage: sb_test [vectors.json]            run everything (exit 0 = pass)
 *        sb_test --emit-hex vectors.json   print "name<TAB>hex" encoded from each vector's meaning
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_mini.h"
#include "sb_proto.h"

static int failures;
static int checks;

#define CHECK(cond, ...)                                              \
  do {                                                                \
    checks++;                                                         \
    if (!(cond)) {                                                    \
      failures++;                                                     \
      fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                   \
      fputc('\n', stderr);                                            \
    }                                                                 \
  } while (0)

static uint32_t rng_state = 12345u;
static uint32_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return rng_state;
}

/* ---------- unit tests ---------- */

static void test_crc(void) {
  const uint8_t check[] = "123456789";
  CHECK(sb_crc32(check, 9) == 0xCBF43926u, "check value %08x", (unsigned)sb_crc32(check, 9));
  uint32_t part = sb_crc32_update(sb_crc32(check, 4), check + 4, 5);
  CHECK(part == 0xCBF43926u, "incremental %08x", (unsigned)part);
}

static void test_cobs_roundtrip(void) {
  static uint8_t in[700], enc[720], dec[720];
  const size_t lengths[] = {1, 2, 253, 254, 255, 256, 508, 509, 600, 700};
  for (size_t li = 0; li < sizeof lengths / sizeof lengths[0]; li++) {
    for (int mode = 0; mode < 3; mode++) {
      size_t n = lengths[li];
      for (size_t i = 0; i < n; i++) in[i] = mode == 0 ? 0 : mode == 1 ? (uint8_t)(1 + i % 255) : (uint8_t)rnd();
      sb_cobs_enc_t e;
      sb_cobs_enc_begin(&e, enc, sizeof enc);
      for (size_t i = 0; i < n; i++) sb_cobs_enc_put(&e, in[i]);
      size_t m = sb_cobs_enc_end(&e);
      CHECK(m > 0 && enc[m - 1] == 0, "len %zu mode %d: encoded %zu", n, mode, m);
      for (size_t i = 0; i + 1 < m; i++) CHECK(enc[i] != 0, "zero inside encoding at %zu", i);
      CHECK(m <= n + n / 254 + 2, "overhead %zu for %zu", m, n);
      int d = sb_cobs_decode(enc, m - 1, dec);
      CHECK(d == (int)n && memcmp(in, dec, n) == 0, "len %zu mode %d: decoded %d", n, mode, d);
    }
  }
  uint8_t small[4];
  sb_cobs_enc_t e;
  sb_cobs_enc_begin(&e, small, sizeof small);
  for (int i = 0; i < 10; i++) sb_cobs_enc_put(&e, 7);
  CHECK(sb_cobs_enc_end(&e) == 0, "overflow not reported");
  const uint8_t broken[] = {0x05, 0x01, 0x02};
  CHECK(sb_cobs_decode(broken, sizeof broken, dec) == SB_ERR_COBS, "overrun not detected");
}

static void test_ring(void) {
  uint8_t storage[10];
  sb_ring_t r;
  sb_ring_init(&r, storage, sizeof storage);
  const uint8_t a[] = {1, 2, 3, 4, 5, 6, 7};
  CHECK(sb_ring_write(&r, a, 7), "write 7");
  CHECK(!sb_ring_write(&r, a, 4), "all-or-nothing");
  CHECK(sb_ring_used(&r) == 7, "used %zu", sb_ring_used(&r));
  sb_ring_consume(&r, 5);
  CHECK(sb_ring_write(&r, a, 6), "wrapping write");
  const uint8_t *p;
  size_t n = sb_ring_peek(&r, &p);
  CHECK(n == 5 && p[0] == 6 && p[1] == 7 && p[2] == 1, "peek %zu", n);
  sb_ring_consume(&r, n);
  n = sb_ring_peek(&r, &p);
  CHECK(n == 3 && p[0] == 4 && p[2] == 6, "peek after wrap %zu", n);
  sb_ring_consume(&r, 100);
  CHECK(sb_ring_used(&r) == 0 && r.high_water == 8, "empty, high water %zu", r.high_water);
}

static size_t make_heartbeat(uint8_t *out, size_t cap, uint16_t seq) {
  sb_heartbeat_t hb = {3, 100, 7};
  uint8_t payload[8];
  size_t pl = sb_put_heartbeat(payload, sizeof payload, &hb);
  sb_header_t h = {SB_T_HEARTBEAT, 0, 0, seq, 1000u * seq};
  return sb_encode_frame(&h, payload, pl, out, cap);
}

static void test_decoder_resync(void) {
  static sb_decoder_t d;
  sb_decoder_init(&d);
  uint8_t frame[64];
  size_t n = make_heartbeat(frame, sizeof frame, 9);
  sb_frame_t f;
  int ok = 0, bad = 0;
  /* garbage without a delimiter, then a delimiter, then a good frame; a good frame with a flipped bit. */
  for (int i = 0; i < 5000; i++) {
    uint8_t b = (uint8_t)(rnd() | 1u);
    int rc = sb_decoder_push(&d, b, &f);
    bad += rc < 0;
  }
  sb_decoder_push(&d, 0, &f);
  for (size_t i = 0; i < n; i++) {
    int rc = sb_decoder_push(&d, frame[i], &f);
    if (rc == SB_OK) {
      ok++;
      CHECK(f.h.type == SB_T_HEARTBEAT && f.h.seq == 9, "type %d seq %d", f.h.type, f.h.seq);
    }
  }
  CHECK(ok == 1, "good frame after garbage decoded (%d)", ok);
  CHECK(bad == 1 && d.frames_bad == 1, "over-long garbage counted once (%d, %u)", bad, (unsigned)d.frames_bad);
  frame[5] ^= 0x10;
  int rc = 0;
  for (size_t i = 0; i < n; i++) rc = sb_decoder_push(&d, frame[i], &f);
  CHECK(rc == SB_ERR_CRC || rc == SB_ERR_COBS, "bit flip detected (%d)", rc);
}

static void test_stream_seq(void) {
  sb_stream_t s = {4, 65535};
  sb_header_t a = sb_stream_next(&s, SB_T_IMU_BATCH, 10);
  sb_header_t b = sb_stream_next(&s, SB_T_IMU_BATCH, 20);
  CHECK(a.seq == 65535 && b.seq == 0 && a.stream == 4, "wrap %u %u", a.seq, b.seq);
}

/* ---------- shared vectors ---------- */

static uint64_t j_u64(int node) {
  char buf[32];
  j_str(node, buf, sizeof buf);
  return strtoull(buf, NULL, 10);
}

static int type_of(int frame) {
  int t = j_get(frame, "type");
  static const struct { const char *name; int type; } map[] = {
      {"hello", SB_T_HELLO},           {"helloRequest", SB_T_HELLO_REQUEST}, {"heartbeat", SB_T_HEARTBEAT},
      {"syncRequest", SB_T_TIME_SYNC_REQUEST}, {"syncReply", SB_T_TIME_SYNC_REPLY},   {"error", SB_T_ERROR},
      {"imu", SB_T_IMU_BATCH},         {"audio", SB_T_AUDIO_CHUNK},           {"depth", SB_T_DEPTH_FRAME}};
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
    if (j_str_eq(t, map[i].name)) return map[i].type;
  }
  return -1;
}

static int kind_of(int node) {
  if (j_str_eq(node, "imu")) return SB_KIND_IMU;
  if (j_str_eq(node, "audio")) return SB_KIND_AUDIO;
  if (j_str_eq(node, "depth")) return SB_KIND_DEPTH;
  return 0;
}

/* Builds the payload a vector's meaning describes. Returns its length (0 = empty payload). */
static size_t payload_from_json(int frame, int type, uint8_t *p, size_t cap) {
  switch (type) {
    case SB_T_HELLO: {
      static sb_hello_t h;
      memset(&h, 0, sizeof h);
      int fw = j_get(frame, "fw");
      h.fw_major = (uint8_t)j_num(j_at(fw, 0));
      h.fw_minor = (uint8_t)j_num(j_at(fw, 1));
      h.fw_patch = (uint8_t)j_num(j_at(fw, 2));
      h.device_uid = (uint32_t)j_num(j_get(frame, "deviceUid"));
      h.boot_id = (uint32_t)j_num(j_get(frame, "bootId"));
      j_str(j_get(frame, "name"), h.name, sizeof h.name);
      int sensors = j_get(frame, "sensors");
      h.sensor_count = (uint8_t)j_len(sensors);
      for (int i = 0; i < j_len(sensors) && i < (int)SB_MAX_SENSORS; i++) {
        int s = j_at(sensors, i);
        h.sensors[i].stream = (uint8_t)j_num(j_get(s, "stream"));
        h.sensors[i].kind = (uint8_t)kind_of(j_get(s, "kind"));
        h.sensors[i].param_a = (uint16_t)j_num(j_get(s, "paramA"));
        h.sensors[i].param_b = (uint16_t)j_num(j_get(s, "paramB"));
        h.sensors[i].batch = (uint16_t)j_num(j_get(s, "batch"));
        h.sensors[i].rate_mhz = (uint32_t)j_num(j_get(s, "rateMhz"));
        h.sensors[i].scale_a = (float)j_num(j_get(s, "scaleA"));
        h.sensors[i].scale_b = (float)j_num(j_get(s, "scaleB"));
      }
      return sb_put_hello(p, cap, &h);
    }
    case SB_T_HELLO_REQUEST:
      return 0;
    case SB_T_HEARTBEAT: {
      sb_heartbeat_t hb = {(uint32_t)j_num(j_get(frame, "txDroppedFrames")),
                           (uint16_t)j_num(j_get(frame, "txHighWater")), (uint8_t)j_num(j_get(frame, "status"))};
      return sb_put_heartbeat(p, cap, &hb);
    }
    case SB_T_TIME_SYNC_REQUEST: {
      sb_sync_request_t rq = {(uint32_t)j_num(j_get(frame, "id")), j_u64(j_get(frame, "hostT1"))};
      return sb_put_sync_request(p, cap, &rq);
    }
    case SB_T_TIME_SYNC_REPLY: {
      sb_sync_reply_t rp = {(uint32_t)j_num(j_get(frame, "id")), j_u64(j_get(frame, "hostT1")),
                            j_u64(j_get(frame, "devRxUs")), j_u64(j_get(frame, "devTxUs"))};
      return sb_put_sync_reply(p, cap, &rp);
    }
    case SB_T_ERROR: {
      sb_error_t e;
      e.code = (uint16_t)j_num(j_get(frame, "code"));
      e.stream = (uint8_t)j_num(j_get(frame, "errorStream"));
      j_str(j_get(frame, "text"), e.text, sizeof e.text);
      return sb_put_error(p, cap, &e);
    }
    case SB_T_IMU_BATCH: {
      static sb_imu_sample_t s[SB_IMU_MAX_BATCH];
      int arr = j_get(frame, "samples");
      int n = j_len(arr);
      for (int i = 0; i < n && i < (int)SB_IMU_MAX_BATCH; i++) {
        int e = j_at(arr, i);
        s[i].dt_us = (uint16_t)j_num(j_get(e, "dtUs"));
        for (int c = 0; c < 3; c++) {
          s[i].acc[c] = (int16_t)j_num(j_at(j_get(e, "acc"), c));
          s[i].gyro[c] = (int16_t)j_num(j_at(j_get(e, "gyro"), c));
        }
      }
      return sb_put_imu(p, cap, s, (uint8_t)n);
    }
    case SB_T_AUDIO_CHUNK: {
      static int16_t pcm[SB_AUDIO_MAX_CHUNK];
      int arr = j_get(frame, "pcm");
      int n = j_len(arr);
      for (int i = 0; i < n && i < (int)SB_AUDIO_MAX_CHUNK; i++) pcm[i] = (int16_t)j_num(j_at(arr, i));
      return sb_put_audio(p, cap, (uint32_t)j_num(j_get(frame, "firstIndex")), pcm, (uint16_t)n);
    }
    case SB_T_DEPTH_FRAME: {
      static uint16_t mm[SB_DEPTH_MAX_PIXELS];
      int arr = j_get(frame, "mm");
      for (int i = 0; i < j_len(arr) && i < (int)SB_DEPTH_MAX_PIXELS; i++) mm[i] = (uint16_t)j_num(j_at(arr, i));
      return sb_put_depth(p, cap, (uint8_t)j_num(j_get(frame, "width")), (uint8_t)j_num(j_get(frame, "height")), mm);
    }
    default:
      return 0;
  }
}

static size_t encode_from_json(int frame, uint8_t *out, size_t cap) {
  static uint8_t payload[SB_MAX_PAYLOAD];
  int type = type_of(frame);
  size_t pl = payload_from_json(frame, type, payload, sizeof payload);
  sb_header_t h = {(uint8_t)type, (uint8_t)j_num(j_get(frame, "stream")), 0, (uint16_t)j_num(j_get(frame, "seq")),
                   j_u64(j_get(frame, "tUs"))};
  return sb_encode_frame(&h, payload, pl, out, cap);
}

static size_t hex_to_bytes(int node, uint8_t *out, size_t cap) {
  const jnode_t *n = j_node(node);
  size_t m = 0;
  int half = -1;
  for (size_t i = 0; i < n->len && m < cap; i++) {
    char c = n->str[i];
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else {
      continue; /* spaces group bytes for readability */
    }
    if (half < 0) {
      half = v;
    } else {
      out[m++] = (uint8_t)(half * 16 + v);
      half = -1;
    }
  }
  return m;
}

static int feq(double json, float got) { return (float)json == got; }

/* Compares a decoded frame with the meaning in the vector; returns the number of mismatches. */
static int compare(const char *name, int meaning, const sb_frame_t *f) {
  int before = failures;
  int type = type_of(meaning);
  CHECK(f->h.type == type, "%s: type %d", name, f->h.type);
  CHECK(f->h.stream == (int)j_num(j_get(meaning, "stream")), "%s: stream %d", name, f->h.stream);
  CHECK(f->h.seq == (int)j_num(j_get(meaning, "seq")), "%s: seq %d", name, f->h.seq);
  CHECK(f->h.t_us == j_u64(j_get(meaning, "tUs")), "%s: t_us %llu", name, (unsigned long long)f->h.t_us);
  switch (type) {
    case SB_T_HELLO: {
      static sb_hello_t h;
      CHECK(sb_get_hello(f->payload, f->payload_len, &h) == SB_OK, "%s: hello payload", name);
      int fw = j_get(meaning, "fw");
      CHECK(h.fw_major == j_num(j_at(fw, 0)) && h.fw_minor == j_num(j_at(fw, 1)) && h.fw_patch == j_num(j_at(fw, 2)),
            "%s: fw", name);
      CHECK(h.device_uid == (uint32_t)j_num(j_get(meaning, "deviceUid")), "%s: uid", name);
      CHECK(h.boot_id == (uint32_t)j_num(j_get(meaning, "bootId")), "%s: boot", name);
      CHECK(j_str_eq(j_get(meaning, "name"), h.name), "%s: name %s", name, h.name);
      int sensors = j_get(meaning, "sensors");
      CHECK(h.sensor_count == j_len(sensors), "%s: sensor count", name);
      for (int i = 0; i < h.sensor_count && i < j_len(sensors); i++) {
        int s = j_at(sensors, i);
        const sb_sensor_desc_t *d = &h.sensors[i];
        CHECK(d->stream == j_num(j_get(s, "stream")) && d->kind == kind_of(j_get(s, "kind")) &&
                  d->param_a == j_num(j_get(s, "paramA")) && d->param_b == j_num(j_get(s, "paramB")) &&
                  d->batch == j_num(j_get(s, "batch")) && d->rate_mhz == j_num(j_get(s, "rateMhz")) &&
                  feq(j_num(j_get(s, "scaleA")), d->scale_a) && feq(j_num(j_get(s, "scaleB")), d->scale_b),
              "%s: sensor %d", name, i);
      }
      break;
    }
    case SB_T_HELLO_REQUEST:
      CHECK(f->payload_len == 0, "%s: payload", name);
      break;
    case SB_T_HEARTBEAT: {
      sb_heartbeat_t hb;
      CHECK(sb_get_heartbeat(f->payload, f->payload_len, &hb) == SB_OK, "%s: payload", name);
      CHECK(hb.tx_dropped_frames == j_num(j_get(meaning, "txDroppedFrames")) &&
                hb.tx_high_water == j_num(j_get(meaning, "txHighWater")) && hb.status == j_num(j_get(meaning, "status")),
            "%s: fields", name);
      break;
    }
    case SB_T_TIME_SYNC_REQUEST: {
      sb_sync_request_t rq;
      CHECK(sb_get_sync_request(f->payload, f->payload_len, &rq) == SB_OK, "%s: payload", name);
      CHECK(rq.id == j_num(j_get(meaning, "id")) && rq.host_t1 == j_u64(j_get(meaning, "hostT1")), "%s: fields", name);
      break;
    }
    case SB_T_TIME_SYNC_REPLY: {
      sb_sync_reply_t rp;
      CHECK(sb_get_sync_reply(f->payload, f->payload_len, &rp) == SB_OK, "%s: payload", name);
      CHECK(rp.id == j_num(j_get(meaning, "id")) && rp.host_t1 == j_u64(j_get(meaning, "hostT1")) &&
                rp.dev_rx_us == j_u64(j_get(meaning, "devRxUs")) && rp.dev_tx_us == j_u64(j_get(meaning, "devTxUs")),
            "%s: fields", name);
      break;
    }
    case SB_T_ERROR: {
      sb_error_t e;
      CHECK(sb_get_error(f->payload, f->payload_len, &e) == SB_OK, "%s: payload", name);
      CHECK(e.code == j_num(j_get(meaning, "code")) && e.stream == j_num(j_get(meaning, "errorStream")) &&
                j_str_eq(j_get(meaning, "text"), e.text),
            "%s: fields", name);
      break;
    }
    case SB_T_IMU_BATCH: {
      static sb_imu_sample_t s[SB_IMU_MAX_BATCH];
      uint8_t n = 0;
      CHECK(sb_get_imu(f->payload, f->payload_len, s, SB_IMU_MAX_BATCH, &n) == SB_OK, "%s: payload", name);
      int arr = j_get(meaning, "samples");
      CHECK(n == j_len(arr), "%s: count %d", name, n);
      for (int i = 0; i < n && i < j_len(arr); i++) {
        int e = j_at(arr, i);
        int same = s[i].dt_us == j_num(j_get(e, "dtUs"));
        for (int c = 0; c < 3; c++) {
          same &= s[i].acc[c] == j_num(j_at(j_get(e, "acc"), c));
          same &= s[i].gyro[c] == j_num(j_at(j_get(e, "gyro"), c));
        }
        CHECK(same, "%s: sample %d", name, i);
      }
      break;
    }
    case SB_T_AUDIO_CHUNK: {
      static int16_t pcm[SB_AUDIO_MAX_CHUNK];
      uint32_t first = 0;
      uint16_t n = 0;
      CHECK(sb_get_audio(f->payload, f->payload_len, &first, pcm, SB_AUDIO_MAX_CHUNK, &n) == SB_OK, "%s: payload", name);
      int arr = j_get(meaning, "pcm");
      CHECK(first == j_num(j_get(meaning, "firstIndex")) && n == j_len(arr), "%s: first %u count %u", name,
            (unsigned)first, n);
      for (int i = 0; i < n && i < j_len(arr); i++) CHECK(pcm[i] == j_num(j_at(arr, i)), "%s: pcm[%d]", name, i);
      break;
    }
    case SB_T_DEPTH_FRAME: {
      static uint16_t mm[SB_DEPTH_MAX_PIXELS];
      uint8_t w = 0, h = 0;
      CHECK(sb_get_depth(f->payload, f->payload_len, &w, &h, mm, SB_DEPTH_MAX_PIXELS) == SB_OK, "%s: payload", name);
      int arr = j_get(meaning, "mm");
      CHECK(w == j_num(j_get(meaning, "width")) && h == j_num(j_get(meaning, "height")) && w * h == j_len(arr),
            "%s: size", name);
      for (int i = 0; i < w * h && i < j_len(arr); i++) CHECK(mm[i] == j_num(j_at(arr, i)), "%s: mm[%d]", name, i);
      break;
    }
    default:
      CHECK(0, "%s: unknown type in vector", name);
  }
  return failures - before;
}

/* Payload check by type, for "payload" error vectors (CRC is fine, layout is not). */
static int payload_valid(const sb_frame_t *f) {
  static union {
    sb_hello_t hello;
    sb_imu_sample_t imu[SB_IMU_MAX_BATCH];
    int16_t pcm[SB_AUDIO_MAX_CHUNK];
    uint16_t mm[SB_DEPTH_MAX_PIXELS];
    sb_heartbeat_t hb;
    sb_sync_request_t rq;
    sb_sync_reply_t rp;
    sb_error_t err;
  } u;
  uint8_t n8, w, h;
  uint16_t n16;
  uint32_t first;
  switch (f->h.type) {
    case SB_T_HELLO: return sb_get_hello(f->payload, f->payload_len, &u.hello) == SB_OK;
    case SB_T_HELLO_REQUEST: return f->payload_len == 0;
    case SB_T_HEARTBEAT: return sb_get_heartbeat(f->payload, f->payload_len, &u.hb) == SB_OK;
    case SB_T_TIME_SYNC_REQUEST: return sb_get_sync_request(f->payload, f->payload_len, &u.rq) == SB_OK;
    case SB_T_TIME_SYNC_REPLY: return sb_get_sync_reply(f->payload, f->payload_len, &u.rp) == SB_OK;
    case SB_T_ERROR: return sb_get_error(f->payload, f->payload_len, &u.err) == SB_OK;
    case SB_T_IMU_BATCH: return sb_get_imu(f->payload, f->payload_len, u.imu, SB_IMU_MAX_BATCH, &n8) == SB_OK;
    case SB_T_AUDIO_CHUNK:
      return sb_get_audio(f->payload, f->payload_len, &first, u.pcm, SB_AUDIO_MAX_CHUNK, &n16) == SB_OK;
    case SB_T_DEPTH_FRAME: return sb_get_depth(f->payload, f->payload_len, &w, &h, u.mm, SB_DEPTH_MAX_PIXELS) == SB_OK;
    default: return -1; /* unknown type */
  }
}

static const char *error_name(int rc) {
  switch (rc) {
    case SB_ERR_COBS: return "cobs";
    case SB_ERR_SHORT: return "short";
    case SB_ERR_CRC: return "crc";
    case SB_ERR_VERSION: return "version";
    case SB_ERR_TOO_LONG: return "tooLong";
    case SB_ERR_PAYLOAD: return "payload";
    default: return "?";
  }
}

static char *read_file(const char *path) {
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    fprintf(stderr, "cannot open %s\n", path);
    exit(2);
  }
  fseek(fp, 0, SEEK_END);
  long n = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  char *text = malloc((size_t)n + 1); /* host test only; the core never allocates */
  if (!text || fread(text, 1, (size_t)n, fp) != (size_t)n) exit(2);
  text[n] = '\0';
  fclose(fp);
  return text;
}

static void run_vectors(const char *path, int emit) {
  char *text = read_file(path);
  int root = j_parse(text);
  CHECK(root >= 0, "parse %s", path);
  if (root < 0) return;
  CHECK((int)j_num(j_get(root, "protocol")) == SB_PROTOCOL_VERSION, "protocol version of vectors");
  int vectors = j_get(root, "vectors");
  int tested = 0;
  for (int i = 0; i < j_len(vectors); i++) {
    int v = j_at(vectors, i);
    char name[96];
    j_str(j_get(v, "name"), name, sizeof name);
    int meaning = j_get(v, "frame");
    static uint8_t mine[SB_MAX_ENCODED_FRAME], theirs[SB_MAX_ENCODED_FRAME + 64];
    if (emit) {
      if (meaning < 0) continue;
      size_t n = encode_from_json(meaning, mine, sizeof mine);
      printf("%s\t", name);
      for (size_t k = 0; k < n; k++) printf("%02x", mine[k]);
      printf("\n");
      continue;
    }
    size_t hn = hex_to_bytes(j_get(v, "hex"), theirs, sizeof theirs);
    static sb_decoder_t d;
    sb_decoder_init(&d);
    sb_frame_t f;
    int rc = SB_NEED_MORE, results = 0;
    for (size_t k = 0; k < hn; k++) {
      int r = sb_decoder_push(&d, theirs[k], &f);
      if (r != SB_NEED_MORE) {
        rc = r;
        results++;
      }
    }
    CHECK(results == 1, "%s: %d results from one frame", name, results);
    int err = j_get(v, "error");
    if (err >= 0) {
      char want[16];
      j_str(err, want, sizeof want);
      if (rc == SB_OK) {
        int valid = payload_valid(&f);
        const char *got = valid < 0 ? "unknownType" : valid ? "ok" : "payload";
        CHECK(strcmp(got, want) == 0, "%s: expected error %s, got %s", name, want, got);
      } else {
        CHECK(strcmp(error_name(rc), want) == 0, "%s: expected error %s, got %s", name, want, error_name(rc));
      }
    } else {
      CHECK(rc == SB_OK, "%s: decode failed %d", name, rc);
      if (rc == SB_OK) compare(name, meaning, &f);
      size_t n = encode_from_json(meaning, mine, sizeof mine);
      CHECK(n == hn && memcmp(mine, theirs, n) == 0, "%s: encoding differs from the vector's hex", name);
    }
    tested++;
  }
  if (!emit) printf("vectors: %d checked from %s\n", tested, path);
  free(text);
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--emit-hex") == 0) {
    run_vectors(argv[2], 1);
    return failures ? 1 : 0;
  }
  test_crc();
  test_cobs_roundtrip();
  test_ring();
  test_decoder_resync();
  test_stream_seq();
  for (int i = 1; i < argc; i++) run_vectors(argv[i], 0);
  printf("%s: %d checks, %d failures\n", failures ? "FAIL" : "ok", checks, failures);
  return failures ? 1 : 0;
}
