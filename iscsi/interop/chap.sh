#!/usr/bin/env bash
# CHAP against libiscsi's clients (iscsi-inq, iscsi-ls): offload-iscsi on loopback with an --auth file,
# then one-way, mutual (URL arguments and environment variables), wrong secret, unknown user,
# AuthMethod=None refused, a target that answers mutual CHAP with the wrong secret, discovery with and
# without CHAP, and an initiator without an account. Prints a table; exits non-zero when any outcome
# differs from the expected one. Every outcome is checked on both sides: the client's exit status and
# message, and the target's log line for the login (CHAP used, or status 0201). Finally, the target's
# log — every PDU, -v — must not contain a secret. With QEMU_MODULE_DIR naming a directory that holds
# QEMU's block-iscsi.so (Debian's qemu-block-extra matching qemu-utils), QEMU's iSCSI driver is checked
# too: one-way, wrong secret, None refused (QEMU does no mutual CHAP), the secret passed in a file.
#
# usage: iscsi/interop/chap.sh
#   CHAP_BIN         the target binary (default: target/release/offload-iscsi, which `make iscsi` builds)
#   CHAP_PORT        the loopback port (default: 3280)
#   QEMU_MODULE_DIR  where block-iscsi.so is (optional: the QEMU rows)
set -euo pipefail
cd "$(dirname "$0")/../.."
source iscsi/servers.sh

BIN=${CHAP_BIN:-target/release/offload-iscsi}
PORT=${CHAP_PORT:-3280}
OUT=target/interop-chap
IQN=iqn.2026-11.org.offload:target
ONE_WAY=iqn.2026-11.interop:one-way
MUTUAL=iqn.2026-11.interop:mutual
STRANGER=iqn.2026-11.interop:stranger
# Secrets of 12 bytes or more (RFC 7143 §9.2.1), different in each direction.
ONE_WAY_SECRET=one-way-secret-1
MUTUAL_SECRET=mutual-initiator-secret
TARGET_SECRET=mutual-target-secret

for tool in iscsi-inq iscsi-ls timeout; do
	command -v $tool >/dev/null || { echo "chap: $tool is missing (libiscsi-bin)"; exit 1; }
done
[ -x "$BIN" ] || { echo "chap: $BIN is missing (make iscsi builds it)"; exit 1; }

rm -rf $OUT
mkdir -p $OUT
umask 077
cat > $OUT/auth.json <<EOF
{
  "initiators": {
    "$ONE_WAY": { "user": "one-way", "secret": "$ONE_WAY_SECRET" },
    "$MUTUAL": {
      "user": "mutual", "secret": "$MUTUAL_SECRET",
      "mutual": { "user": "offload-target", "secret": "$TARGET_SECRET" }
    }
  }
}
EOF
pids=()
cleanup() { [ ${#pids[@]} -eq 0 ] || stop_servers "${pids[@]}"; }
trap cleanup EXIT
port_free $PORT
"$BIN" serve --listen 127.0.0.1:$PORT --units 1 --capacity 64MiB --auth $OUT/auth.json -v > $OUT/target.log 2>&1 &
pids+=($!)
wait_port $PORT

failures=0
printf '%-34s %-9s %-9s %s\n' check expected outcome evidence
# check NAME EXPECTED(ok|fail) CLIENT_PATTERN TARGET_PATTERN COMMAND...: runs COMMAND (20 s at most);
# the outcome is "ok" for exit status 0; the client's output must match CLIENT_PATTERN and the target's
# log lines written since the check began TARGET_PATTERN (waited for up to 2 s: the target logs a
# failed login after answering it).
check() {
	local name=$1 expected=$2 client=$3 target=$4
	shift 4
	local before outcome evidence=""
	before=$(wc -l < $OUT/target.log)
	if timeout 20 "$@" > $OUT/client.out 2>&1; then outcome=ok; else outcome=fail; fi
	grep -Eq -- "$client" $OUT/client.out || evidence="client output lacks /$client/"
	# (Through a file: under pipefail, `tail | grep -q` fails when grep stops reading early.)
	for _ in $(seq 1 20); do
		tail -n +$((before + 1)) $OUT/target.log > $OUT/target.new
		grep -Eq -- "$target" $OUT/target.new && break
		sleep 0.1
	done
	grep -Eq -- "$target" $OUT/target.new || evidence+="${evidence:+; }target log lacks /$target/"
	if [ "$outcome" = "$expected" ] && [ -z "$evidence" ]; then
		printf '%-34s %-9s %-9s %s\n' "$name" "$expected" "$outcome" "client /$client/, target /$target/"
	else
		printf '%-34s %-9s %-9s WRONG: %s\n' "$name" "$expected" "$outcome" "${evidence:-outcome}"
		sed 's/^/    client: /' $OUT/client.out | head -5
		failures=$((failures + 1))
	fi
}

url=127.0.0.1:$PORT/$IQN/0
session() { echo "normal session for $1 \\(TSIH [0-9]+, $2"; }
refused='status 0201'
check "one-way" ok "Peripheral Device Type" "$(session $ONE_WAY CHAP)" \
	iscsi-inq -i $ONE_WAY "iscsi://one-way%$ONE_WAY_SECRET@$url"
check "mutual (URL target_user/password)" ok "Peripheral Device Type" "$(session $MUTUAL CHAP)" \
	iscsi-inq -i $MUTUAL "iscsi://mutual%$MUTUAL_SECRET@$url?target_user=offload-target&target_password=$TARGET_SECRET"
check "mutual (LIBISCSI_CHAP_TARGET_*)" ok "Peripheral Device Type" "$(session $MUTUAL CHAP)" \
	env LIBISCSI_CHAP_TARGET_USERNAME=offload-target LIBISCSI_CHAP_TARGET_PASSWORD=$TARGET_SECRET \
	iscsi-inq -i $MUTUAL "iscsi://mutual%$MUTUAL_SECRET@$url"
check "wrong secret" fail "Authentication failure\\(513\\)" "wrong CHAP response.*$refused" \
	iscsi-inq -i $ONE_WAY "iscsi://one-way%not-the-secret-1@$url"
check "unknown user name" fail "Authentication failure\\(513\\)" "unknown CHAP user name.*$refused" \
	iscsi-inq -i $ONE_WAY "iscsi://someone%$ONE_WAY_SECRET@$url"
check "AuthMethod=None refused" fail "Authentication failure\\(513\\)" "must authenticate with CHAP.*$refused" \
	iscsi-inq -i $ONE_WAY "iscsi://$url"
check "target's mutual secret wrong" fail "Invalid CHAP_R response from the target" "connection closed" \
	iscsi-inq -i $MUTUAL "iscsi://mutual%$MUTUAL_SECRET@$url?target_user=offload-target&target_password=not-the-target-secret"
check "discovery with CHAP" ok "Target:$IQN" "discovery session for $ONE_WAY \\(TSIH [0-9]+, CHAP" \
	iscsi-ls -i $ONE_WAY "iscsi://one-way%$ONE_WAY_SECRET@127.0.0.1:$PORT"
check "discovery without CHAP" fail "Authentication failure\\(513\\)" "$refused" \
	iscsi-ls -i $ONE_WAY "iscsi://127.0.0.1:$PORT"
check "no account: None accepted" ok "Peripheral Device Type" "$(session $STRANGER 'no authentication')" \
	iscsi-inq -i $STRANGER "iscsi://$url"

if [ -n "${QEMU_MODULE_DIR:-}" ] && [ -e "$QEMU_MODULE_DIR/block-iscsi.so" ] && command -v qemu-img >/dev/null; then
	# QEMU's iSCSI options for initiator $1 (with CHAP user $2 and the secret object sec0, if given).
	qemu_opts() {
		echo "driver=raw,file.driver=iscsi,file.transport=tcp,file.portal=127.0.0.1:$PORT,file.target=$IQN,file.lun=0,file.initiator-name=$1${2:+,file.user=$2,file.password-secret=sec0}"
	}
	printf '%s' "$ONE_WAY_SECRET" > $OUT/qemu-secret
	printf '%s' "not-the-secret-1" > $OUT/qemu-wrong
	check "qemu: one-way" ok "virtual size: 64 MiB" "$(session $ONE_WAY CHAP)" \
		qemu-img info --image-opts "$(qemu_opts $ONE_WAY one-way)" --object secret,id=sec0,file=$OUT/qemu-secret
	check "qemu: wrong secret" fail "Authentication failure\\(513\\)" "wrong CHAP response.*$refused" \
		qemu-img info --image-opts "$(qemu_opts $ONE_WAY one-way)" --object secret,id=sec0,file=$OUT/qemu-wrong
	check "qemu: AuthMethod=None refused" fail "Authentication failure\\(513\\)" "must authenticate.*$refused" \
		qemu-img info --image-opts "$(qemu_opts $ONE_WAY)"
else
	echo "(QEMU rows skipped: QEMU_MODULE_DIR does not hold block-iscsi.so)"
fi

stop_servers "${pids[@]}"
pids=()
grep -q -- "-> LoginRequest" $OUT/target.log || { echo "chap: the target log has no PDUs (-v)"; failures=$((failures + 1)); }
for secret in $ONE_WAY_SECRET $MUTUAL_SECRET $TARGET_SECRET; do
	if grep -qF -- "$secret" $OUT/target.log; then
		echo "chap: the target log contains a secret"
		failures=$((failures + 1))
	fi
done
if [ $failures -ne 0 ]; then
	echo "chap: $failures wrong outcome(s); logs in $OUT"
	exit 1
fi
echo "chap: all outcomes as expected; no secret in the target's -v log"
