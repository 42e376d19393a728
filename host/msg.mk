# host/msg.mk - the message model: header codec, spool, message; their tests
libpgcore_la_SOURCES += \
	host/hdr.c host/hdr.h \
	host/msg.c host/msg.h \
	host/spool.c host/spool.h
