# bench.mk - see Makefile.am
