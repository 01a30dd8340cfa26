//! Generates the record format (`proto/quiver/write_log/v1/record.proto`) with prost.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../proto");
    let file = root.join("quiver/write_log/v1/record.proto");
    println!("cargo:rerun-if-changed={}", file.display());
    prost_build::Config::new().compile_protos(&[file], &[root])?;
    Ok(())
}
