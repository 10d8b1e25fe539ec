/* The monotonic clock, the one clock the harness reads. */
#ifndef WS_HARNESS_CLOCK_H
#define WS_HARNESS_CLOCK_H

#include <stdint.h>

int64_t ws_now_ms(void);
/* The same clock in microseconds (the case engine's timeline). */
int64_t ws_now_us(void);

/* Milliseconds left until deadline (never negative). */
int ws_ms_until(int64_t deadline_ms);

#endif
