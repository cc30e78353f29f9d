{
  description = "witness: milestone-gate claims as scenario files, run over SSH, recorded as insta snapshots";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.11";

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
        };
      });

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
