#!/usr/bin/env bash
# Redis and PostgreSQL for the tests (`make services`, a prerequisite of `make test`; docs/deployment.md).
#
# What listens on 127.0.0.1:6379 (Redis) and 127.0.0.1:5432 (PostgreSQL, user postgres, trust auth, database
# `test`) is used as it is (REDIS_PORT, PG_PORT to change them). Where nothing listens, the Debian packages are
# installed when missing and a throwaway instance is started: redis-server in memory only, a PostgreSQL cluster made by initdb
# under /tmp/pad-services/ (run as the postgres user when root). The binaries are installed in any case,
# since the tests that stop a service mid-load start private instances of their own (tests/services.py).
# Nothing here stops or changes a service that was already running.
set -euo pipefail

SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
REDIS_PORT=${REDIS_PORT:-6379}
PG_PORT=${PG_PORT:-5432}
STATE=${SERVICES_DIR:-/tmp/pad-services}
mkdir -p "$STATE"

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {   # wait_port PORT NAME
  for _ in $(seq 1 100); do listening "$1" && return 0; sleep 0.1; done
  echo "services: $2 did not start on 127.0.0.1:$1" >&2; return 1
}

apt_install() {
  $SUDO apt-get update -qq >/dev/null
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

# --- binaries (private instances of the tests need them even when shared services run elsewhere)
command -v redis-server >/dev/null || apt_install redis-server
[ -n "$(pg_bin)" ] || apt_install postgresql
BIN=$(pg_bin)
AS_PG=()
[ "$(id -u)" = 0 ] && AS_PG=(runuser -u postgres --)

# --- Redis
if listening $REDIS_PORT; then
  echo "services: Redis on 127.0.0.1:$REDIS_PORT (already running)"
else
  redis-server --port $REDIS_PORT --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --logfile "$STATE/redis.log" --pidfile "$STATE/redis.pid"
  wait_port $REDIS_PORT Redis
  echo "services: Redis started on 127.0.0.1:$REDIS_PORT (in memory only; pid file $STATE/redis.pid)"
fi

# --- PostgreSQL
if listening $PG_PORT; then
  echo "services: PostgreSQL on 127.0.0.1:$PG_PORT (already running)"
else
  DATA="$STATE/pg"
  if [ ! -f "$DATA/PG_VERSION" ]; then
    mkdir -p "$DATA"
    [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$STATE"
    "${AS_PG[@]}" "$BIN/initdb" -D "$DATA" -A trust -U postgres --no-sync >/dev/null
  fi
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$STATE"
  "${AS_PG[@]}" "$BIN/pg_ctl" -D "$DATA" -l "$STATE/pg.log" -w \
    -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $STATE" start >/dev/null
  echo "services: PostgreSQL started on 127.0.0.1:$PG_PORT (cluster $DATA; stop: pg_ctl -D $DATA stop)"
fi
# the tests' admin database
if ! "$BIN/psql" -h 127.0.0.1 -p $PG_PORT -U postgres -d test -Atqc 'SELECT 1' >/dev/null 2>&1; then
  "$BIN/createdb" -h 127.0.0.1 -p $PG_PORT -U postgres test
  echo "services: database test created"
fi
