#!/usr/bin/env bash
# Test certificates for the TLS tests, made with openssl into DIR:
#   ca.pem            a test CA (ECDSA P-256), valid for 2 days
#   ec.pem  ec.key    server certificate + key, ECDSA P-256
#   rsa.pem rsa.key   server certificate + key, RSA 2048
#   ed25519.pem ed25519.key   server certificate + key, Ed25519
#   ec-sec1.key rsa-pkcs1.key   the same keys as SEC1 and PKCS#1 PEM
#   chain.pem         ec.pem followed by ca.pem (a certificate chain)
#   expired.pem       for ec.key, valid only in January 2020
#   other.pem         for ec.key, naming only DNS:other.test (a wrong host name)
# Every other server certificate names IP:127.0.0.1 and DNS:localhost.
#
#   bash tests/tls/make-certs.sh DIR
set -euo pipefail
dir="$1"
mkdir -p "$dir"
cd "$dir"
quiet() { "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; "$@"; exit 1; }; }

quiet openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=ferrodot test CA"
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' >server.ext

sign() { # NAME: NAME.key -> NAME.pem
    quiet openssl req -new -key "$1.key" -out "$1.csr" -subj /CN=localhost
    quiet openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile server.ext -out "$1.pem"
}
quiet openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.key
quiet openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key
quiet openssl genpkey -algorithm ED25519 -out ed25519.key
for name in ec rsa ed25519; do sign "$name"; done
cat ec.pem ca.pem >chain.pem
sed 's/^subjectAltName=.*/subjectAltName=DNS:other.test/' server.ext >other.ext
quiet openssl x509 -req -in ec.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile other.ext -out other.pem
quiet openssl ec -in ec.key -out ec-sec1.key
quiet openssl rsa -traditional -in rsa.key -out rsa-pkcs1.key

# openssl 3.0's x509 and req take no start date: `openssl ca` does.
mkdir -p ca.d
: >ca.d/index.txt
echo 1000 >ca.d/serial
printf '[ca]\ndefault_ca=test\n[test]\ndatabase=ca.d/index.txt\nnew_certs_dir=ca.d\nserial=ca.d/serial\ndefault_md=sha256\npolicy=any\n[any]\ncommonName=supplied\n' >ca.d/ca.cnf
quiet openssl ca -batch -config ca.d/ca.cnf -cert ca.pem -keyfile ca.key -in ec.csr -out expired.pem \
    -startdate 20200101000000Z -enddate 20200201000000Z -notext -extfile server.ext
