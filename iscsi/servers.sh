# Shell helpers for the scripts that start targets on loopback (iscsi/conformance/run.sh,
# iscsi/bench.sh); sourced, not run.

# stop_servers PID...: SIGTERM, then SIGKILL whatever still runs after 2 s (tgtd ignores SIGTERM while
# it has targets).
stop_servers() {
	local p alive
	for p in "$@"; do kill "$p" 2>/dev/null || true; done
	for _ in $(seq 1 20); do
		alive=""
		for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ -z "$alive" ] && break
		sleep 0.1
	done
	for p in "$@"; do kill -9 "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
}

# wait_port PORT: waits up to 10 s for a listener on 127.0.0.1:PORT.
wait_port() {
	for _ in $(seq 1 100); do
		if (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	echo "$(basename "$0"): nothing listens on 127.0.0.1:$1"
	return 1
}

# port_free PORT...: fails, saying so, when something already listens on 127.0.0.1:PORT — a server this
# script starts there could not bind, and wait_port would find the other one instead.
port_free() {
	local p
	for p in "$@"; do
		if (exec 3<>/dev/tcp/127.0.0.1/"$p") 2>/dev/null; then
			echo "$(basename "$0"): 127.0.0.1:$p is already in use (another run?); choose other ports"
			return 1
		fi
	done
}
