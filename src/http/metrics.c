/* metrics.c: request counters by route and status, and latency histograms,
 * in the Prometheus text format. */
#include <stdatomic.h>
#include <string.h>

#include "http/http.h"

#define MAX_ROUTES 128 /* the route table has 85 entries; more fall into "unmatched" */
static const int statuses[] = {200, 201, 204, 400, 401, 403, 404, 405, 413, 500, 503};
#define NSTATUS (sizeof statuses / sizeof statuses[0] + 1) /* + "other" */
static const double buckets_ms[] = {0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 1000};
#define NBUCKET (sizeof buckets_ms / sizeof buckets_ms[0])

/* Row 0 is "unmatched"; route i is row i+1. */
static _Atomic uint64_t counts[MAX_ROUTES + 1][NSTATUS];
static _Atomic uint64_t hist[MAX_ROUTES + 1][NBUCKET + 1];
static _Atomic uint64_t sum_us[MAX_ROUTES + 1];

void pp_metrics_observe(int route, int status, int64_t micros) {
  size_t row = route < 0 || route >= MAX_ROUTES ? 0 : (size_t)route + 1;
  size_t si = NSTATUS - 1;
  for (size_t i = 0; i < NSTATUS - 1; i++)
    if (statuses[i] == status) si = i;
  atomic_fetch_add_explicit(&counts[row][si], 1, memory_order_relaxed);
  size_t b = NBUCKET;
  for (size_t i = 0; i < NBUCKET; i++)
    if ((double)micros <= buckets_ms[i] * 1000.0) {
      b = i;
      break;
    }
  atomic_fetch_add_explicit(&hist[row][b], 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&sum_us[row], (uint64_t)(micros < 0 ? 0 : micros),
                            memory_order_relaxed);
}

static const char *row_name(size_t row) {
  return row == 0 ? "unmatched" : pp_http_routes[row - 1].name;
}

void pp_metrics_render(pp_buf_t *b) {
  size_t rows = pp_http_routes_count + 1;
  if (rows > MAX_ROUTES + 1) rows = MAX_ROUTES + 1;
  pp_buf_puts(b,
              "# HELP pipit_http_requests_total HTTP requests by route and status.\n"
              "# TYPE pipit_http_requests_total counter\n");
  for (size_t r = 0; r < rows; r++)
    for (size_t s = 0; s < NSTATUS; s++) {
      uint64_t c = atomic_load_explicit(&counts[r][s], memory_order_relaxed);
      if (!c) continue;
      if (s < NSTATUS - 1)
        pp_buf_printf(b, "pipit_http_requests_total{route=\"%s\",status=\"%d\"} %llu\n",
                      row_name(r), statuses[s], (unsigned long long)c);
      else
        pp_buf_printf(b, "pipit_http_requests_total{route=\"%s\",status=\"other\"} %llu\n",
                      row_name(r), (unsigned long long)c);
    }
  pp_buf_puts(b,
              "# HELP pipit_http_request_duration_seconds Request latency by route.\n"
              "# TYPE pipit_http_request_duration_seconds histogram\n");
  for (size_t r = 0; r < rows; r++) {
    uint64_t cum = 0;
    for (size_t i = 0; i <= NBUCKET; i++) cum += atomic_load(&hist[r][i]);
    if (!cum) continue;
    uint64_t run = 0;
    for (size_t i = 0; i < NBUCKET; i++) {
      run += atomic_load(&hist[r][i]);
      pp_buf_printf(b, "pipit_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
                    row_name(r), buckets_ms[i] / 1000.0, (unsigned long long)run);
    }
    pp_buf_printf(b, "pipit_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n",
                  row_name(r), (unsigned long long)cum);
    pp_buf_printf(b, "pipit_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n", row_name(r),
                  (double)atomic_load(&sum_us[r]) / 1e6);
    pp_buf_printf(b, "pipit_http_request_duration_seconds_count{route=\"%s\"} %llu\n", row_name(r),
                  (unsigned long long)cum);
  }
}
