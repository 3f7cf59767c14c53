#!/usr/bin/env bash
# Builds Hangar's tiny real test guest from Debian packages, without root tricks or loop mounts:
#
#   OUT/vmlinuz, OUT/initrd.img   kernel + busybox initramfs (direct kernel boot)
#   OUT/disk.qcow2                the same, on a BIOS-bootable disk (syslinux on FAT), no kernel: needed
#   OUT/id_ed25519[.pub]          the identity baked into the guest for root
#   OUT/vmlinuz-generic, OUT/initrd-generic.img   Debian's generic kernel, which has 9p (shared folders)
#
# The guest's /init loads the virtio modules, configures user-mode networking statically, reads a
# cloud-init NoCloud seed if one is attached (ssh_authorized_keys, users' names, hostname) and starts
# dropbear. Usage: scripts/build-test-guest.sh [OUT]   (default: .build/test-guest). Idempotent.
set -euo pipefail

out="${1:-.build/test-guest}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
if [[ -f "$out/disk.qcow2" && -f "$out/initrd-generic.img" && "$out/initrd-generic.img" -nt "$0" ]]; then
    echo "test guest: up to date in $out"
    exit 0
fi

for tool in apt-get dpkg-deb cpio gzip mkfs.vfat mcopy syslinux sfdisk qemu-img ssh-keygen; do
    command -v "$tool" >/dev/null || { echo "test guest: '$tool' is missing (see README: scripts/setup.sh installs it)" >&2; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
debs="$out/debs"
mkdir -p "$debs"

kernel_package() {
    local name
    name="$(apt-cache depends "$1" | awk '/Depends: linux-image-/ {print $2; exit}')"
    [[ -n "$name" ]] || { echo "test guest: cannot resolve $1 (run apt-get update)" >&2; exit 1; }
    echo "$name"
}
kernel_pkg="$(kernel_package linux-image-cloud-amd64)"
generic_pkg="$(kernel_package linux-image-amd64)"
packages=("$kernel_pkg" "$generic_pkg" busybox-static dropbear-bin libtomcrypt1 libtommath1)
(cd "$debs" && for p in "${packages[@]}"; do ls "${p}"_*.deb >/dev/null 2>&1 || apt-get download -q "$p" 2>/dev/null; done)

unpacked="$work/unpacked"
for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$unpacked"; done
kver="${kernel_pkg#linux-image-}"
generic_kver="${generic_pkg#linux-image-}"

root="$work/root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc/dropbear,proc,sys,dev,tmp,root/.ssh,home,lib/modules,run,var/log,mnt/seed}
cp "$unpacked/bin/busybox" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
    [[ -e "$root/bin/$applet" ]] || ln -s busybox "$root/bin/$applet"
done
cp "$unpacked/usr/sbin/dropbear" "$root/usr/sbin/dropbear"

# dropbear's shared libraries: from the unpacked packages first, then the host (same Debian release).
LD_LIBRARY_PATH="$unpacked/usr/lib/x86_64-linux-gnu" ldd "$unpacked/usr/sbin/dropbear" |
    awk '/=>/ {print $3} /ld-linux/ {print $1}' | while read -r lib; do
    [[ -f "$lib" ]] || continue
    dest="$root/lib/x86_64-linux-gnu/$(basename "$lib")"
    mkdir -p "$(dirname "$dest")"
    cp -L "$lib" "$dest"
done
mkdir -p "$root/lib64"
ln -sf ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$root/lib64/ld-linux-x86-64.so.2"


ssh-keygen -q -t ed25519 -N '' -C hangar-test-guest -f "$work/id_ed25519"
cp "$work/id_ed25519.pub" "$root/root/.ssh/authorized_keys"
chmod 700 "$root/root/.ssh"
chmod 600 "$root/root/.ssh/authorized_keys"

cat > "$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
EOF
echo "root:x:0:" > "$root/etc/group"
printf '/bin/sh\n/bin/ash\n' > "$root/etc/shells"
echo hangar-guest > "$root/etc/hostname"

cat > "$root/init" <<'EOF'
#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
mount -t tmpfs tmp /tmp
# busybox insmod does not resolve dependencies: load in order, in passes, until nothing is left.
for pass in 1 2 3; do
    for m in $(cat /lib/modules/order); do
        [ -d "/sys/module/$m" ] || insmod "/lib/modules/$m.ko" 2>/dev/null
    done
done
hostname -F /etc/hostname
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2

# A tiny NoCloud reader: enough of cloud-init for Hangar's seed (users, ssh_authorized_keys, hostname).
for dev in /dev/vd[a-z]; do
    [ -b "$dev" ] || continue
    mount -t iso9660 -o ro "$dev" /mnt/seed 2>/dev/null || continue
    if [ -f /mnt/seed/user-data ]; then
        user=$(sed -n 's/^ *- *name: *\([a-z_][a-z0-9_-]*\).*/\1/p' /mnt/seed/user-data | head -n 1)
        host=$(sed -n 's/^local-hostname: *//p' /mnt/seed/meta-data)
        [ -n "$host" ] && hostname "$host"
        home=/root
        if [ -n "$user" ] && [ "$user" != root ]; then
            # This guest has no sudo: the seed's user gets uid 0, like root.
            home=/home/$user
            echo "$user:x:0:0:$user:$home:/bin/sh" >> /etc/passwd
        fi
        mkdir -p "$home/.ssh"
        grep -o 'ssh-[a-z0-9-]* [A-Za-z0-9+/=]*[^"]*' /mnt/seed/user-data | sed 's/[", ]*$//' >> "$home/.ssh/authorized_keys"
        chmod 700 "$home/.ssh"; chmod 600 "$home/.ssh/authorized_keys"
        echo "hangar-test-guest: seed applied from $dev (user ${user:-root})"
    fi
    umount /mnt/seed
done

dropbear -R -E -p 22 2>/var/log/dropbear.log
echo "hangar-test-guest: ready"
exec setsid sh -c 'exec sh </dev/ttyS0 >/dev/ttyS0 2>&1'
EOF
chmod 755 "$root/init"

modules=(drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_legacy_dev
    drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci net/core/failover drivers/net/net_failover
    drivers/net/virtio_net drivers/block/virtio_blk drivers/cdrom/cdrom fs/isofs/isofs)
# pack KERNEL-VERSION INITRD [EXTRA-MODULES...]: the root above plus that kernel's modules, as an initramfs.
pack() {
    local version="$1" name="$2" tree="$work/root-$2"
    shift 2
    local all=("${modules[@]}" "$@")
    cp -a "$root" "$tree"
    for m in "${all[@]}"; do cp "$unpacked/lib/modules/$version/kernel/$m.ko" "$tree/lib/modules/"; done
    printf '%s\n' "${all[@]##*/}" > "$tree/lib/modules/order"
    (cd "$tree" && find . | cpio -o -H newc --quiet | gzip -1) > "$work/$name"
}
pack "$kver" initrd.img
pack "$generic_kver" initrd-generic.img fs/netfs/netfs fs/fscache/fscache net/9p/9pnet net/9p/9pnet_virtio fs/9p/9p
cp "$unpacked/boot/vmlinuz-$kver" "$work/vmlinuz"
cp "$unpacked/boot/vmlinuz-$generic_kver" "$work/vmlinuz-generic"

# A BIOS-bootable disk: MBR + one FAT partition holding syslinux, the kernel and the initramfs.
# no_timer_check: under TCG on a busy host the kernel's IO-APIC timer check can fail and panic.
part="$work/part.img"
mkfs.vfat -C -n HANGARBOOT "$part" $((48 * 1024)) >/dev/null
printf 'DEFAULT linux\nPROMPT 0\nTIMEOUT 1\nLABEL linux\n  KERNEL vmlinuz\n  INITRD initrd.img\n  APPEND console=ttyS0 quiet no_timer_check\n' > "$work/syslinux.cfg"
mcopy -i "$part" "$work/vmlinuz" "$work/initrd.img" "$work/syslinux.cfg" ::/
syslinux --install "$part"
disk="$work/disk.raw"
truncate -s $((1 + 48))M "$disk"
echo 'start=2048, type=c, bootable' | sfdisk -q "$disk"
dd if="$part" of="$disk" bs=512 seek=2048 conv=notrunc status=none
dd if=/usr/lib/syslinux/mbr/mbr.bin of="$disk" conv=notrunc bs=440 count=1 status=none
qemu-img convert -f raw -O qcow2 "$disk" "$work/disk.qcow2"

mv "$work/vmlinuz" "$work/initrd.img" "$work/vmlinuz-generic" "$work/initrd-generic.img" "$work/disk.qcow2" "$work/id_ed25519" "$work/id_ed25519.pub" "$out/"
echo "test guest: built in $out (kernel $kver)"
