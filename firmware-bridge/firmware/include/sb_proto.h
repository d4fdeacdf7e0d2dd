/*
 * sensebind serial protocol v1: the portable C99 core shared by the firmware and the host simulator.
 *
 * Why it looks like this: a microcontroller must never allocate, never block on the host, and must let
 * the host resynchronise after any corruption. So every function writes into caller-provided storage,
 * frames are COBS-encoded with a 0x00 delimiter (the host finds the next frame boundary after any garbage),
 * and each frame carries a CRC-32 over its header and payload. The wire format is specified byte by byte
 * in firmware-bridge/PROTOCOL.md; the shared vectors in firmware-bridge/test-vectors/ pin it down.
 */
#ifndef SB_PROTO_H
#define SB_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SB_PROTOCOL_VERSION 1u

/* Decoded frame layout: header (14 bytes) | payload (0..SB_MAX_PAYLOAD) | CRC-32 LE (4 bytes). */
#define SB_HEADER_SIZE 14u
#define SB_CRC_SIZE 4u
#define SB_MAX_PAYLOAD 1024u
#define SB_MAX_RAW_FRAME (SB_HEADER_SIZE + SB_MAX_PAYLOAD + SB_CRC_SIZE)
/* COBS adds one byte per 254 plus one, and the delimiter. */
#define SB_MAX_ENCODED_FRAME (SB_MAX_RAW_FRAME + (SB_MAX_RAW_FRAME / 254u) + 2u)

/* Frame types. Direction: D = device to host, H = host to device. */
enum sb_frame_type {
  SB_T_HELLO = 0x01,             /* D: device info, sensor list (first frame after boot, and on request) */
  SB_T_HELLO_REQUEST = 0x02,     /* H: ask for a HELLO */
  SB_T_HEARTBEAT = 0x03,         /* D: once a second, device health counters */
  SB_T_TIME_SYNC_REQUEST = 0x04, /* H: id + host time, echoed back */
  SB_T_TIME_SYNC_REPLY = 0x05,   /* D: id, echoed host time, device receive and transmit times */
  SB_T_ERROR = 0x06,             /* D: error code, affected stream, short ASCII text */
  SB_T_IMU_BATCH = 0x10,         /* D: 1..64 accel+gyro samples, raw int16 */
  SB_T_AUDIO_CHUNK = 0x11,       /* D: PCM int16 mono, first sample index + count */
  SB_T_DEPTH_FRAME = 0x12        /* D: width x height distances, uint16 mm */
};

/* Sensor kinds in HELLO descriptors. */
enum sb_sensor_kind { SB_KIND_IMU = 1, SB_KIND_AUDIO = 2, SB_KIND_DEPTH = 3 };

/* Error codes in ERROR frames. */
enum sb_error_code {
  SB_E_SENSOR_INIT = 1,
  SB_E_SENSOR_READ = 2,
  SB_E_SENSOR_OVERFLOW = 3, /* the sensor's own FIFO overflowed: samples lost before the MCU saw them */
  SB_E_TX_OVERFLOW = 4,     /* the MCU's transmit ring was full: whole frames dropped */
  SB_E_RX_BAD_FRAME = 5,    /* a host frame failed CRC/COBS */
  SB_E_OTHER = 255
};

/* Depth pixel values with a meaning. */
#define SB_DEPTH_INVALID 0u
#define SB_DEPTH_NO_TARGET 0xFFFFu

#define SB_IMU_MAX_BATCH 64u
#define SB_AUDIO_MAX_CHUNK 480u
#define SB_DEPTH_MAX_PIXELS 511u
#define SB_NAME_MAX 32u
#define SB_ERROR_TEXT_MAX 64u
#define SB_MAX_SENSORS 8u
#define SB_SENSOR_DESC_SIZE 20u

/* Result codes (negative = bad frame). */
enum sb_result {
  SB_OK = 0,
  SB_NEED_MORE = 1,
  SB_ERR_COBS = -1,     /* COBS structure broken */
  SB_ERR_SHORT = -2,    /* shorter than header + CRC */
  SB_ERR_CRC = -3,      /* CRC mismatch */
  SB_ERR_VERSION = -4,  /* unknown protocol version */
  SB_ERR_TOO_LONG = -5, /* no delimiter within SB_MAX_ENCODED_FRAME bytes */
  SB_ERR_PAYLOAD = -6,  /* payload length does not fit the frame type */
  SB_ERR_SPACE = -7     /* output buffer too small (encoders) */
};

typedef struct {
  uint8_t type;
  uint8_t stream;
  uint8_t flags;
  uint16_t seq;
  uint64_t t_us;
} sb_header_t;

typedef struct {
  sb_header_t h;
  const uint8_t *payload;
  size_t payload_len;
} sb_frame_t;

typedef struct {
  uint8_t stream;
  uint8_t kind;
  uint16_t param_a; /* IMU: accel range +-g | audio: channels | depth: width */
  uint16_t param_b; /* IMU: gyro range +-dps | audio: bits per sample | depth: height */
  uint16_t batch;   /* nominal samples (IMU), samples (audio) or frames (depth) per frame */
  uint32_t rate_mhz; /* sample/frame rate in millihertz */
  float scale_a;    /* IMU: m/s^2 per LSB | audio: full scale per LSB | depth: metres per LSB */
  float scale_b;    /* IMU: rad/s per LSB | audio: 0 | depth: maximum range in metres */
} sb_sensor_desc_t;

typedef struct {
  uint8_t fw_major, fw_minor, fw_patch;
  uint32_t device_uid;
  uint32_t boot_id;
  char name[SB_NAME_MAX + 1];
  uint8_t sensor_count;
  sb_sensor_desc_t sensors[SB_MAX_SENSORS];
} sb_hello_t;

typedef struct {
  uint16_t dt_us; /* since the previous sample; the first one since the frame's t_us */
  int16_t acc[3];
  int16_t gyro[3];
} sb_imu_sample_t;

typedef struct {
  uint32_t tx_dropped_frames;
  uint16_t tx_high_water;
  uint8_t status;
} sb_heartbeat_t;

typedef struct {
  uint32_t id;
  uint64_t host_t1;
} sb_sync_request_t;

typedef struct {
  uint32_t id;
  uint64_t host_t1;
  uint64_t dev_rx_us;
  uint64_t dev_tx_us;
} sb_sync_reply_t;

typedef struct {
  uint16_t code;
  uint8_t stream;
  char text[SB_ERROR_TEXT_MAX + 1];
} sb_error_t;

/* ---- CRC-32 (ISO-HDLC: poly 0x04C11DB7 reflected, init and xorout 0xFFFFFFFF; zlib's crc32) ---- */
uint32_t sb_crc32_update(uint32_t crc, const uint8_t *data, size_t len);
uint32_t sb_crc32(const uint8_t *data, size_t len);

/* ---- COBS ---- */
/* Incremental encoder: bytes go in one at a time, no scratch copy of the frame is needed. */
typedef struct {
  uint8_t *out;
  size_t cap;
  size_t len;
  size_t code_pos;
  uint8_t code;
  bool overflow;
} sb_cobs_enc_t;
void sb_cobs_enc_begin(sb_cobs_enc_t *e, uint8_t *out, size_t cap);
void sb_cobs_enc_put(sb_cobs_enc_t *e, uint8_t byte);
/* Closes the last block and appends the 0x00 delimiter. Returns the length, or 0 when out was too small. */
size_t sb_cobs_enc_end(sb_cobs_enc_t *e);
/* Decodes one frame body (without delimiter); in == out is allowed. Returns length or SB_ERR_COBS. */
int sb_cobs_decode(const uint8_t *in, size_t len, uint8_t *out);

/* ---- frames ---- */
/* Header + payload + CRC, COBS-encoded, delimiter appended. Returns bytes written, 0 if out is too small. */
size_t sb_encode_frame(const sb_header_t *h, const uint8_t *payload, size_t payload_len, uint8_t *out,
                       size_t out_cap);
/* Checks a decoded (un-COBSed) frame: length, CRC, version. On SB_OK, f->payload points into raw. */
int sb_parse_frame(const uint8_t *raw, size_t len, sb_frame_t *f);

/* Payload writers: return the payload length, or 0 if cap is too small / arguments out of range. */
size_t sb_put_hello(uint8_t *p, size_t cap, const sb_hello_t *hello);
size_t sb_put_heartbeat(uint8_t *p, size_t cap, const sb_heartbeat_t *hb);
size_t sb_put_sync_request(uint8_t *p, size_t cap, const sb_sync_request_t *rq);
size_t sb_put_sync_reply(uint8_t *p, size_t cap, const sb_sync_reply_t *rp);
size_t sb_put_error(uint8_t *p, size_t cap, const sb_error_t *err);
size_t sb_put_imu(uint8_t *p, size_t cap, const sb_imu_sample_t *samples, uint8_t count);
size_t sb_put_audio(uint8_t *p, size_t cap, uint32_t first_index, const int16_t *pcm, uint16_t count);
size_t sb_put_depth(uint8_t *p, size_t cap, uint8_t width, uint8_t height, const uint16_t *mm);

/* Payload readers: SB_OK or SB_ERR_PAYLOAD. Array readers copy at most max entries. */
int sb_get_hello(const uint8_t *p, size_t len, sb_hello_t *hello);
int sb_get_heartbeat(const uint8_t *p, size_t len, sb_heartbeat_t *hb);
int sb_get_sync_request(const uint8_t *p, size_t len, sb_sync_request_t *rq);
int sb_get_sync_reply(const uint8_t *p, size_t len, sb_sync_reply_t *rp);
int sb_get_error(const uint8_t *p, size_t len, sb_error_t *err);
int sb_get_imu(const uint8_t *p, size_t len, sb_imu_sample_t *samples, uint8_t max, uint8_t *count);
int sb_get_audio(const uint8_t *p, size_t len, uint32_t *first_index, int16_t *pcm, uint16_t max, uint16_t *count);
int sb_get_depth(const uint8_t *p, size_t len, uint8_t *width, uint8_t *height, uint16_t *mm, uint16_t max);

/* ---- streaming decoder (bytes in, frames out) ---- */
typedef struct {
  uint8_t buf[SB_MAX_ENCODED_FRAME];
  size_t len;
  bool discarding; /* an over-long frame is being skipped up to the next delimiter */
  uint32_t frames_ok;
  uint32_t frames_bad;
} sb_decoder_t;
void sb_decoder_init(sb_decoder_t *d);
/*
 * Feeds one byte. Returns SB_NEED_MORE, SB_OK (a valid frame is in *f, pointing into the decoder's buffer,
 * valid until the next call) or a negative sb_result for a bad frame (counted; decoding goes on).
 */
int sb_decoder_push(sb_decoder_t *d, uint8_t byte, sb_frame_t *f);

/* ---- byte ring buffer for the transmit queue (whole frames in, any chunking out) ---- */
typedef struct {
  uint8_t *buf;
  size_t cap;
  size_t head; /* next write */
  size_t tail; /* next read */
  size_t used;
  size_t high_water;
} sb_ring_t;
void sb_ring_init(sb_ring_t *r, uint8_t *storage, size_t cap);
size_t sb_ring_used(const sb_ring_t *r);
size_t sb_ring_free(const sb_ring_t *r);
/* All or nothing, so a frame is never half-queued. Returns false (nothing written) when it does not fit. */
bool sb_ring_write(sb_ring_t *r, const uint8_t *data, size_t len);
/* Longest contiguous readable span starting at the tail. */
size_t sb_ring_peek(const sb_ring_t *r, const uint8_t **data);
void sb_ring_consume(sb_ring_t *r, size_t len);

/* ---- per-stream sequence counter ---- */
typedef struct {
  uint8_t id;
  uint16_t next_seq;
} sb_stream_t;
/* Builds the header for the next frame of a stream and advances its sequence number. */
sb_header_t sb_stream_next(sb_stream_t *s, uint8_t type, uint64_t t_us);

#ifdef __cplusplus
}
#endif
#endif
