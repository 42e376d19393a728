#!/usr/bin/env bash
# tests/tls/mkcerts.sh DIR - test certificates made with openssl req:
#   DIR/ca.crt ca.key            a test CA
#   DIR/server.crt server.key    EC P-256, CN and SAN localhost, signed by the CA
#   DIR/chain.crt                server.crt followed by ca.crt
#   DIR/self.crt self.key        a self-signed certificate (not from the CA)
set -e
d=$1
mkdir -p "$d"
cd "$d"
q() { "$@" >/dev/null 2>&1; }
q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout ca.key -out ca.crt -days 2 -subj "/CN=phasegate test CA"
q openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout server.key -out server.csr -subj "/CN=localhost"
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >ext.cnf
q openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
	-out server.crt -days 2 -extfile ext.cnf
cat server.crt ca.crt >chain.crt
q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout self.key -out self.crt -days 2 -subj "/CN=localhost"
chmod 600 ./*.key
