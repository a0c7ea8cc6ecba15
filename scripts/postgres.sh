#!/usr/bin/env bash
# A private PostgreSQL cluster for the tests: `scripts/postgres.sh start DIR PORT` installs
# Debian's postgresql when missing, creates a cluster in DIR owned by the postgres user (initdb
# refuses root) and starts it on 127.0.0.1:PORT; `scripts/postgres.sh stop DIR` stops it.
set -euo pipefail
action=$1
dir=$2
sudo=$([ "$(id -u)" = 0 ] || echo sudo)
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
case "$action" in
  start)
    port=$3
    if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
      echo "installing Debian's postgresql"
      $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql > /dev/null
      bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    fi
    mkdir -p "$dir" && chown postgres: "$dir" 2>/dev/null || $sudo chown postgres: "$dir"
    as_postgres "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 > "$dir/initdb.log"
    as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=1000 -c fsync=off" -w start > /dev/null
    ;;
  stop)
    [ -d "$dir/data" ] && as_postgres "$bin/pg_ctl" -D "$dir/data" -m fast -w stop > /dev/null || true
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2 ;;
esac
