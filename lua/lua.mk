# lua.mk - see Makefile.am
