# The recipe-test harness on the host: cc-ci-run on the system PATH, where the Drone exec
# runner's pipeline step (`cc-ci-run runner/run_recipe_ci.py`) finds it.
{ pkgs, ... }:
{
  environment.systemPackages = [ pkgs.cc-ci-run ];
}
