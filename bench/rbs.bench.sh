#!/bin/sh
# Backup and restore through rbs (TLS 1.3 over loopback, one `rbs serve`)
# against the same to a local dir: store, in the same run: objects per
# second of each and the ratio rbs/local (issue 14's goal: >= 0.8), for a
# V0 partition of N AES-256 keys (RBS_BENCH_SIZES, default 100000 1000000).
# Then RBS_BENCH_CLIENTS (default 100) clients, each with its own identity
# and store, back up a 10-key partition at once: total backups per second
# and the server's peak RSS (/usr/bin/time on rbs serve: the largest of the
# listener and its per-connection children).
. "$(dirname "$0")/lib.sh"
sizes=${RBS_BENCH_SIZES:-"100000 1000000"}
clients=${RBS_BENCH_CLIENTS:-100}

bench_pins
rbs init "$W/state" >"$W/init"
SFP=$(sed -n 's/^server fingerprint: //p' "$W/init")
rbs enroll --out "$W/id" >/dev/null
rbs client add bench --cert "$W/id/cert.pem" --role admin --store '*' \
	--dir "$W/state" >/dev/null
{
	echo "state $W/state"
	echo "listen 127.0.0.1:0"
	for n in $sizes; do echo "store r$n dir:$W/r$n"; done
	k=0
	while [ $k -lt "$clients" ]; do
		k=$((k + 1))
		echo "store c$k dir:$W/c$k"
	done
	echo "max-connections $((clients + 8))"
} >"$W/rbs.conf"
for n in $sizes; do backupd init "dir:$W/r$n" >/dev/null; done
k=0
while [ $k -lt "$clients" ]; do
	k=$((k + 1))
	backupd init "dir:$W/c$k" >/dev/null
done
/usr/bin/time -f '%e %M' -o "$W/t.srv" rbs serve --config "$W/rbs.conf" \
	--log stderr --port-file "$W/port" 2>"$W/srv.log" &
tpid=$!
while [ ! -s "$W/port" ]; do
	kill -0 "$tpid" 2>/dev/null || { cat "$W/srv.log"; exit 1; }
	sleep 0.05
done
PORT=$(cat "$W/port")
ID="--rbs-identity $W/id"
# shellcheck disable=SC2086
restore list --from "rbs://127.0.0.1:$PORT/c1" $ID --server-fingerprint "$SFP" \
	>/dev/null

for n in $sizes; do
	echo "-- V0, $n objects"
	d=$W/h$n
	P="hsm:$d#p"
	bench_keys "$d" "$n"
	backupd init "dir:$W/s$n" >/dev/null
	U="rbs://127.0.0.1:$PORT/r$n"

	measure "$W/t.lb" backupd backup --from "$P" --to "dir:$W/s$n" \
		--pin-file "$W/co" --backup-pin-file "$W/bk" --kdf test
	read -r lbs lbm <"$W/t.lb"
	# shellcheck disable=SC2086
	measure "$W/t.rb" backupd backup --from "$P" --to "$U" $ID \
		--pin-file "$W/co" --backup-pin-file "$W/bk" --kdf test
	read -r rbs_ rbm <"$W/t.rb"
	echo "backup local $n objects: ${lbs}s, $(per_sec "$n" "$lbs") objects/s, peak ${lbm} KiB"
	echo "backup rbs   $n objects: ${rbs_}s, $(per_sec "$n" "$rbs_") objects/s, peak ${rbm} KiB;" \
		"rbs/local objects-per-second ratio $(ratio "$lbs" "$rbs_")"

	ln=$(ls "$W/s$n" | grep '\.cbk$')
	rn=$(ls "$W/r$n" | grep '\.cbk$')
	measure "$W/t.lr" restore --from "dir:$W/s$n" --backup "$ln" --to "$P" \
		--replace --pin-file "$W/co" --backup-pin-file "$W/bk"
	read -r lrs lrm <"$W/t.lr"
	# shellcheck disable=SC2086
	measure "$W/t.rr" restore --from "$U" $ID --backup "$rn" --to "$P" \
		--replace --pin-file "$W/co" --backup-pin-file "$W/bk"
	read -r rrs rrm <"$W/t.rr"
	echo "restore local $n objects: ${lrs}s, $(per_sec "$n" "$lrs") objects/s, peak ${lrm} KiB"
	echo "restore rbs   $n objects: ${rrs}s, $(per_sec "$n" "$rrs") objects/s, peak ${rrm} KiB;" \
		"rbs/local objects-per-second ratio $(ratio "$lrs" "$rrs")"
	rm -rf "$d" "$W/s$n" "$W/r$n"/*.cbk
done

echo "-- $clients concurrent clients, 10-key partition each"
bench_partition "$W/hc" 0
hsm key generate "hsm:$W/hc#p" --type aes --label k --count 10 \
	--pin-file "$W/co" >/dev/null
t0=$(date +%s%N)
k=0
pids=""
while [ $k -lt "$clients" ]; do
	k=$((k + 1))
	# shellcheck disable=SC2086
	backupd backup --from "hsm:$W/hc#p" --to "rbs://127.0.0.1:$PORT/c$k" \
		$ID --pin-file "$W/co" --backup-pin-file "$W/bk" --kdf test \
		>/dev/null 2>"$W/c$k.err" &
	pids="$pids $!"
done
fails=0
for p in $pids; do wait "$p" || fails=$((fails + 1)); done
t1=$(date +%s%N)
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", (b - a) / 1e9 }')
landed=$(ls "$W"/c*/ | grep -c '\.cbk$' || true)
# The server itself (time's child) stops on SIGTERM; time then reports.
for s in $(ps -o pid= --ppid "$tpid"); do kill "$s" 2>/dev/null || true; done
wait "$tpid" 2>/dev/null || true
read -r _ sm <"$W/t.srv"
echo "$clients concurrent backups: $landed landed, $fails failed, ${secs}s," \
	"$(per_sec "$landed" "$secs") backups/s; rbs serve peak RSS ${sm} KiB"
