# smtp.mk - see Makefile.am
