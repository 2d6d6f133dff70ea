# stack-debian13-backports.sh — sourced by build-cache.sh: Debian 13 trixie
# with QEMU and the cloud kernel from trixie-backports (QEMU 11.1, Linux 7.3),
# and SeaBIOS from there too (the backported qemu-system-x86 depends on
# seabios > 1.17.0-1~, trixie has 1.16.3); everything else (libraries, OVMF)
# from trixie. The private apt state of debian13 (stack-debian13.sh, in
# CACHE/apt) plus the backports suite and a pin of these packages to it.
# Variables read by stack-debian13.sh:
# shellcheck shell=sh disable=SC2034
backports=trixie-backports
pins='qemu-* linux-image-* seabios'
# shellcheck disable=SC1091
. "$here/stack-debian13.sh"
