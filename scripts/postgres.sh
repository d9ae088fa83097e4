#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on 127.0.0.1 for the relay's tests:
# installs Debian's postgresql when it is missing, starts a cluster in a
# temporary directory on a free port, and prints the shell lines that set
# CONSENTRY_TEST_POSTGRES (its URL) and CONSENTRY_PG_STOP (what stops it and
# removes its directory: each cluster takes about 380 MB).
# Use: eval "$(bash scripts/postgres.sh)"
set -euo pipefail
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "installing Debian's postgresql for the relay's tests" >&2
  $SUDO apt-get update >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
if ! command -v openssl >/dev/null; then
  echo "installing Debian's openssl for the TLS test's certificates" >&2
  $SUDO apt-get update >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y openssl >&2
fi
dir=$(mktemp -d /tmp/consentry-pg-XXXXXX)
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
# PostgreSQL refuses to run as root: as root, the cluster is the postgres user's.
as=()
if [ "$(id -u)" = 0 ]; then
  chown postgres "$dir"
  as=(runuser -u postgres --)
fi
"${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
# TLS for the relay's sslmode=require test: a throwaway CA and a server
# certificate for 127.0.0.1; the role tls_only may connect over TLS alone.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Consentry test CA" \
  -keyout "$dir/ca.key" -out "$dir/ca.pem" >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$dir/data/server.key" -out "$dir/server.csr" >/dev/null 2>&1
printf 'subjectAltName=IP:127.0.0.1\n' >"$dir/san.ext"
openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 2 \
  -extfile "$dir/san.ext" -out "$dir/data/server.crt" >/dev/null 2>&1
chmod 600 "$dir/data/server.key"
[ "$(id -u)" = 0 ] && chown postgres "$dir/data/server.key" "$dir/data/server.crt"
{ printf 'hostssl all tls_only 127.0.0.1/32 trust\nhost all tls_only 127.0.0.1/32 reject\n'; cat "$dir/data/pg_hba.conf"; } >"$dir/hba" && cat "$dir/hba" >"$dir/data/pg_hba.conf"
"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -o "-h 127.0.0.1 -p $port -k $dir -c fsync=on -c ssl=on" -l "$dir/server.log" -w start >&2
"$bin/psql" -q -h 127.0.0.1 -p "$port" -U postgres -c "CREATE ROLE tls_only LOGIN CREATEDB" >&2
echo "export CONSENTRY_TEST_POSTGRES=postgres://postgres@127.0.0.1:$port/postgres"
echo "export CONSENTRY_TEST_POSTGRES_CA=$dir/ca.pem"
echo "export CONSENTRY_PG_STOP=\"${as[*]} $bin/pg_ctl -D $dir/data -m immediate stop; rm -rf $dir\""
