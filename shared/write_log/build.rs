//! Generates the record format (`proto/quiver/write_log/v1/record.proto`) with prost.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Read at run time, not with `env!`: a build script binary reused from a target directory
    // shared by checkouts at other paths would otherwise look in the old checkout.
    let root = std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let file = root.join("quiver/write_log/v1/record.proto");
    println!("cargo:rerun-if-changed={}", file.display());
    prost_build::Config::new().compile_protos(&[file], &[root])?;
    Ok(())
}
