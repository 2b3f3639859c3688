#!/usr/bin/env bash
# Builds triage for any x86_64 Linux bastion: linked against glibc 2.17
# (CentOS 7, and everything newer), nothing else needed at run time;
# stripped, LTO, one codegen unit (the `dist` profile). Zig, from PyPI's
# `ziglang` package, is the C compiler and linker that targets that glibc;
# `cargo zigbuild` drives it. Then the script checks what it built: its
# size (15 MB at most), the newest glibc symbol it needs (objdump -T), and
# that it runs the demo.
#
# Usage: scripts/release.sh        -> target/x86_64-unknown-linux-gnu/dist/triage
# Copy it over: scp target/x86_64-unknown-linux-gnu/dist/triage bastion:bin/
set -euo pipefail
cd "$(dirname "$0")/.."

GLIBC=2.17
TARGET=x86_64-unknown-linux-gnu
MAX_BYTES=$((15 * 1000 * 1000))
BIN=target/$TARGET/dist/triage

pip_install() {
    python3 -m pip install --quiet --user "$@" 2>/dev/null ||
        python3 -m pip install --quiet --user --break-system-packages "$@"
}
python3 -c 'import ziglang' 2>/dev/null || pip_install 'ziglang==0.13.0'
command -v cargo-zigbuild >/dev/null || cargo install --locked cargo-zigbuild
command -v objdump >/dev/null || { echo "objdump is needed (Debian: binutils)" >&2; exit 1; }

cargo zigbuild --locked --profile dist --target "$TARGET.$GLIBC"

size=$(stat -c %s "$BIN")
floor=$(objdump -T "$BIN" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -1)
echo "$BIN: $size bytes ($((size / 1000 / 1000)) MB), needs glibc $floor or newer"
libs=$(objdump -p "$BIN" | awk '/NEEDED/ {print $2}' | tr '\n' ' ')
echo "links: $libs"

failed=0
if [ "$size" -gt "$MAX_BYTES" ]; then
    echo "too large: $size bytes > $MAX_BYTES" >&2
    failed=1
fi
if [ "$(printf '%s\n%s\n' "$floor" "$GLIBC" | sort -V | tail -1)" != "$GLIBC" ]; then
    echo "needs glibc $floor, newer than $GLIBC" >&2
    failed=1
fi
# Only the C library's own parts: nothing a bastion must install.
for lib in $libs; do
    case $lib in
        libc.so.6 | libm.so.6 | libpthread.so.0 | libdl.so.2 | librt.so.1 | libgcc_s.so.1 | ld-linux-x86-64.so.2) ;;
        *) echo "links $lib, which a bastion may lack" >&2; failed=1 ;;
    esac
done
printed=$("$BIN" demo --print --height 30)
if ! grep -q 'namespace="shop"' <<<"$printed"; then
    echo "the demo did not print its logs view:" >&2
    echo "$printed" >&2
    failed=1
fi
[ "$failed" -eq 0 ] && echo "ok: $BIN runs the demo"
exit "$failed"
