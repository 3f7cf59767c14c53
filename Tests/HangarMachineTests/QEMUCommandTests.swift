import HangarCore
import HangarMachine
import Testing

@Suite struct QEMUCommandTests {
    func plan(_ configure: (inout MachineSpec) -> Void = { _ in }) -> MachinePlan {
        var spec = MachineSpec(name: "default")
        configure(&spec)
        return MachinePlan(
            spec: spec,
            folder: "/s/m",
            overlay: "/s/m/disk.qcow2",
            seed: "/s/m/seed.iso",
            kernel: nil,
            initrd: nil,
            accel: "tcg",
            sshPort: 40022,
            ports: [PortForward(host: 8080, guest: 80)],
            backingImage: nil
        )
    }

    func value(after flag: String, in arguments: [String]) -> [String] {
        arguments.indices.filter { arguments[$0] == flag }.map { arguments[$0 + 1] }
    }

    @Test func disksSeedNetworkAndControl() {
        let arguments = QEMUCommand.arguments(
            for: plan {
                $0.memory = ByteSize(parsing: "2G")!
                $0.cpus = 4
            }
        )
        #expect(arguments.first == "qemu-system-x86_64")
        #expect(value(after: "-m", in: arguments) == ["2048"])
        #expect(value(after: "-smp", in: arguments) == ["4"])
        #expect(value(after: "-machine", in: arguments) == ["q35,accel=tcg"])
        #expect(value(after: "-cpu", in: arguments) == ["max"])
        // The seed is a virtio disk: Debian's cloud kernel cannot see an AHCI cdrom.
        #expect(
            value(after: "-drive", in: arguments) == [
                "file=/s/m/disk.qcow2,if=virtio,format=qcow2,discard=unmap", "file=/s/m/seed.iso,if=virtio,format=raw,readonly=on",
            ]
        )
        #expect(value(after: "-netdev", in: arguments) == ["user,id=net0,hostfwd=tcp:127.0.0.1:40022-:22,hostfwd=tcp:127.0.0.1:8080-:80"])
        #expect(value(after: "-qmp", in: arguments) == ["unix:/s/m/qmp.sock,server=on,wait=off"])
        #expect(value(after: "-serial", in: arguments) == ["file:/s/m/serial.log"])
        #expect(!arguments.contains("-kernel"))
        #expect(!arguments.contains("-virtfs"))
    }

    @Test func aSavedStateIsReadInsteadOfBooting() {
        var restoring = plan()
        restoring.incoming = "/state/saved here/state.zst"
        let arguments = QEMUCommand.arguments(for: restoring)
        let at = arguments.firstIndex(of: "-incoming")
        #expect(at.map { arguments[$0 + 1] } == "exec:zstd -d -c -q '/state/saved here/state.zst'")
        #expect(!QEMUCommand.arguments(for: plan()).contains("-incoming"))
    }

    @Test func kvmUsesTheHostCPU() {
        var plan = plan()
        plan.accel = "kvm"
        #expect(value(after: "-cpu", in: QEMUCommand.arguments(for: plan)) == ["host"])
    }

    @Test func directKernelBootAndShare() {
        var plan = plan {
            $0.share = "/work/project"
            $0.append = "console=ttyS0 quiet"
        }
        plan.kernel = "/c/vmlinuz"
        plan.initrd = "/c/initrd"
        let arguments = QEMUCommand.arguments(for: plan)
        #expect(value(after: "-kernel", in: arguments) == ["/c/vmlinuz"])
        #expect(value(after: "-initrd", in: arguments) == ["/c/initrd"])
        #expect(value(after: "-append", in: arguments) == ["console=ttyS0 quiet"])
        #expect(value(after: "-virtfs", in: arguments) == ["local,path=/work/project,mount_tag=hangar,security_model=none,id=share0"])
    }

    @Test func shellQuotingSurvivesAShell() {
        #expect(ShellQuote.join(["echo", "two words", "it's", "$HOME"]) == #"echo 'two words' 'it'\''s' '$HOME'"#)
    }
}
