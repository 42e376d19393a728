/*
 * proxy_front - the SMTP proxy front end (DESIGN section 6): one listener
 * of config->smtp[], a fiber per client session (fiber.h: the worker
 * threads run many sessions), one upstream session per client session.
 */
#ifndef PROXY_FRONT_H
#define PROXY_FRONT_H

#include <stddef.h>

struct config;
struct config_smtp;
struct proxy_front;

/*
 * proxy_front_new - bind the listener (a bind failure is a configuration
 * error: NULL with the reason in err). cfg and sc are not copied and must
 * outlive the front end.
 */
struct proxy_front *proxy_front_new(const struct config *cfg,
		    const struct config_smtp *sc, char *err, size_t errlen);
/* proxy_front_start - run the accept loop in its own fiber; 0 or -1 */
int		 proxy_front_start(struct proxy_front *);
/*
 * proxy_front_stop - stop accepting; idle sessions get 421 at once, busy
 * ones may finish for a grace period (10 s) and then get 421.
 */
void		 proxy_front_stop(struct proxy_front *);
void		 proxy_front_free(struct proxy_front *);

#endif /* PROXY_FRONT_H */
