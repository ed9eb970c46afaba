#!/bin/sh
# PROVIDE: {{rcName|raw}}
# REQUIRE: LOGIN NETWORKING
# KEYWORD: shutdown
#
# The pmx agent of {{user|raw}}, written by `pmx startup rcd`; removed by `pmx unstartup rcd`.
# daemon(8) runs the agent in the foreground as the user and starts it again if it dies (-r);
# the agent starts the apps saved by `pmx save`. On stop, daemon passes SIGTERM on to the agent,
# which stops every app gracefully. Enable with: sysrc {{rcName|raw}}_enable=YES

. /etc/rc.subr

name={{rcName}}
rcvar={{rcName|raw}}_enable
load_rc_config "$name"
: "${{{rcName|raw}}_enable:=NO}"

pidfile=/var/run/{{rcName|raw}}.pid
command=/usr/sbin/daemon
command_args={{daemonArgs}}
export PMX_HOME={{pmxHome}}
export PATH={{path}}

run_rc_command "$1"
