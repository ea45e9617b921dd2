#!/usr/bin/env bash
# The PostgreSQL test engine for the store suite (issue 15).
#   start    initdb if needed, start on a free loopback port, create database `blindpost`,
#            wait until ready, write target/engines/postgres.env
#   stop     fast shutdown (idempotent, also after a failed start)
#   restart  fast shutdown then start on the same data and port
#   crash    SIGKILL the postmaster, then start again (crash recovery)
# PostgreSQL refuses to run as root: the server runs as the Debian `postgres` user.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SCRIPT="$ROOT/ci/engines/postgres.sh"
STATE="$ROOT/target/engines"
DATA_FILE="$STATE/postgres.datadir"   # where the data directory is (it may be under /tmp)
PORT_FILE="$STATE/postgres.port"
ENV_FILE="$STATE/postgres.env"
WAIT_SECS=60

die() { echo "postgres.sh: $*" >&2; exit 1; }

bin_dir() {
    local pg
    pg=$(ls -d /usr/lib/postgresql/*/bin/postgres 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$pg" ]; then
        [ "${CI:-}" = "true" ] || die "no PostgreSQL server found: apt-get install -y postgresql"
        export DEBIAN_FRONTEND=noninteractive
        timeout 600 apt-get update >&2
        timeout 600 apt-get install -y postgresql >&2
        pg=$(ls -d /usr/lib/postgresql/*/bin/postgres | sort -V | tail -n 1)
    fi
    dirname "$pg"
}

as_pg() { runuser -u postgres -- "$@"; }

# A data directory the postgres user can write: target/engines/postgres/data when it can reach
# it, else a fresh mktemp dir under /tmp (remembered in $DATA_FILE).
data_dir() {
    if [ -s "$DATA_FILE" ]; then cat "$DATA_FILE"; return; fi
    local dir="$STATE/postgres/data"
    mkdir -p "$dir"
    chown postgres: "$STATE/postgres" "$dir"
    if ! as_pg test -w "$dir"; then
        rm -rf "$STATE/postgres"
        dir=$(mktemp -d /tmp/blindpost-pg.XXXXXX)
        chown postgres: "$dir"
    fi
    echo "$dir" > "$DATA_FILE"
    echo "$dir"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
    mkdir -p "$STATE"
    local bin dir port
    bin=$(bin_dir)
    dir=$(data_dir)
    if [ ! -f "$dir/PG_VERSION" ]; then
        as_pg "$bin/initdb" -D "$dir" -U postgres --auth=trust --encoding=UTF8 --no-locale >/dev/null
        cat >> "$dir/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
fsync = on
synchronous_commit = on
max_connections = 300
CONF
        printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' > "$dir/pg_hba.conf"
        chown postgres: "$dir/pg_hba.conf"
    fi
    if [ -s "$PORT_FILE" ]; then port=$(cat "$PORT_FILE"); else port=$(free_port); echo "$port" > "$PORT_FILE"; fi
    if ! as_pg "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
        # After a crash, backends of the killed postmaster may still hold its shared memory
        # for a moment and the new one refuses to start: try a few times.
        local tries=0
        until as_pg "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -o "-p $port" -w -t "$WAIT_SECS" start >/dev/null; do
            tries=$((tries + 1))
            [ "$tries" -lt 5 ] || { tail -n 20 "$dir/server.log" >&2 || true; die "server did not start"; }
            sleep 1
        done
    fi
    local waited=0
    until as_pg "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; do
        waited=$((waited + 1))
        [ "$waited" -lt "$WAIT_SECS" ] || die "not ready after ${WAIT_SECS}s"
        sleep 1
    done
    if [ -z "$(as_pg "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'blindpost'")" ]; then
        as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres blindpost
    fi
    cat > "$ENV_FILE" <<ENV
BLINDPOST_POSTGRES_URL='host=127.0.0.1 port=$port user=postgres dbname=blindpost'
BLINDPOST_POSTGRES_CTL='bash $SCRIPT'
ENV
    echo "postgres: ready on 127.0.0.1:$port, data in $dir" >&2
}

# Stops the server and keeps its port (restart reuses it: the env file stays valid).
stop_server() {
    [ -s "$DATA_FILE" ] || return 0
    local dir bin
    dir=$(cat "$DATA_FILE")
    [ -f "$dir/PG_VERSION" ] || return 0
    bin=$(bin_dir)
    if as_pg "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
        as_pg "$bin/pg_ctl" -D "$dir" -m fast -w -t "$WAIT_SECS" stop >/dev/null \
            || as_pg "$bin/pg_ctl" -D "$dir" -m immediate -w -t "$WAIT_SECS" stop >/dev/null
    fi
}

crash() {
    local dir pid
    dir=$(cat "$DATA_FILE" 2>/dev/null) || die "not started"
    if [ -s "$dir/postmaster.pid" ]; then
        pid=$(head -n 1 "$dir/postmaster.pid")
        kill -KILL "$pid" 2>/dev/null || true
        local waited=0
        while kill -0 "$pid" 2>/dev/null; do
            waited=$((waited + 1))
            [ "$waited" -lt $((WAIT_SECS * 10)) ] || die "postmaster $pid survived SIGKILL"
            sleep 0.1
        done
    fi
    start
}

# Stops the server; the next start picks a fresh free port.
stop() {
    stop_server
    rm -f "$PORT_FILE"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    restart) stop_server; start ;;
    crash) crash ;;
    *) die "usage: $0 start|stop|restart|crash" ;;
esac
