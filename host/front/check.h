/*
 * check - `phasegate check`: run message files through the whole chain
 * offline, as the front ends would, and report what each phase decided.
 */
#ifndef CHECK_H
#define CHECK_H

/* argv after "check"; returns the exit status of DESIGN section 1. */
int	check_main(int argc, char **argv);

#endif /* CHECK_H */
