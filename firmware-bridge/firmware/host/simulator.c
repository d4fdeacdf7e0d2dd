/*
 * sensebind-sim: the portable core built for the host, posing as a device. It produces the stream the
 * example firmware produces (HELLO, IMU batches, PCM chunks, 8x8 depth, heartbeats, error reports) with a
 * device clock that drifts against real time, per-sample acquisition jitter, and answers the host's
 * HELLO and TIME_SYNC requests. Writes to a pty / tty path, a file, or stdout.
 *
 * Sample values are deterministic functions of the sample index (see sim_values below and
 * test/serial/sim-values.ts) so a test can check every value that arrives; --truth writes the device time
 * and the true real time of every sample so a test can check every timestamp.
 *
 * With --reopen it behaves like a device that stays powered while its USB cable is out: when the path
 * disappears it keeps sampling (frames that do not fit the transmit ring are dropped and counted, as on
 * the MCU) and reconnects when the path comes back.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "sb_proto.h"

typedef struct {
  const char *out;
  const char *truth;
  double duration_s;
  double drift_ppm;
  double jitter_us;
  double imu_hz;
  int imu_batch;
  double audio_hz;
  int audio_chunk;
  double depth_hz;
  int reopen;
  int fast;
  int hello_at_start;
  uint32_t boot_id;
  uint32_t seed;
  double error_at_s; /* emit one ERROR frame at this device second (< 0: never) */
} options_t;

static volatile sig_atomic_t g_stop;
static void on_signal(int sig) {
  (void)sig;
  g_stop = 1;
}

static uint32_t g_rng;
static double rnd_uniform(void) { /* [-1, 1) */
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 17;
  g_rng ^= g_rng << 5;
  return (double)g_rng / 2147483648.0 - 1.0;
}

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
static int64_t real_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- deterministic sample values (mirrored in test/serial/sim-values.ts) ---- */
static int32_t tri(uint32_t n, uint32_t period, int32_t amp) {
  uint32_t p = n % period;
  uint32_t v = p < period / 2 ? p : period - p;
  return (int32_t)((v * 4u * (uint32_t)amp) / period) - amp;
}
static void imu_values(uint32_t n, int16_t acc[3], int16_t gyro[3]) {
  acc[0] = (int16_t)tri(n, 500, 300);
  acc[1] = (int16_t)tri(n + 125, 700, 200);
  acc[2] = (int16_t)(2048 + tri(n, 250, 60));
  gyro[0] = (int16_t)tri(n, 1000, 150);
  gyro[1] = (int16_t)(-tri(n, 333, 90));
  gyro[2] = (int16_t)((int32_t)(n % 7) - 3);
}
static int16_t audio_value(uint32_t n) {
  uint32_t h = n * 2654435761u;
  return (int16_t)(tri(n, 36, 6000) + (int32_t)((h >> 24) & 0xFFu) - 128);
}
static uint16_t depth_value(uint32_t frame, uint32_t x, uint32_t y) {
  if (x + 8 * y == frame % 64) return SB_DEPTH_INVALID;
  return (uint16_t)(300 + (x * 37 + y * 53 + frame * 11) % 2500);
}

/* ---- device state ---- */
#define RING_BYTES 16384
static uint8_t g_ring_storage[RING_BYTES];
static sb_ring_t g_ring;
static uint32_t g_tx_dropped, g_frames_sent, g_frames_queued, g_sync_replies, g_hello_sent, g_disconnects;
static sb_stream_t g_control = {0, 0}, g_imu_stream = {1, 0}, g_audio_stream = {2, 0}, g_depth_stream = {3, 0};
static options_t g_opt;
static int64_t g_mono0, g_real0;
static const uint64_t k_boot_us = 5000000; /* the device had been up 5 s when the simulation started */
static FILE *g_truth;

static double rate_factor(void) { return 1.0 + g_opt.drift_ppm * 1e-6; }

/* Device microseconds for a monotonic instant (the device crystal runs drift_ppm fast). */
static uint64_t device_us_at(int64_t mono) {
  return k_boot_us + (uint64_t)llround((double)(mono - g_mono0) / 1000.0 * rate_factor());
}
/* The real (CLOCK_REALTIME) instant at which the device clock showed dev_us. */
static int64_t truth_ns(uint64_t dev_us) {
  return g_real0 + (int64_t)llround((double)(dev_us - k_boot_us) * 1000.0 / rate_factor());
}

static void queue_frame(sb_header_t h, const uint8_t *payload, size_t len) {
  static uint8_t enc[SB_MAX_ENCODED_FRAME];
  size_t n = sb_encode_frame(&h, payload, len, enc, sizeof enc);
  if (n == 0 || !sb_ring_write(&g_ring, enc, n)) {
    g_tx_dropped++;
    return;
  }
  g_frames_queued++;
}

static void send_hello(uint64_t now_us) {
  sb_hello_t h;
  memset(&h, 0, sizeof h);
  h.fw_major = 1;
  h.fw_minor = 0;
  h.fw_patch = 0;
  h.device_uid = 0x51AB0001u;
  h.boot_id = g_opt.boot_id;
  snprintf(h.name, sizeof h.name, "sensebind-sim");
  uint8_t k = 0;
  if (g_opt.imu_hz > 0) {
    h.sensors[k++] = (sb_sensor_desc_t){1, SB_KIND_IMU, 16, 2000, (uint16_t)g_opt.imu_batch,
                                        (uint32_t)llround(g_opt.imu_hz * 1000.0), (float)(9.80665 / 2048.0),
                                        (float)(2000.0 / 32768.0 * 3.14159265358979323846 / 180.0)};
  }
  if (g_opt.audio_hz > 0) {
    h.sensors[k++] = (sb_sensor_desc_t){2, SB_KIND_AUDIO, 1, 16, (uint16_t)g_opt.audio_chunk,
                                        (uint32_t)llround(g_opt.audio_hz * 1000.0), 1.0f / 32768.0f, 0.0f};
  }
  if (g_opt.depth_hz > 0) {
    h.sensors[k++] = (sb_sensor_desc_t){3, SB_KIND_DEPTH, 8, 8, 1, (uint32_t)llround(g_opt.depth_hz * 1000.0),
                                        0.001f, 4.0f};
  }
  h.sensor_count = k;
  uint8_t payload[SB_MAX_PAYLOAD];
  size_t n = sb_put_hello(payload, sizeof payload, &h);
  queue_frame(sb_stream_next(&g_control, SB_T_HELLO, now_us), payload, n);
  g_hello_sent++;
}

static void handle_host_frame(const sb_frame_t *f, uint64_t rx_us, int64_t now_mono) {
  if (f->h.type == SB_T_HELLO_REQUEST) {
    send_hello(device_us_at(now_mono));
  } else if (f->h.type == SB_T_TIME_SYNC_REQUEST) {
    sb_sync_request_t rq;
    if (sb_get_sync_request(f->payload, f->payload_len, &rq) != SB_OK) return;
    sb_sync_reply_t rp = {rq.id, rq.host_t1, rx_us, device_us_at(mono_ns())};
    uint8_t payload[28];
    size_t n = sb_put_sync_reply(payload, sizeof payload, &rp);
    queue_frame(sb_stream_next(&g_control, SB_T_TIME_SYNC_REPLY, rp.dev_tx_us), payload, n);
    g_sync_replies++;
  }
}

/* ---- the port ---- */
static int g_in = -1, g_out = -1, g_is_path;

static void make_raw(int fd) {
  struct termios t;
  if (tcgetattr(fd, &t) != 0) return; /* not a terminal: a file or a pipe */
  t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON | IXOFF);
  t.c_oflag &= ~(tcflag_t)OPOST;
  t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
  t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
  t.c_cflag |= CS8;
  tcsetattr(fd, TCSANOW, &t);
}

static int open_port(void) {
  if (strcmp(g_opt.out, "-") == 0) {
    g_in = 0;
    g_out = 1;
    return 0;
  }
  int fd = open(g_opt.out, O_RDWR | O_NOCTTY | O_NONBLOCK);
  if (fd < 0 && (errno == EISDIR || errno == EACCES)) return -1;
  if (fd < 0 && errno == ENOENT && !g_opt.reopen) {
    fd = open(g_opt.out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  }
  if (fd < 0) return -1;
  make_raw(fd);
  g_in = isatty(fd) ? fd : -1;
  g_out = fd;
  g_is_path = 1;
  return 0;
}

static void close_port(void) {
  if (g_is_path && g_out >= 0) close(g_out);
  g_in = g_out = -1;
}

static void report(const char *event) {
  fprintf(stderr,
          "{\"event\":\"%s\",\"framesQueued\":%u,\"framesSent\":%u,\"txDropped\":%u,\"syncReplies\":%u,"
          "\"hellos\":%u,\"disconnects\":%u,\"imuFrames\":%u,\"audioFrames\":%u,\"depthFrames\":%u}\n",
          event, (unsigned)g_frames_queued, (unsigned)g_frames_sent, (unsigned)g_tx_dropped,
          (unsigned)g_sync_replies, (unsigned)g_hello_sent, (unsigned)g_disconnects, (unsigned)g_imu_stream.next_seq,
          (unsigned)g_audio_stream.next_seq, (unsigned)g_depth_stream.next_seq);
  fflush(stderr);
}

/* Pushes queued bytes out; returns -1 when the port went away. */
static int drain(void) {
  while (sb_ring_used(&g_ring) > 0 && g_out >= 0) {
    const uint8_t *p;
    size_t n = sb_ring_peek(&g_ring, &p);
    ssize_t w = write(g_out, p, n);
    if (w > 0) {
      /* count whole frames leaving: one 0x00 per frame */
      for (ssize_t i = 0; i < w; i++) g_frames_sent += p[i] == 0;
      sb_ring_consume(&g_ring, (size_t)w);
      continue;
    }
    if (w < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
    return -1;
  }
  return 0;
}

static void usage(void) {
  fprintf(stderr,
          "usage: sensebind-sim --out <pty|file|-> [--duration s] [--drift-ppm 80] [--jitter-us 40]\n"
          "       [--imu-hz 1000] [--imu-batch 10] [--audio-hz 16000] [--audio-chunk 256] [--depth-hz 15]\n"
          "       [--boot-id n] [--seed n] [--truth file] [--reopen] [--fast] [--no-hello] [--error-at s]\n");
}

static int parse_args(int argc, char **argv) {
  options_t o = {NULL, NULL, 0, 80, 40, 1000, 10, 16000, 256, 15, 0, 0, 1, 0x5EB00001u, 1, -1};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage();
      exit(0);
    }
#define NUM(flag, field)   \
  if (strcmp(a, flag) == 0 && v) { \
    o.field = atof(v);     \
    i++;                   \
    continue;              \
  }
    NUM("--duration", duration_s)
    NUM("--drift-ppm", drift_ppm)
    NUM("--jitter-us", jitter_us)
    NUM("--imu-hz", imu_hz)
    NUM("--audio-hz", audio_hz)
    NUM("--depth-hz", depth_hz)
    NUM("--error-at", error_at_s)
#undef NUM
    if (strcmp(a, "--imu-batch") == 0 && v) { o.imu_batch = atoi(v); i++; continue; }
    if (strcmp(a, "--audio-chunk") == 0 && v) { o.audio_chunk = atoi(v); i++; continue; }
    if (strcmp(a, "--boot-id") == 0 && v) { o.boot_id = (uint32_t)strtoul(v, NULL, 0); i++; continue; }
    if (strcmp(a, "--seed") == 0 && v) { o.seed = (uint32_t)strtoul(v, NULL, 0); i++; continue; }
    if (strcmp(a, "--out") == 0 && v) { o.out = v; i++; continue; }
    if (strcmp(a, "--truth") == 0 && v) { o.truth = v; i++; continue; }
    if (strcmp(a, "--reopen") == 0) { o.reopen = 1; continue; }
    if (strcmp(a, "--fast") == 0) { o.fast = 1; continue; }
    if (strcmp(a, "--no-hello") == 0) { o.hello_at_start = 0; continue; }
    fprintf(stderr, "sensebind-sim: unknown or incomplete argument %s\n", a);
    return -1;
  }
  if (!o.out || o.imu_batch < 1 || o.imu_batch > (int)SB_IMU_MAX_BATCH || o.audio_chunk < 1 ||
      o.audio_chunk > (int)SB_AUDIO_MAX_CHUNK || (o.fast && o.duration_s <= 0)) {
    return -1;
  }
  g_opt = o;
  return 0;
}

int main(int argc, char **argv) {
  if (parse_args(argc, argv) != 0) {
    usage();
    return 2;
  }
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  signal(SIGPIPE, SIG_IGN);
  g_rng = g_opt.seed ? g_opt.seed : 1;
  sb_ring_init(&g_ring, g_ring_storage, sizeof g_ring_storage);
  if (g_opt.truth) {
    g_truth = fopen(g_opt.truth, "w");
    if (!g_truth) {
      fprintf(stderr, "sensebind-sim: cannot write %s: %s\n", g_opt.truth, strerror(errno));
      return 1;
    }
    fprintf(g_truth, "kind,index,device_us,real_ns\n");
  }
  if (open_port() != 0 && !g_opt.reopen) {
    fprintf(stderr, "sensebind-sim: cannot open %s: %s\n", g_opt.out, strerror(errno));
    return 1;
  }
  g_mono0 = mono_ns();
  g_real0 = real_ns();
  fprintf(stderr, "{\"event\":\"start\",\"realNs\":%lld,\"bootUs\":%llu,\"driftPpm\":%g,\"bootId\":%u}\n",
          (long long)g_real0, (unsigned long long)k_boot_us, g_opt.drift_ppm, (unsigned)g_opt.boot_id);
  fflush(stderr);

  static sb_decoder_t dec;
  sb_decoder_init(&dec);
  const double imu_period = g_opt.imu_hz > 0 ? 1e6 / g_opt.imu_hz : 0;
  const double audio_period = g_opt.audio_hz > 0 ? 1e6 / g_opt.audio_hz : 0;
  const double depth_period = g_opt.depth_hz > 0 ? 1e6 / g_opt.depth_hz : 0;
  const double start_us = (double)k_boot_us + 1000.0; /* sensors start 1 ms into the simulation */
  uint32_t imu_n = 0, audio_n = 0, depth_k = 0;
  double next_heartbeat = (double)k_boot_us + 1e6;
  int error_sent = 0;
  static sb_imu_sample_t batch[SB_IMU_MAX_BATCH];
  static int16_t pcm[SB_AUDIO_MAX_CHUNK];
  int batch_len = 0;
  uint64_t batch_t0 = 0, last_imu_us = 0;
  uint8_t payload[SB_MAX_PAYLOAD];
  int64_t sim_mono = g_mono0; /* --fast: simulated time instead of the real clock */
  int64_t last_reopen = 0;

  if (g_opt.hello_at_start) send_hello(device_us_at(g_mono0));

  while (!g_stop) {
    int64_t now = g_opt.fast ? sim_mono : mono_ns();
    uint64_t now_us = device_us_at(now);
    if (g_opt.duration_s > 0 && (double)(now - g_mono0) >= g_opt.duration_s * 1e9) break;

    /* IMU: sample n is due at its nominal time plus the interrupt latency jitter. */
    while (imu_period > 0) {
      double t = start_us + imu_n * imu_period + fabs(rnd_uniform()) * g_opt.jitter_us;
      if (t > (double)now_us) break;
      uint64_t t_us = (uint64_t)llround(t);
      if (t_us <= last_imu_us) t_us = last_imu_us + 1;
      sb_imu_sample_t *s = &batch[batch_len];
      imu_values(imu_n, s->acc, s->gyro);
      if (batch_len == 0) {
        batch_t0 = t_us;
        s->dt_us = 0;
      } else {
        s->dt_us = (uint16_t)(t_us - last_imu_us);
      }
      last_imu_us = t_us;
      if (g_truth) fprintf(g_truth, "imu,%u,%llu,%lld\n", (unsigned)imu_n, (unsigned long long)t_us, (long long)truth_ns(t_us));
      imu_n++;
      if (++batch_len == g_opt.imu_batch) {
        size_t n = sb_put_imu(payload, sizeof payload, batch, (uint8_t)batch_len);
        queue_frame(sb_stream_next(&g_imu_stream, SB_T_IMU_BATCH, batch_t0), payload, n);
        batch_len = 0;
      }
    }
    /* Audio: the ADC clock is the device crystal; a chunk leaves when its last sample is in. */
    while (audio_period > 0) {
      double last = start_us + (audio_n + (uint32_t)g_opt.audio_chunk - 1) * audio_period;
      if (last > (double)now_us) break;
      uint64_t t_us = (uint64_t)llround(start_us + audio_n * audio_period);
      for (int i = 0; i < g_opt.audio_chunk; i++) pcm[i] = audio_value(audio_n + (uint32_t)i);
      size_t n = sb_put_audio(payload, sizeof payload, audio_n, pcm, (uint16_t)g_opt.audio_chunk);
      queue_frame(sb_stream_next(&g_audio_stream, SB_T_AUDIO_CHUNK, t_us), payload, n);
      if (g_truth) fprintf(g_truth, "audio,%u,%llu,%lld\n", (unsigned)audio_n, (unsigned long long)t_us, (long long)truth_ns(t_us));
      audio_n += (uint32_t)g_opt.audio_chunk;
    }
    while (depth_period > 0) {
      double t = start_us + depth_k * depth_period + fabs(rnd_uniform()) * g_opt.jitter_us;
      if (t > (double)now_us) break;
      uint64_t t_us = (uint64_t)llround(t);
      uint16_t mm[64];
      for (uint32_t y = 0; y < 8; y++)
        for (uint32_t x = 0; x < 8; x++) mm[x + 8 * y] = depth_value(depth_k, x, y);
      size_t n = sb_put_depth(payload, sizeof payload, 8, 8, mm);
      queue_frame(sb_stream_next(&g_depth_stream, SB_T_DEPTH_FRAME, t_us), payload, n);
      if (g_truth) fprintf(g_truth, "depth,%u,%llu,%lld\n", (unsigned)depth_k, (unsigned long long)t_us, (long long)truth_ns(t_us));
      depth_k++;
    }
    if ((double)now_us >= next_heartbeat) {
      sb_heartbeat_t hb = {g_tx_dropped, (uint16_t)(g_ring.high_water > 0xFFFF ? 0xFFFF : g_ring.high_water), 7};
      size_t n = sb_put_heartbeat(payload, sizeof payload, &hb);
      queue_frame(sb_stream_next(&g_control, SB_T_HEARTBEAT, now_us), payload, n);
      next_heartbeat += 1e6;
    }
    if (g_opt.error_at_s >= 0 && !error_sent && (double)now_us >= (double)k_boot_us + g_opt.error_at_s * 1e6) {
      sb_error_t e = {SB_E_SENSOR_OVERFLOW, 1, "imu fifo overflow (simulated)"};
      size_t n = sb_put_error(payload, sizeof payload, &e);
      queue_frame(sb_stream_next(&g_control, SB_T_ERROR, now_us), payload, n);
      error_sent = 1;
    }

    if (g_opt.fast) {
      if (drain() != 0) break;
      sim_mono += 1000000; /* 1 ms steps */
      continue;
    }

    /* The port: reconnect if it went away, read host requests, push bytes out. */
    if (g_out < 0) {
      if (now - last_reopen > 50000000) {
        last_reopen = now;
        if (open_port() == 0) {
          fprintf(stderr, "{\"event\":\"reconnected\"}\n");
          fflush(stderr);
        }
      }
    } else if (drain() != 0) {
      if (!g_opt.reopen) break;
      close_port();
      g_disconnects++;
      report("disconnected");
    }
    struct pollfd pfd = {g_in, POLLIN, 0};
    int pr = poll(g_in >= 0 ? &pfd : NULL, g_in >= 0 ? 1 : 0, 1);
    if (pr > 0 && (pfd.revents & POLLIN)) {
      uint8_t buf[512];
      ssize_t r = read(g_in, buf, sizeof buf);
      int64_t rx = mono_ns();
      for (ssize_t i = 0; i < r; i++) {
        sb_frame_t f;
        if (sb_decoder_push(&dec, buf[i], &f) == SB_OK) handle_host_frame(&f, device_us_at(rx), rx);
      }
    } else if (pr > 0 && (pfd.revents & (POLLHUP | POLLERR)) && g_opt.reopen && g_is_path) {
      /* the other end of the pty is gone: poll would spin; wait for it like an unplugged cable */
      struct timespec ts = {0, 1000000};
      nanosleep(&ts, NULL);
    }
  }
  while (!g_opt.fast && sb_ring_used(&g_ring) > 0 && g_out >= 0 && !g_stop) {
    if (drain() != 0) break;
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  if (g_truth) fclose(g_truth);
  report("exit");
  close_port();
  return 0;
}
