/*
 * sensebind reference firmware: ESP32-S3 + ICM-42688-P (SPI, 1 kHz) + PDM microphone (16 kHz) + optional
 * VL53L5CX (8x8 ToF, 15 Hz), streaming the sensebind serial protocol v1 over native USB CDC.
 *
 * Timing: the IMU's data-ready interrupt stamps each sample with esp_timer (microseconds since boot, the
 * protocol's device clock). Audio is stamped by sample index: the PDM clock and esp_timer share the
 * board's 40 MHz crystal, so index * 62.5 us plus the capture start is exact up to a constant.
 * All buffers are static; the transmit ring drops whole frames (counted in HEARTBEAT) rather than
 * blocking the sampling loop when the host is slow or the cable is out.
 *
 * Wiring (docs/serial.md): ICM-42688 SCLK 12, MOSI 11, MISO 13, CS 10, INT1 9; PDM CLK 42, DATA 41;
 * VL53L5CX SDA 8, SCL 18. Change the PIN_ constants for your board.
 */
#include <Arduino.h>
#include <ESP_I2S.h>
#include <SPI.h>
#include <esp_random.h>
#include <esp_timer.h>

#include "sb_proto.h"

#if SB_WITH_VL53L5CX
#include <SparkFun_VL53L5CX_Library.h>
#include <Wire.h>
#endif

static const int PIN_IMU_SCLK = 12, PIN_IMU_MOSI = 11, PIN_IMU_MISO = 13, PIN_IMU_CS = 10, PIN_IMU_INT = 9;
static const int PIN_PDM_CLK = 42, PIN_PDM_DATA = 41;
static const int PIN_TOF_SDA = 8, PIN_TOF_SCL = 18;

static const uint8_t FW_MAJOR = 1, FW_MINOR = 0, FW_PATCH = 0;
static const int IMU_BATCH = 10;
static const int AUDIO_CHUNK = 256;

/* ---- ICM-42688-P registers (bank 0) ---- */
enum : uint8_t {
  REG_DEVICE_CONFIG = 0x11,
  REG_INT_CONFIG = 0x14,
  REG_ACCEL_DATA_X1 = 0x1F,
  REG_PWR_MGMT0 = 0x4E,
  REG_GYRO_CONFIG0 = 0x4F,
  REG_ACCEL_CONFIG0 = 0x50,
  REG_INT_SOURCE0 = 0x65,
  REG_WHO_AM_I = 0x75,
  WHO_AM_I_ICM42688 = 0x47
};

static SPIClass imuSpi(FSPI);
static const SPISettings kImuSpi(10000000, MSBFIRST, SPI_MODE0);

static void imu_write(uint8_t reg, uint8_t value) {
  imuSpi.beginTransaction(kImuSpi);
  digitalWrite(PIN_IMU_CS, LOW);
  imuSpi.transfer(reg & 0x7F);
  imuSpi.transfer(value);
  digitalWrite(PIN_IMU_CS, HIGH);
  imuSpi.endTransaction();
}

static void imu_read(uint8_t reg, uint8_t *out, size_t n) {
  imuSpi.beginTransaction(kImuSpi);
  digitalWrite(PIN_IMU_CS, LOW);
  imuSpi.transfer(reg | 0x80);
  for (size_t i = 0; i < n; i++) out[i] = imuSpi.transfer(0);
  digitalWrite(PIN_IMU_CS, HIGH);
  imuSpi.endTransaction();
}

/* ---- state (all static: no heap after setup) ---- */
static uint8_t g_ring_storage[32768];
static sb_ring_t g_ring;
static sb_decoder_t g_rx;
static sb_stream_t g_control = {0, 0}, g_imu_stream = {1, 0}, g_audio_stream = {2, 0}, g_depth_stream = {3, 0};
static uint32_t g_boot_id, g_tx_dropped;
static bool g_imu_ok, g_mic_ok, g_tof_ok;
static I2SClass g_i2s;
#if SB_WITH_VL53L5CX
static SparkFun_VL53L5CX g_tof;
static VL53L5CX_ResultsData g_tof_data;
#endif

/* The IMU's data-ready interrupt: stamp now, read in loop() (SPI is not for ISRs). */
static volatile int64_t g_imu_stamp_us;
static volatile uint32_t g_imu_ready;
static void IRAM_ATTR on_imu_ready() {
  g_imu_stamp_us = esp_timer_get_time();
  g_imu_ready++;
}

static uint64_t now_us() { return (uint64_t)esp_timer_get_time(); }

static void queue_frame(sb_header_t h, const uint8_t *payload, size_t len) {
  static uint8_t enc[SB_MAX_ENCODED_FRAME];
  size_t n = sb_encode_frame(&h, payload, len, enc, sizeof enc);
  if (n == 0 || !sb_ring_write(&g_ring, enc, n)) g_tx_dropped++;
}

static void send_error(uint16_t code, uint8_t stream, const char *text) {
  sb_error_t e = {code, stream, {0}};
  strncpy(e.text, text, SB_ERROR_TEXT_MAX);
  uint8_t payload[4 + SB_ERROR_TEXT_MAX];
  size_t n = sb_put_error(payload, sizeof payload, &e);
  queue_frame(sb_stream_next(&g_control, SB_T_ERROR, now_us()), payload, n);
}

static void send_hello() {
  sb_hello_t h = {};
  h.fw_major = FW_MAJOR;
  h.fw_minor = FW_MINOR;
  h.fw_patch = FW_PATCH;
  h.device_uid = (uint32_t)ESP.getEfuseMac();
  h.boot_id = g_boot_id;
  strncpy(h.name, "sb-esp32s3-icm42688", SB_NAME_MAX);
  uint8_t k = 0;
  if (g_imu_ok) {
    /* +-16 g: 2048 LSB/g; +-2000 dps: 16.4 LSB/dps */
    h.sensors[k++] = {1, SB_KIND_IMU, 16, 2000, IMU_BATCH, 1000000, 9.80665f / 2048.0f, (float)(M_PI / 180.0 / 16.4)};
  }
  if (g_mic_ok) h.sensors[k++] = {2, SB_KIND_AUDIO, 1, 16, AUDIO_CHUNK, 16000000, 1.0f / 32768.0f, 0.0f};
  if (g_tof_ok) h.sensors[k++] = {3, SB_KIND_DEPTH, 8, 8, 1, 15000, 0.001f, 4.0f};
  h.sensor_count = k;
  static uint8_t payload[SB_MAX_PAYLOAD];
  size_t n = sb_put_hello(payload, sizeof payload, &h);
  queue_frame(sb_stream_next(&g_control, SB_T_HELLO, now_us()), payload, n);
}

static bool imu_begin() {
  pinMode(PIN_IMU_CS, OUTPUT);
  digitalWrite(PIN_IMU_CS, HIGH);
  imuSpi.begin(PIN_IMU_SCLK, PIN_IMU_MISO, PIN_IMU_MOSI, PIN_IMU_CS);
  imu_write(REG_DEVICE_CONFIG, 0x01); /* soft reset */
  delay(2);
  uint8_t who = 0;
  imu_read(REG_WHO_AM_I, &who, 1);
  if (who != WHO_AM_I_ICM42688) return false;
  imu_write(REG_GYRO_CONFIG0, 0x06);  /* +-2000 dps, ODR 1 kHz */
  imu_write(REG_ACCEL_CONFIG0, 0x06); /* +-16 g, ODR 1 kHz */
  imu_write(REG_INT_CONFIG, 0x03);    /* INT1 push-pull, active high, pulsed */
  imu_write(REG_INT_SOURCE0, 0x08);   /* data ready -> INT1 */
  imu_write(REG_PWR_MGMT0, 0x0F);     /* gyro and accel in low-noise mode */
  delay(1);                           /* 200 us minimum after PWR_MGMT0 */
  pinMode(PIN_IMU_INT, INPUT);
  attachInterrupt(PIN_IMU_INT, on_imu_ready, RISING);
  return true;
}

static void poll_imu() {
  static sb_imu_sample_t batch[IMU_BATCH];
  static int n = 0;
  static uint64_t batch_t0 = 0, last_us = 0;
  static uint32_t seen = 0;
  uint32_t ready = g_imu_ready;
  if (ready == seen) return;
  if (ready - seen > 1) send_error(SB_E_SENSOR_OVERFLOW, 1, "imu samples missed (loop too slow)");
  seen = ready;
  uint64_t t = (uint64_t)g_imu_stamp_us;
  uint8_t raw[12];
  imu_read(REG_ACCEL_DATA_X1, raw, sizeof raw);
  sb_imu_sample_t *s = &batch[n];
  for (int c = 0; c < 3; c++) s->acc[c] = (int16_t)((raw[2 * c] << 8) | raw[2 * c + 1]);
  for (int c = 0; c < 3; c++) s->gyro[c] = (int16_t)((raw[6 + 2 * c] << 8) | raw[6 + 2 * c + 1]);
  if (n == 0) {
    batch_t0 = t;
    s->dt_us = 0;
  } else {
    s->dt_us = (uint16_t)(t - last_us);
  }
  last_us = t;
  if (++n == IMU_BATCH) {
    uint8_t payload[2 + 14 * IMU_BATCH];
    size_t len = sb_put_imu(payload, sizeof payload, batch, (uint8_t)n);
    queue_frame(sb_stream_next(&g_imu_stream, SB_T_IMU_BATCH, batch_t0), payload, len);
    n = 0;
  }
}

static void poll_mic() {
  static int16_t pcm[AUDIO_CHUNK];
  static int have = 0;
  static uint32_t index = 0;
  static uint64_t start_us = 0;
  int avail = g_i2s.available();
  while (avail >= 2) {
    int want = (AUDIO_CHUNK - have) * 2;
    if (want > avail) want = avail & ~1;
    size_t got = g_i2s.readBytes((char *)(pcm + have), (size_t)want);
    if (start_us == 0) start_us = now_us() - (uint64_t)(got / 2) * 1000000ull / 16000ull;
    have += (int)(got / 2);
    avail -= (int)got;
    if (have == AUDIO_CHUNK) {
      uint64_t t = start_us + (uint64_t)index * 1000000ull / 16000ull;
      static uint8_t payload[6 + 2 * AUDIO_CHUNK];
      size_t len = sb_put_audio(payload, sizeof payload, index, pcm, AUDIO_CHUNK);
      queue_frame(sb_stream_next(&g_audio_stream, SB_T_AUDIO_CHUNK, t), payload, len);
      index += AUDIO_CHUNK;
      have = 0;
    }
  }
}

static void poll_tof() {
#if SB_WITH_VL53L5CX
  if (!g_tof_ok || !g_tof.isDataReady()) return;
  uint64_t t = now_us();
  if (!g_tof.getRangingData(&g_tof_data)) {
    send_error(SB_E_SENSOR_READ, 3, "vl53l5cx read failed");
    return;
  }
  uint16_t mm[64];
  for (int i = 0; i < 64; i++) {
    uint8_t status = g_tof_data.target_status[i];
    int16_t d = g_tof_data.distance_mm[i];
    /* 5 = valid, 9 = valid with large pulse; no target -> 0xFFFF; anything else invalid */
    if (g_tof_data.nb_target_detected[i] == 0) mm[i] = SB_DEPTH_NO_TARGET;
    else if ((status == 5 || status == 9) && d > 0) mm[i] = (uint16_t)d;
    else mm[i] = SB_DEPTH_INVALID;
  }
  uint8_t payload[2 + 128];
  size_t len = sb_put_depth(payload, sizeof payload, 8, 8, mm);
  queue_frame(sb_stream_next(&g_depth_stream, SB_T_DEPTH_FRAME, t), payload, len);
#endif
}

static void poll_host() {
  while (Serial.available() > 0) {
    int b = Serial.read();
    if (b < 0) break;
    uint64_t rx = now_us();
    sb_frame_t f;
    int rc = sb_decoder_push(&g_rx, (uint8_t)b, &f);
    if (rc < 0) {
      send_error(SB_E_RX_BAD_FRAME, 0, "bad host frame");
      continue;
    }
    if (rc != SB_OK) continue;
    if (f.h.type == SB_T_HELLO_REQUEST) {
      send_hello();
    } else if (f.h.type == SB_T_TIME_SYNC_REQUEST) {
      sb_sync_request_t rq;
      if (sb_get_sync_request(f.payload, f.payload_len, &rq) != SB_OK) continue;
      sb_sync_reply_t rp = {rq.id, rq.host_t1, rx, now_us()};
      uint8_t payload[28];
      size_t len = sb_put_sync_reply(payload, sizeof payload, &rp);
      queue_frame(sb_stream_next(&g_control, SB_T_TIME_SYNC_REPLY, rp.dev_tx_us), payload, len);
    }
  }
}

static void drain_tx() {
  /* never block: write what the USB stack takes now; the rest waits in the ring */
  while (sb_ring_used(&g_ring) > 0) {
    int room = Serial.availableForWrite();
    if (room <= 0) return;
    const uint8_t *p;
    size_t n = sb_ring_peek(&g_ring, &p);
    if (n > (size_t)room) n = (size_t)room;
    size_t w = Serial.write(p, n);
    sb_ring_consume(&g_ring, w);
    if (w < n) return;
  }
}

void setup() {
  Serial.begin(921600); /* USB CDC: the rate is ignored */
  Serial.setTxTimeoutMs(0);
  sb_ring_init(&g_ring, g_ring_storage, sizeof g_ring_storage);
  sb_decoder_init(&g_rx);
  g_boot_id = esp_random();
  g_imu_ok = imu_begin();
  g_i2s.setPinsPdmRx(PIN_PDM_CLK, PIN_PDM_DATA);
  g_mic_ok = g_i2s.begin(I2S_MODE_PDM_RX, 16000, I2S_DATA_BIT_WIDTH_16BIT, I2S_SLOT_MODE_MONO);
#if SB_WITH_VL53L5CX
  Wire.begin(PIN_TOF_SDA, PIN_TOF_SCL);
  Wire.setClock(1000000); /* the sensor's firmware upload takes ~10 s at 100 kHz, ~1 s at 1 MHz */
  g_tof_ok = g_tof.begin() && g_tof.setResolution(64) && g_tof.setRangingFrequency(15) && g_tof.startRanging();
#endif
  send_hello();
  if (!g_imu_ok) send_error(SB_E_SENSOR_INIT, 1, "icm42688 not found (WHO_AM_I)");
  if (!g_mic_ok) send_error(SB_E_SENSOR_INIT, 2, "pdm microphone init failed");
#if SB_WITH_VL53L5CX
  if (!g_tof_ok) send_error(SB_E_SENSOR_INIT, 3, "vl53l5cx init failed");
#endif
}

void loop() {
  static uint64_t next_heartbeat = 1000000;
  if (g_imu_ok) poll_imu();
  if (g_mic_ok) poll_mic();
  poll_tof();
  poll_host();
  uint64_t t = now_us();
  if (t >= next_heartbeat) {
    sb_heartbeat_t hb = {g_tx_dropped, (uint16_t)(g_ring.high_water > 0xFFFF ? 0xFFFF : g_ring.high_water),
                         (uint8_t)((g_imu_ok ? 1 : 0) | (g_mic_ok ? 2 : 0) | (g_tof_ok ? 4 : 0))};
    uint8_t payload[8];
    size_t len = sb_put_heartbeat(payload, sizeof payload, &hb);
    queue_frame(sb_stream_next(&g_control, SB_T_HEARTBEAT, t), payload, len);
    next_heartbeat += 1000000;
  }
  drain_tx();
}
