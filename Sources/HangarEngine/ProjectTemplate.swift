/// The commented hangar.yml that `hangar init` writes.
public enum ProjectTemplate {
    /// A starting file for `image` (a URL or a local path).
    public static func text(image: String) -> String {
        """
        # hangar.yml: what to boot and what to run in it. 'hangar handlers' lists every task type.
        machines:
          default:
            # A qcow2/raw disk image (.xz/.gz are unpacked), by URL or local file. Add 'sha256:' to pin it:
            #   image: { url: https://…/image.qcow2, sha256: 3b1f… }
            image: \(image)
            memory: 2G            # guest memory
            cpus: 2
            # disk: 20G           # grow the machine's disk (the cached image is never changed)
            # ports: ["8080:80"]  # host:guest on 127.0.0.1; host 0 picks a free port
            share: .              # this folder, at /hangar in the guest
            # Images with cloud-init get a generated key for user 'hangar'. For images without it:
            # ssh: { user: root, identity: ./id_ed25519 }
            # For kernel + initramfs images: kernel: ./vmlinuz, initrd: ./initrd.img, append: "console=ttyS0 no_timer_check"
            # boot-timeout: 5m    # how long to wait for SSH
            # boot-watchdog: 60s  # a serial console silent this long is a stuck boot, retried once

        jobs:
          default:                # 'hangar up' runs this job's tasks after booting
            tasks:
              - run: uname -a
          test:                   # 'hangar run test': boot a throwaway machine, run, destroy
            timeout: 30m
            tasks:
              - run: cat /etc/os-release
              # - use: collect
              #   with: { paths: ["/hangar/results/*.xml"], format: junit }

        """
    }
}
