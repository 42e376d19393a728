/*
 * notify - tell the service manager (systemd) how the daemon is doing,
 * the sd_notify(3) protocol over $NOTIFY_SOCKET without libsystemd.
 */
#ifndef NOTIFY_H
#define NOTIFY_H

/*
 * notify_send - send state ("READY=1", "STOPPING=1", several assignments
 * separated by '\n') to $NOTIFY_SOCKET. Returns 1 when sent, 0 when there is
 * no $NOTIFY_SOCKET (not run by systemd), -1 with errno on failure.
 */
int		 notify_send(const char *state);

/*
 * notify_reloading - "RELOADING=1" with MONOTONIC_USEC, the clock reading
 * systemd expects with it; return values as notify_send().
 */
int		 notify_reloading(void);

#endif /* NOTIFY_H */
