# config.mk - see Makefile.am
