/* mono: the monotonic clock in seconds, for timeouts, back-off and request durations. */
#ifndef AIFB_MONO_H
#define AIFB_MONO_H

/* Seconds since an arbitrary fixed point (CLOCK_MONOTONIC); never goes back. */
double mono_now(void);

#endif
