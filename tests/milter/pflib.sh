# tests/milter/pflib.sh - a private Postfix instance on loopback, for the
# milter tests, the scenario runner and bench/milter. Source it after
# tests/lib.sh (or set T and define spawn). Needs root (Postfix's master
# runs as root and drops to the postfix user) and the postfix package.
#
#   pf_usable                 0 when a private Postfix can run here
#   pf_start DIR SMTPD_PORT RELAY_PORT [MILTER] [MORE_MAIN_CF] [MORE_MASTER_CF]
#                             config, queue and data under DIR; smtpd on
#                             127.0.0.1:SMTPD_PORT relaying everything to
#                             [127.0.0.1]:RELAY_PORT; MILTER is Postfix's
#                             form, inet:127.0.0.1:PORT ("" for none)
#   pf_stop DIR
#   pf_wait_queue DIR SECS    wait until the queue is empty

pf_usable() {
	[ "$(id -u)" = 0 ] && command -v postfix >/dev/null &&
		command -v smtp-sink >/dev/null && getent passwd postfix >/dev/null
}

pf_start() {
	local d=$1 port=$2 relay=$3 milter=${4:-} more=${5:-} moremaster=${6:-}
	mkdir -p "$d/etc" "$d/queue" "$d/data"
	chown postfix "$d/data"
	cat >"$d/etc/main.cf" <<EOT
compatibility_level = 3.6
queue_directory = $d/queue
data_directory = $d/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.test.example
mydomain = test.example
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
relay_domains = example.org example.net example.com
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.1]:$relay
smtp_tls_security_level = none
smtpd_tls_security_level = none
smtpd_milters = $milter
milter_default_action = tempfail
milter_protocol = 6
milter_mail_macros = i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} {mail_mailer}
maillog_file = $d/maillog
maillog_file_prefixes = $d
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
smtp_connection_cache_on_demand = no
default_process_limit = 100
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
in_flow_delay = 0
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 1000
smtpd_hard_error_limit = 1000
$more
EOT
	cat >"$d/etc/master.cf" <<EOT
127.0.0.1:$port inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
$moremaster
EOT
	# the queue as post-install would make it, and master started directly:
	# "postfix start" runs its whole check first (seconds)
	local q=$d/queue x
	for x in active bounce corrupt defer deferred flush hold incoming private saved trace; do
		install -d -o postfix -m 700 "$q/$x"
	done
	install -d -o postfix -g postdrop -m 730 "$q/maildrop"
	install -d -o postfix -g postdrop -m 710 "$q/public"
	install -d -m 755 "$q/pid"
	# master -w now and then fails once without a word: try again
	local try
	for try in 1 2 3; do
		/usr/lib/postfix/sbin/master -c "$d/etc" -w >"$d/start.log" 2>&1 && break
		[ "$try" = 3 ] && { cat "$d/start.log" "$d/maillog" 2>/dev/null; return 1; }
		postfix -c "$d/etc" stop >/dev/null 2>&1 || true
		sleep 0.5
	done
	local i
	for i in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
		sleep 0.05
	done
	echo "postfix did not listen on $port"; cat "$d/maillog"
	return 1
}

pf_stop() {
	postfix -c "$1/etc" stop >/dev/null 2>&1 || true
}

pf_wait_queue() {
	local i n=$(( $2 * 10 ))
	for i in $(seq "$n"); do
		[ -z "$(find "$1/queue/incoming" "$1/queue/active" "$1/queue/deferred" "$1/queue/maildrop" -type f 2>/dev/null | head -1)" ] && return 0
		sleep 0.1
	done
	return 1
}
