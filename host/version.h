/*
 * version - what `phasegate --version` prints: phasegate's version and
 * plugin ABI, the plugin directory, and the versions of the libraries the
 * process runs with.
 */
#ifndef VERSION_H
#define VERSION_H

#include <stdio.h>

/* version_print - write the version lines to fp */
void		 version_print(FILE *fp);

#endif /* VERSION_H */
