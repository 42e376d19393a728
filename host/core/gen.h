/*
 * gen - the chain generation new sessions get
 *
 * serve publishes a generation at start and at every successful reload;
 * the drivers take a reference to it when a session starts. The old
 * generation lives on in the sessions that hold it.
 */
#ifndef GEN_H
#define GEN_H

struct chain;

/* gen_publish - make c current (the reference passes to gen); NULL clears */
void		 gen_publish(struct chain *c);
/* gen_acquire - a reference to the current generation (chain_unref it), or NULL */
struct chain	*gen_acquire(void);

#endif /* GEN_H */
