# regex.mk - see Makefile.am
