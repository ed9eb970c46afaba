#!/bin/sh
### BEGIN INIT INFO
# Provides:          {{serviceName|raw}}
# Required-Start:    $local_fs $remote_fs $network
# Required-Stop:     $local_fs $remote_fs $network
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: pmx process manager for {{user|raw}}
# Description:       The pmx agent in the foreground, started again if it dies (not after `pmx kill`), starting the
#                    apps saved by `pmx save`.
### END INIT INFO
# Written by `pmx startup systemv`; removed by `pmx unstartup systemv`.
# SysV init has no supervisor: a small loop runs the agent as the user and starts it again if it
# dies. `stop` ends the loop first, then asks the agent (`pmx kill`, as the user) to stop every
# app gracefully and waits for it.

NAME={{serviceName}}
PMX_USER={{user}}
PIDFILE=/var/run/$NAME.pid
RUN={{runCommand}}
KILL={{killCommand}}

supervising() {
  [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null
}

start() {
  if supervising; then
    echo "$NAME is already running"
    return 0
  fi
  (
    trap '' HUP
    # an agent that ended with 0 (`pmx kill`) stays stopped, as PM2's; any other end is restarted
    while :; do
      su -s /bin/sh "$PMX_USER" -c "$RUN" && break
      sleep 2
    done
  ) </dev/null >/dev/null 2>&1 &
  echo $! > "$PIDFILE"
  echo "$NAME started"
}

stop() {
  if supervising; then
    kill "$(cat "$PIDFILE")"
  fi
  rm -f "$PIDFILE"
  su -s /bin/sh "$PMX_USER" -c "$KILL"
}

case "$1" in
  start) start ;;
  stop) stop ;;
  restart|force-reload) stop; start ;;
  status)
    if supervising; then echo "$NAME is running"; else echo "$NAME is stopped"; exit 3; fi
    ;;
  *)
    echo "Usage: $0 {start|stop|restart|status}"
    exit 2
    ;;
esac
