#!/bin/sh
# Makes the firmware's demo certificate and key (compiled into the image by
# src/tls.rs): self-signed, ECDSA P-256, valid 20 years, for
# https://ferrodot.local and https://127.0.0.1 (the test's QEMU forward).
# Every device flashed with this image shares the key: make your own.
set -eu
cd "$(dirname "$0")"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout key.pem -out cert.pem -days 7300 -sha256 \
    -subj "/CN=ferrodot.local" \
    -addext "subjectAltName=DNS:ferrodot.local,IP:127.0.0.1" \
    -addext "basicConstraints=critical,CA:FALSE" \
    -addext "keyUsage=critical,digitalSignature" \
    -addext "extendedKeyUsage=serverAuth"
