/*
 * milter_macro - the macros an MTA sends a milter ('D' packets), kept per
 * stage as libmilter keeps them, and looked up as smfi_getsymval() does
 */
#ifndef MILTER_MACRO_H
#define MILTER_MACRO_H

#include "milter_proto.h"

struct milter_macro;

/* milter_macro_new - an empty set; NULL: ENOMEM */
struct milter_macro *milter_macro_new(void);
void		 milter_macro_free(struct milter_macro *);
/*
 * milter_macro_set - keep a 'D' packet's macros for its stage, in place of
 * that stage's earlier ones (a connect's macros clear every stage). 0, or
 * -1 (ENOMEM: the stage has none). cmd is copied.
 */
int		 milter_macro_set(struct milter_macro *,
		    const struct milter_proto_cmd *cmd);
/* milter_macro_clear - forget the macros of stages from (MILTER_PROTO_MAC_*) on */
void		 milter_macro_clear(struct milter_macro *, int from);
/*
 * milter_macro_get - a macro's value, "{name}" or "name" (one-letter names
 * match both ways, as smfi_getsymval()), the latest stage first; NULL when
 * not sent. Valid until the next set or clear.
 */
const char	*milter_macro_get(const struct milter_macro *, const char *name);
/* milter_macro_stage - the macro stage of a command byte (MILTER_PROTO_MAC_*); -1 for none */
int		 milter_macro_stage(int cmd);

#endif /* MILTER_MACRO_H */
