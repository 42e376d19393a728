# tests/store/store.mk - pg.store against real redis-server instances,
# fleets of two serve processes, greylisting through the proxy, faults;
# maps (see Makefile.am)
STORE_TESTS = tests/store/api.sh tests/store/fleet.sh tests/store/hostile.sh \
	tests/store/memcap.sh tests/store/greylist.sh tests/store/map.sh tests/store/reload.sh
TESTS += $(STORE_TESTS)
EXTRA_DIST += $(STORE_TESTS) tests/store/lib.sh tests/store/fakeredis.py
