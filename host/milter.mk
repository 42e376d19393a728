# milter.mk - see Makefile.am
