#!/usr/bin/env bash
# tests/tls/make-certs.sh — regenerate the TLS test fixtures in this folder.
# Test keys only: they are public, never use them for anything real.
#   ca.pem            a CA, valid for 100 years
#   server.pem        localhost, 127.0.0.1, ::1, signed by the CA
#   other.pem         other.example only (hostname mismatch), signed by the CA
#   expired.pem       localhost, signed by the CA, valid only in January 2020
#   self.pem          localhost, self-signed (unknown issuer)
# Each NAME.pem has its key in NAME-key.pem.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
days=36500

key () { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

key ca-key.pem
openssl req -x509 -new -key ca-key.pem -sha256 -days $days -subj "/CN=Wirespeed test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out ca.pem

leaf () { # name san
  key "$1-key.pem"
  openssl req -new -key "$1-key.pem" -subj "/CN=${2%%,*}" -out "$tmp/$1.csr"
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$3" > "$tmp/$1.ext"
}

leaf server localhost "DNS:localhost,IP:127.0.0.1,IP:::1"
openssl x509 -req -in "$tmp/server.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
  -days $days -sha256 -extfile "$tmp/server.ext" -out server.pem 2>/dev/null

leaf other other.example "DNS:other.example"
openssl x509 -req -in "$tmp/other.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
  -days $days -sha256 -extfile "$tmp/other.ext" -out other.pem 2>/dev/null

# A past validity needs `openssl ca`, which wants a little database.
leaf expired localhost "DNS:localhost,IP:127.0.0.1,IP:::1"
mkdir "$tmp/db" && touch "$tmp/db/index.txt" && echo 1000 > "$tmp/db/serial"
cat > "$tmp/ca.cnf" <<CNF
[ ca ]
default_ca = test
[ test ]
dir = $tmp/db
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir
default_md = sha256
policy = any
copy_extensions = none
[ any ]
commonName = supplied
CNF
openssl ca -batch -config "$tmp/ca.cnf" -cert ca.pem -keyfile ca-key.pem \
  -startdate 20200101000000Z -enddate 20200102000000Z -extfile "$tmp/expired.ext" \
  -in "$tmp/expired.csr" -out "$tmp/expired-full.pem" 2>/dev/null
openssl x509 -in "$tmp/expired-full.pem" -out expired.pem

key self-key.pem
openssl req -x509 -new -key self-key.pem -sha256 -days $days -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" -out self.pem
rm -f ca.srl
chmod 644 ./*.pem
