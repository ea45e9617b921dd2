#!/usr/bin/env bash
# A 6-node Redis Cluster (3 masters, 3 replicas) on loopback for the store suite (issue 15).
#   start            install redis-server under CI=true if missing, start 6 nodes on free ports,
#                    create the cluster, wait for cluster_state:ok, write target/engines/redis-cluster.env
#   stop             shut every node down (idempotent, also after a failed start)
#   restart          graceful SHUTDOWN (flushes the AOF) of every node, start them again, wait ok
#   restart-node P   the same for the node on port P
#   stop-node P      shut the node on port P down (the cluster stays up while P is a replica)
#   start-node P     start it again and wait for cluster_state:ok
#   failover         CLUSTER FAILOVER on one replica, wait until it is a master and the cluster is ok
# Persistence: appendonly yes, appendfsync everysec (what Redis' persistence docs recommend).
# Redis writes the AOF before it answers, so a killed redis-server loses nothing; a crash of the
# machine (power, kernel) can lose the last second that was not yet fsynced. The store waits for
# a replica (WAIT 1) after each write, so losing an acknowledged write takes both a master's and
# its replica's machines crashing within that second; `appendfsync always` closes that window
# at the cost of an fsync per write.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIR="$ROOT/target/engines/redis"
ENV_FILE="$ROOT/target/engines/redis-cluster.env"
PORTS_FILE="$DIR/ports"
SCRIPT="$ROOT/ci/engines/redis-cluster.sh"

die() { echo "redis-cluster.sh: $*" >&2; exit 1; }
cli() { local port="$1"; shift; redis-cli -h 127.0.0.1 -p "$port" "$@"; }
ports() { [ -f "$PORTS_FILE" ] && cat "$PORTS_FILE"; }

port_free() { ! ss -Hltn "sport = :$1" | grep -q .; }

pick_ports() {
    local picked=() p tries=0
    while [ "${#picked[@]}" -lt 6 ]; do
        tries=$((tries + 1)); [ "$tries" -lt 2000 ] || die "no free ports found"
        p=$((20000 + RANDOM % 30000))
        [[ " ${picked[*]-} " == *" $p "* || " ${picked[*]-} " == *" $((p + 10000)) "* || " ${picked[*]-} " == *" $((p - 10000)) "* ]] && continue
        port_free "$p" && port_free "$((p + 10000))" && picked+=("$p")
    done
    echo "${picked[@]}"
}

start_node() {
    local port="$1" d="$DIR/$1"
    mkdir -p "$d"
    cat > "$d/redis.conf" <<CONF
port $port
bind 127.0.0.1
protected-mode no
daemonize yes
dir $d
pidfile $d/redis.pid
logfile $d/redis.log
cluster-enabled yes
cluster-config-file nodes.conf
cluster-node-timeout 5000
appendonly yes
appendfsync everysec
no-appendfsync-on-rewrite no
aof-use-rdb-preamble yes
save ""
CONF
    redis-server "$d/redis.conf"
}

wait_for() { # seconds, description, command...
    local limit="$1" what="$2"; shift 2
    local deadline=$((SECONDS + limit))
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$deadline" ] || die "timed out after ${limit}s waiting for $what"
        sleep 0.2
    done
}

node_up() { [ "$(cli "$1" ping 2>/dev/null)" = PONG ]; }
# Outputs are captured before grep: with pipefail, `grep -q` closing the pipe early would make
# redis-cli die of SIGPIPE and the test fail at random.
node_ok() { local info; info="$(cli "$1" cluster info 2>/dev/null)" && grep -q '^cluster_state:ok' <<<"$info"; }
role_is() { local info; info="$(cli "$1" info replication 2>/dev/null)" && grep -q "^role:$2" <<<"$info"; }
replica_synced() { # a master, or a replica whose link to its master is up
    local info; info="$(cli "$1" info replication 2>/dev/null)" || return 1
    grep -q '^role:master' <<<"$info" || grep -q '^master_link_status:up' <<<"$info"
}
# Each node's view of which node is master and which replica, in one line.
roles_seen_by() {
    local nodes; nodes="$(cli "$1" cluster nodes 2>/dev/null)" || return 1
    awk '{ split($3, f, ","); r = "?"; for (i in f) if (f[i] == "master" || f[i] == "slave") r = f[i]; print $1, r, $4 }' <<<"$nodes" | sort | tr '\n' ' '
}
views_agree() {
    local p first="" view
    for p in $(ports); do
        view="$(roles_seen_by "$p")" || return 1
        [ -n "$first" ] || first="$view"
        [ "$view" = "$first" ] || return 1
    done
}
all_ok() {
    views_agree || return 1
    local p
    for p in $(ports); do node_ok "$p" && replica_synced "$p" || return 1; done
    # each master sees its replica again
    local replicas=0
    for p in $(ports); do role_is "$p" slave && replicas=$((replicas + 1)); done
    [ "$replicas" -eq 3 ]
}

cmd_start() {
    command -v redis-server >/dev/null || {
        [ "${CI:-}" = true ] || die "redis-server is not installed (apt-get install -y redis-server)"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
    }
    cmd_stop
    rm -rf "$DIR"; mkdir -p "$DIR"
    pick_ports > "$PORTS_FILE"
    local p nodes=() urls=()
    for p in $(ports); do start_node "$p"; done
    for p in $(ports); do wait_for 20 "node $p" node_up "$p"; nodes+=("127.0.0.1:$p"); urls+=("redis://127.0.0.1:$p"); done
    redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes >"$DIR/create.log" 2>&1 \
        || { cat "$DIR/create.log" >&2; die "cluster create failed"; }
    wait_for 60 "cluster_state:ok on every node" all_ok
    local IFS=,
    mkdir -p "$(dirname "$ENV_FILE")"
    printf 'BLINDPOST_REDIS_CLUSTER=%s\nBLINDPOST_REDIS_CTL="bash %s"\n' "${urls[*]}" "$SCRIPT" > "$ENV_FILE"
    echo "redis cluster up on ports $(ports | tr ' ' ',') ($ENV_FILE)"
}

stop_node() {
    local port="$1" pidfile="$DIR/$1/redis.pid" pid
    cli "$port" shutdown >/dev/null 2>&1 || true
    if [ -f "$pidfile" ]; then
        pid="$(cat "$pidfile")"
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill "$pid" 2>/dev/null || true
    fi
}

cmd_stop() {
    local p
    for p in $(ports 2>/dev/null || true); do stop_node "$p"; done
    rm -f "$ENV_FILE"
}

cmd_restart() {
    local p
    for p in $(ports); do stop_node "$p"; done
    for p in $(ports); do start_node "$p"; done
    wait_for 90 "cluster_state:ok after restart" all_ok
}

cmd_restart_node() {
    local port="${1:?restart-node needs a port}"
    own_port "$port"
    stop_node "$port"; start_node "$port"
    wait_for 90 "cluster_state:ok after restarting $port" all_ok
}

own_port() {
    grep -qw "${1:-}" "$PORTS_FILE" 2>/dev/null || die "'${1:-}' is not a node of this cluster"
}

cmd_failover() {
    # Redis refuses a new election in a shard for a while after the last one (twice the node
    # timeout), so skip the shard failed over last time when another one is available.
    local p replica="" last info
    last="$(cat "$DIR/last-failover" 2>/dev/null || true)"
    for p in $(ports); do
        info="$(cli "$p" info replication 2>/dev/null)" || continue
        grep -q '^role:slave' <<<"$info" || continue
        [ -n "$replica" ] || replica="$p"
        if ! grep -q "^master_port:${last:-none}\s*$" <<<"$info"; then replica="$p"; break; fi
    done
    [ -n "$replica" ] || die "no replica found"
    echo "$replica" > "$DIR/last-failover"
    # Redis gives up a manual failover after 5 s if the master does not answer; ask again then.
    local attempt
    for attempt in 1 2 3; do
        cli "$replica" cluster failover >/dev/null
        for _ in $(seq 60); do role_is "$replica" master && break 2; sleep 0.2; done
    done
    role_is "$replica" master || die "$replica did not become a master"
    wait_for 60 "cluster_state:ok after the failover" all_ok
    echo "failed over to $replica"
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    restart) cmd_restart ;;
    restart-node) cmd_restart_node "${2:-}" ;;
    stop-node) own_port "${2:-}"; stop_node "$2" ;;
    start-node) own_port "${2:-}"; start_node "$2"; wait_for 90 "cluster_state:ok after starting $2" all_ok ;;
    failover) cmd_failover ;;
    *) die "usage: $0 start|stop|restart|restart-node PORT|stop-node PORT|start-node PORT|failover" ;;
esac
