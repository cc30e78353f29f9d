# cc-ci: the original CI host.
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

  networking.hostName = "cc-ci";

  environment.systemPackages = with pkgs; [
    abra
    docker
    git
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
