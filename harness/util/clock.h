/* The monotonic clock, the one clock the harness reads. */
#ifndef WS_HARNESS_CLOCK_H
#define WS_HARNESS_CLOCK_H

#include <stdint.h>
#include <time.h>

int64_t ws_now_ms(void);
/* The same clock in microseconds (the case engine's timeline). */
int64_t ws_now_us(void);

/* Milliseconds left until deadline (never negative). */
int ws_ms_until(int64_t deadline_ms);

/* The time `ms` from now on `clock`, as pthread_cond_timedwait wants it
 * (the condition variable's clock: CLOCK_REALTIME unless set otherwise). */
struct timespec ws_timespec_after_ms(clockid_t clock, int64_t ms);

#endif
