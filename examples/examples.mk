# examples.mk - see Makefile.am
