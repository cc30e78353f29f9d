{
  description = "witness: milestone-gate claims as scenario files, run over SSH, recorded as insta snapshots";

  # nixos-25.11 ships rustc 1.91.1 (nixpkgs PR #460575 took master to 1.91.1 on 2025-11-11,
  # before the 25.11 branch-off; 1.92.0 came after, PR #470993). witness needs 1.89: its own
  # rust-version, and the highest rust-version in Cargo.lock (uuid 1.89.0; `cargo metadata`).
  # nixos-24.11, the input before, ships 1.82 and could not build it.
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";

  outputs = { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forAll = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in
    {
      packages = forAll (pkgs: {
        default = pkgs.rustPlatform.buildRustPackage {
          pname = "witness";
          version = "0.1.0";
          src = self;
          cargoLock.lockFile = ./Cargo.lock;
          nativeBuildInputs = [ pkgs.pkg-config pkgs.perl ];
          buildInputs = [ pkgs.openssl ];
          # The gate tests need a target host (the twin or a real one): run them with
          # `cargo xtask test` or against a host, not inside the Nix sandbox.
          doCheck = false;
          cargoBuildFlags = [ "--bin" "witness" ];
          # The commit the binary says it was built from in every report (no .git here).
          WITNESS_GIT_COMMIT = self.rev or self.dirtyRev or "";
          # What an installed witness runs: the scenarios and the reviewed snapshots, and
          # the nightly runner script (the NixOS module below wraps it in a unit).
          postInstall = ''
            mkdir -p $out/share/witness $out/libexec/witness
            cp -r scenarios snapshots README.md $out/share/witness/
            install -m755 packaging/nightly/witness-nightly $out/libexec/witness/witness-nightly
          '';
        };
      });

      # The nightly gate on the host it judges (the same unit as packaging/nightly/, which
      # `cargo xtask nightly-check` tests in the twin): read-only gate runs on a timer; a red
      # gate leaves witness-nightly.service `failed`; reports in /var/lib/witness, each run's
      # attestation signed with the nightly's own key (`signingKey`, below).
      nixosModules.nightly = { config, lib, pkgs, ... }:
        let
          cfg = config.services.witness-nightly;
          root = pkgs.runCommand "witness-root" { } ''
            mkdir $out
            ln -s ${cfg.package}/share/witness/scenarios $out/scenarios
            ln -s ${cfg.package}/share/witness/snapshots $out/snapshots
            cp ${cfg.targetsFile} $out/targets.toml
          '';
          # The sandboxing that fits this job, the same as packaging/nightly/witness-nightly.service's
          # (tests/cli.rs checks they agree; that file says why each is there and why others are not).
          sandbox = {
            PrivateTmp = true;
            ProtectSystem = "full";
            ProtectHome = "read-only";
            CacheDirectory = "witness";
            NoNewPrivileges = true;
            ProtectKernelTunables = true;
            ProtectKernelModules = true;
            ProtectKernelLogs = true;
            ProtectControlGroups = true;
            ProtectHostname = true;
            RestrictRealtime = true;
            RestrictSUIDSGID = true;
          };
        in
        {
          options.services.witness-nightly = {
            enable = lib.mkEnableOption "the witness nightly gate run";
            package = lib.mkOption {
              type = lib.types.package;
              default = self.packages.${pkgs.system}.default;
              description = "The witness package (binary, scenarios, snapshots).";
            };
            targetsFile = lib.mkOption {
              type = lib.types.path;
              description = ''
                A targets.toml whose target `target` is this host (`local = true`) with the
                claim's pinned variables (base_commit, head_commit, reviewed_system, …).
              '';
            };
            target = lib.mkOption {
              type = lib.types.str;
              default = "cc-ci";
              description = "The target of targetsFile to judge.";
            };
            gates = lib.mkOption {
              type = lib.types.listOf lib.types.str;
              default = [ "m1" "m2" ];
              description = "Gates to run; what changes the host is skipped (read-only).";
            };
            schedule = lib.mkOption {
              type = lib.types.str;
              # Shortly before the sweep's own fire (00:00): M2 observes the timer's next fire.
              default = "*-*-* 23:30:00";
              description = "systemd OnCalendar= of the timer (shortly before nightly-sweep.timer's fire: M2 watches it).";
            };
            historyKeep = lib.mkOption {
              type = lib.types.ints.positive;
              default = 14;
              description = "Runs kept per gate and target under /var/lib/witness/history (older ones pruned).";
            };
            signingKey = lib.mkOption {
              type = lib.types.nullOr lib.types.str;
              default = null;
              example = "/etc/ssh/ssh_host_ed25519_key";
              description = ''
                The key each run's in-toto attestation (attestation.dsse.json beside report.json) is
                signed with, as WITNESS_SIGNING_KEY takes it: a private key file (the host key
                works: the unit runs as root), a public key file whose private half is in
                ssh-agent, or key::<type> <base64>. null: the nightly's own ed25519 key,
                /var/lib/witness/signing-key, made on the first run; each run prints the
                allowed_signers line that trusts it (`journalctl -u witness-nightly`), and
                `witness verify <report dir> --allowed-signers FILE` checks a run with it.
                Signatures are SSHSIG (ssh-keygen -Y sign), namespace "witness".
              '';
            };
            textfileDir = lib.mkOption {
              type = lib.types.str;
              default = "/var/lib/witness";
              example = "/var/lib/prometheus-node-exporter-text-files";
              description = ''
                Where witness.prom (verdict per gate and target, counts, time of the last run) is
                written for node_exporter's textfile collector
                (services.prometheus.exporters.node.extraFlags = [ "--collector.textfile.directory=…" ]).
              '';
            };
          };
          config = lib.mkIf cfg.enable {
            systemd.services.witness-nightly = {
              description = "witness: nightly gate run (read-only milestone claims)";
              after = [ "network-online.target" ];
              wants = [ "network-online.target" ];
              # The scenarios run what an operator's shell would: nix, git, systemctl; ssh-keygen
              # (openssh) signs the attestations.
              path = [ config.nix.package pkgs.git pkgs.bash pkgs.coreutils pkgs.gnugrep pkgs.gnused config.systemd.package pkgs.openssh "/run/current-system/sw" ];
              environment = {
                WITNESS_ROOT = "${root}";
                WITNESS_BIN = "${cfg.package}/bin/witness";
                WITNESS_TARGET = cfg.target;
                WITNESS_GATES = lib.concatStringsSep " " cfg.gates;
                WITNESS_STATE_DIR = "/var/lib/witness";
                WITNESS_HISTORY_KEEP = toString cfg.historyKeep;
                WITNESS_TEXTFILE_DIR = cfg.textfileDir;
                INSTA_UPDATE = "no";
                CI = "true";
                # Nix's evaluation cache: home directories are read-only (ProtectHome).
                XDG_CACHE_HOME = "/var/cache/witness";
              } // lib.optionalAttrs (cfg.signingKey != null) {
                WITNESS_SIGNING_KEY = cfg.signingKey;
              };
              # A run lasts up to 56h (observe mode): a `nixos-rebuild switch` meanwhile must not
              # restart it and lose the night's verdict (as nixpkgs does for long jobs, e.g.
              # cachix-agent, hydra's queue runner). The new definition applies from the next run;
              # stopIfChanged only matters for units that are restarted, so it is not set.
              restartIfChanged = false;
              serviceConfig = {
                Type = "oneshot";
                StateDirectory = "witness";
                ExecStart = "${cfg.package}/libexec/witness/witness-nightly";
                # Observe mode waits up to 26h for the sweep's fire and 26h for the next build.
                TimeoutStartSec = "56h";
                Nice = 10;
              } // sandbox;
            };
            systemd.timers.witness-nightly = {
              wantedBy = [ "timers.target" ];
              timerConfig = {
                OnCalendar = cfg.schedule;
                Persistent = true;
              };
            };
          };
        };

      devShells = forAll (pkgs: {
        default = pkgs.mkShell {
          packages = [
            pkgs.cargo
            pkgs.rustc
            pkgs.clippy
            pkgs.rustfmt
            pkgs.pkg-config
            pkgs.openssl
            pkgs.perl
            pkgs.cargo-insta
            pkgs.cargo-nextest
            pkgs.openssh
          ];
        };
      });

      checks = forAll (pkgs: {
        build = self.packages.${pkgs.system}.default;
        fmt = pkgs.runCommand "witness-fmt" { nativeBuildInputs = [ pkgs.cargo pkgs.rustfmt ]; } ''
          cd ${self} && cargo fmt --all --check && touch $out
        '';
        unit = self.packages.${pkgs.system}.default.overrideAttrs (_: {
          doCheck = true;
          # Unit tests only: the integration tests and gates need a host.
          checkPhase = "cargo test --lib";
        });
      });
    };
}
