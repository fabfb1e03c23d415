#!/usr/bin/env bash
# Runs a command beside a throwaway PostgreSQL cluster, for the PostgreSQL
# tests: installs PostgreSQL from the distribution's packages when it is
# missing, starts a cluster in a temporary directory (as the `postgres` user
# when run as root: the server refuses to run as root), exports
# JEXPR_TEST_POSTGRES (a URL) and JEXPR_TEST_PG_CTL (its pg_ctl, for the test
# that stops the server), runs the command, and removes the cluster.
# Usage: scripts/with-postgres.sh cargo test
set -euo pipefail

newest_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

bin=$(newest_bin)
if [ -z "$bin" ] && command -v initdb >/dev/null 2>&1; then
  bin=$(dirname "$(command -v initdb)")
fi
if [ -z "$bin" ]; then
  echo "with-postgres: installing PostgreSQL from the distribution's packages" >&2
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
  bin=$(newest_bin)
fi

dir=$(mktemp -d /tmp/jexpr-pg.XXXXXX)
as=""
if [ "$(id -u)" = 0 ]; then
  chown postgres "$dir"
  as="runuser -u postgres --"
fi
port=""
for p in $(seq 54329 54399); do
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
[ -n "$port" ] || { echo "with-postgres: no free port in 54329-54399" >&2; exit 1; }

$as "$bin/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
cat >>"$dir/data/postgresql.conf" <<CONF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
max_connections = 100
# A throwaway cluster: durability across power loss is not under test
# (benchmarks set JEXPR_PG_FSYNC=on to measure what a real server pays).
fsync = ${JEXPR_PG_FSYNC:-off}
CONF
chmod a+r "$dir/data/postgresql.conf" 2>/dev/null || true
ctl="$as $bin/pg_ctl -D $dir/data -l $dir/log"
$ctl start -w >/dev/null
cleanup() { $ctl stop -m immediate >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT

export JEXPR_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/postgres"
export JEXPR_TEST_PG_CTL="$ctl"
echo "with-postgres: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') at $JEXPR_TEST_POSTGRES" >&2
"$@"
