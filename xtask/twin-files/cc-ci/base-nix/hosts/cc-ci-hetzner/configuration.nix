# cc-ci-hetzner: the live CI host (Hetzner).
{ pkgs, ... }:
{
  imports = [
    ../../modules/packages.nix
    ../../modules/harness.nix
    ../../modules/nightly-sweep.nix
    ../../modules/drone-runner.nix
    ../../modules/deploy.nix
    ../../modules/secrets.nix
  ];

  networking.hostName = "cc-ci-hetzner";

  environment.systemPackages = with pkgs; [
    abra
    docker
    git
    git-lfs # the Drone runner's recipe tests need it
    bash
    coreutils
    util-linux
    curl
    jq
    gnused
    gnugrep
    gnutar
    procps
    openssh
  ];
}
