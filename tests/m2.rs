//! Gate M2: runs `scenarios/m2/*.toml` against the selected target (`WITNESS_TARGET`, default `twin`).

fn main() -> std::process::ExitCode {
    witness::gate_main("m2")
}
