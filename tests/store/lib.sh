# tests/store/lib.sh - helpers for the store tests; source it (after
# tests/proxy/lib.sh when the test needs the proxy).
#   start_redis [redis-server options]   a private redis-server on a free port
#                                        and a unix socket in $T (nothing on disk);
#                                        sets REDIS_PORT, REDIS_SOCK, REDIS_PID
#   stop_redis                           stop it by PID
#   rcli ARGS...                         redis-cli against it
command -v redis-server >/dev/null 2>&1 || { echo "redis-server not installed: skip"; exit 77; }

start_redis() {
	REDIS_PORT=${REDIS_PORT_WANT:-$(free_port)}
	REDIS_SOCK=$T/redis.sock
	spawn redis-server --port "$REDIS_PORT" --bind 127.0.0.1 \
		--unixsocket "$REDIS_SOCK" --unixsocketperm 700 \
		--save '' --appendonly no --daemonize no --dir "$T" \
		--logfile "$T/redis.log" "$@"
	REDIS_PID=$!
	local i
	for i in $(seq 1 100); do
		[ -S "$REDIS_SOCK" ] && (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT") 2>/dev/null &&
			return 0
		sleep 0.05
	done
	echo "redis-server did not start" >&2
	cat "$T/redis.log" >&2
	return 1
}

stop_redis() {
	kill "$REDIS_PID" 2>/dev/null
	wait "$REDIS_PID" 2>/dev/null
}

rcli() {
	redis-cli -p "$REDIS_PORT" "$@"
}
