/*
 * The Opus work of one transcoded call (encode a 20 ms frame as FreeSWITCH encodes toward Meta,
 * decode one) on the system's libopus, three ways (README "Benchmark", issue 12):
 *   loop     frames back to back, one encoder/decoder pair: the codec's own floor
 *   threads  a thread per call, each woken every 20 ms: FreeSWITCH's pattern (a thread per channel)
 *   pool     one thread, every 20 ms all calls' frames back to back: a worker pool's pattern
 * CPU comes from getrusage (user + system), so wake-ups and cold caches count.
 *
 *   cc -O2 test/bench/opus-cadence.c -lopus -lm -lpthread -o /tmp/opus-cadence
 *   /tmp/opus-cadence threads <complexity> <calls> <seconds>
 *
 * Encoder settings as mod_opus sets them for Meta's offer with our opus.conf: 16 kHz input,
 * narrowband (maxplaybackrate 8000), 20 kbit/s VBR, VoIP, in-band FEC on with 0 % loss assumed.
 */
#include <math.h>
#include <opus/opus.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define RATE 16000
#define FRAME 320 /* 20 ms at 16 kHz */
#define MAX_CALLS 400

static short src[50][FRAME]; /* one second of a speech-like signal */
static int complexity, seconds;

typedef struct { OpusEncoder *enc; OpusDecoder *dec; } call_t;

static void call_open(call_t *c) {
  int err;
  c->enc = opus_encoder_create(RATE, 1, OPUS_APPLICATION_VOIP, &err);
  opus_encoder_ctl(c->enc, OPUS_SET_BITRATE(20000));
  opus_encoder_ctl(c->enc, OPUS_SET_BANDWIDTH(OPUS_BANDWIDTH_NARROWBAND));
  opus_encoder_ctl(c->enc, OPUS_SET_MAX_BANDWIDTH(OPUS_BANDWIDTH_NARROWBAND));
  opus_encoder_ctl(c->enc, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
  opus_encoder_ctl(c->enc, OPUS_SET_VBR(1));
  opus_encoder_ctl(c->enc, OPUS_SET_COMPLEXITY(complexity));
  opus_encoder_ctl(c->enc, OPUS_SET_INBAND_FEC(1));
  opus_encoder_ctl(c->enc, OPUS_SET_PACKET_LOSS_PERC(0));
  c->dec = opus_decoder_create(RATE, 1, &err);
}

static void call_frame(call_t *c, int f) {
  unsigned char pkt[1500];
  short out[FRAME];
  int len = opus_encode(c->enc, src[f % 50], FRAME, pkt, sizeof pkt);
  if (len < 0 || opus_decode(c->dec, pkt, len, out, FRAME, 0) < 0) abort();
}

static void next_tick(struct timespec *t) {
  t->tv_nsec += 20000000;
  if (t->tv_nsec >= 1000000000) { t->tv_nsec -= 1000000000; t->tv_sec++; }
  clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, t, NULL);
}

static void *one_call(void *arg) {
  call_t c;
  struct timespec t;
  (void) arg;
  call_open(&c);
  clock_gettime(CLOCK_MONOTONIC, &t);
  for (int f = 0; f < seconds * 50; f++) { call_frame(&c, f); next_tick(&t); }
  return NULL;
}

static double cpu_seconds(void) {
  struct rusage r;
  getrusage(RUSAGE_SELF, &r);
  return r.ru_utime.tv_sec + r.ru_utime.tv_usec / 1e6 + r.ru_stime.tv_sec + r.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv) {
  if (argc != 5) { fprintf(stderr, "usage: %s loop|threads|pool <complexity> <calls> <seconds>\n", argv[0]); return 2; }
  const char *mode = argv[1];
  complexity = atoi(argv[2]);
  int calls = atoi(argv[3]);
  seconds = atoi(argv[4]);
  if (calls < 1 || calls > MAX_CALLS || seconds < 1) { fprintf(stderr, "calls 1..%d, seconds >= 1\n", MAX_CALLS); return 2; }
  srand(1);
  for (int f = 0; f < 50; f++)
    for (int k = 0; k < FRAME; k++) {
      double x = (f * FRAME + k) / (double) RATE;
      src[f][k] = (short) (6000 * sin(2 * M_PI * 1000 * x) + 3000 * sin(2 * M_PI * 300 * x) + (rand() % 2000 - 1000));
    }
  static call_t pool[MAX_CALLS];
  double cpu;
  if (!strcmp(mode, "loop")) {
    call_open(&pool[0]);
    double c0 = cpu_seconds();
    for (int f = 0; f < seconds * 50 * calls; f++) call_frame(&pool[0], f);
    cpu = cpu_seconds() - c0;
  } else if (!strcmp(mode, "threads")) {
    pthread_t th[MAX_CALLS];
    for (int i = 0; i < calls; i++) pthread_create(&th[i], NULL, one_call, NULL);
    for (int i = 0; i < calls; i++) pthread_join(th[i], NULL);
    cpu = cpu_seconds();
  } else if (!strcmp(mode, "pool")) {
    struct timespec t;
    for (int i = 0; i < calls; i++) call_open(&pool[i]);
    clock_gettime(CLOCK_MONOTONIC, &t);
    for (int f = 0; f < seconds * 50; f++) { for (int i = 0; i < calls; i++) call_frame(&pool[i], f); next_tick(&t); }
    cpu = cpu_seconds();
  } else {
    fprintf(stderr, "mode: loop, threads or pool\n");
    return 2;
  }
  double per_call = cpu / seconds / calls; /* share of a core per call */
  printf("%s, complexity %d, %d calls, %d s: %.1f us per 20 ms frame pair, %.3f%% of a core per call -> %.0f calls per core\n",
         mode, complexity, calls, seconds, per_call * 0.02 * 1e6, per_call * 100, 1 / per_call);
  return 0;
}
