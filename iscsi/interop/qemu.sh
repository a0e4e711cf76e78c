#!/usr/bin/env bash
# Makes QEMU's iSCSI client usable here, idempotently, and prints the directory that holds its block
# driver module (for QEMU_MODULE_DIR) on the last line of standard output.
#
# Debian ships QEMU's iSCSI driver as a module (block-iscsi.so) in qemu-block-extra, which must be the
# very version of the installed qemu-utils. The machines come with qemu-utils from bookworm-backports,
# whose sources are not configured: the matching module is downloaded from that suite of the same
# Debian registry with a private apt configuration under target/qemu/ and unpacked there — nothing is
# installed system-wide. A machine without qemu-utils gets bookworm's own qemu-utils and
# qemu-block-extra pair. libiscsi7, which the module links, comes with libiscsi-bin (make setup).
set -euo pipefail
cd "$(dirname "$0")/../.."

DIR=$PWD/target/qemu
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
log() { echo "qemu: $*" >&2; }

if ! dpkg -s qemu-utils >/dev/null 2>&1; then
	log "installing qemu-utils and qemu-block-extra (bookworm)"
	$SUDO apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq qemu-utils qemu-block-extra >/dev/null
fi
version=$(dpkg-query -W -f '${Version}' qemu-utils)
system_module=/usr/lib/x86_64-linux-gnu/qemu
if [ "$(dpkg-query -W -f '${Version}' qemu-block-extra 2>/dev/null || true)" = "$version" ]; then
	log "qemu-utils $version with its installed qemu-block-extra"
	echo "$system_module"
	exit 0
fi

unpacked=$DIR/${version//[:~+]/_}
modules=$unpacked/usr/lib/x86_64-linux-gnu/qemu
if [ ! -f "$modules/block-iscsi.so" ]; then
	suite=bookworm
	case "$version" in *bpo12*) suite=bookworm-backports ;; esac
	log "fetching qemu-block-extra $version from $suite into $DIR"
	apt_dir=$DIR/apt
	mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$unpacked"
	echo "deb http://deb.debian.org/debian $suite main" > "$apt_dir/sources.list"
	apt_opts=(-o Dir::Etc::sourcelist="$apt_dir/sources.list" -o Dir::Etc::sourceparts=- \
		-o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache="$apt_dir/cache" -o APT::Sandbox::User=root)
	apt-get -qq "${apt_opts[@]}" update >&2
	(cd "$apt_dir" && rm -f qemu-block-extra_*.deb && apt-get -qq "${apt_opts[@]}" download "qemu-block-extra=$version" >&2)
	dpkg -x "$apt_dir"/qemu-block-extra_*.deb "$unpacked"
fi
if ldd "$modules/block-iscsi.so" | grep -q 'not found'; then
	log "block-iscsi.so lacks libraries: $(ldd "$modules/block-iscsi.so" | grep 'not found' | tr -s ' \t' ' ')"
	exit 1
fi
log "qemu-utils $version with qemu-block-extra $version from $modules"
echo "$modules"
