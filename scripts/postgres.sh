#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on 127.0.0.1 for the relay's tests:
# installs Debian's postgresql when it is missing, starts a cluster in a
# temporary directory on a free port, and prints the shell lines that set
# CONSENTRY_TEST_POSTGRES (its URL) and CONSENTRY_PG_STOP (what stops it).
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
dir=$(mktemp -d /tmp/consentry-pg-XXXXXX)
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
# PostgreSQL refuses to run as root: as root, the cluster is the postgres user's.
as=()
if [ "$(id -u)" = 0 ]; then
  chown postgres "$dir"
  as=(runuser -u postgres --)
fi
"${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -o "-h 127.0.0.1 -p $port -k $dir -c fsync=on" -l "$dir/server.log" -w start >&2
echo "export CONSENTRY_TEST_POSTGRES=postgres://postgres@127.0.0.1:$port/postgres"
echo "export CONSENTRY_PG_STOP=\"${as[*]} $bin/pg_ctl -D $dir/data -m immediate stop\""
