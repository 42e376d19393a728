/*
 * store_mem - the in-process backend of the store (store.h)
 *
 * A hash table in this process, shared by every session and thread (one
 * mutex). Keys are byte strings of at most STORE_MEM_KEY_MAX bytes, string
 * values at most STORE_MEM_VALUE_MAX bytes. Memory is bounded by
 * store_mem_set_max() (store.memory_max): every entry is charged its
 * key, value and bookkeeping; a write that would pass the bound first
 * evicts the entries that expire soonest (expired ones first of all), and
 * fails with ENOSPC when what is left (entries without a ttl) still does
 * not leave room. Entries without a ttl are never evicted.
 */
#ifndef STORE_MEM_H
#define STORE_MEM_H

#include <stddef.h>
#include <stdint.h>

#include <phasegate/plugin.h>

#define STORE_MEM_KEY_MAX	1024
#define STORE_MEM_VALUE_MAX	(1024 * 1024)
#define STORE_MEM_MAX_DEFAULT	(64 * 1024 * 1024)

/* the backend (store.h struct store_backend) */
extern const struct store_backend store_mem_backend;

/* store_mem_set_max - the bound in bytes; evicts at once when over it */
void		 store_mem_set_max(size_t bytes);
/* store_mem_used - bytes charged now; store_mem_count - entries now */
size_t		 store_mem_used(void);
size_t		 store_mem_count(void);
/* store_mem_clear - drop every entry (tests) */
void		 store_mem_clear(void);

#endif /* STORE_MEM_H */
