# msg.mk - see Makefile.am
