//! The default theme is embedded with `include_dir!`, which cargo cannot see: without
//! this, editing a template would not rebuild the crate and the binary would serve the
//! old one.
fn main() {
    println!("cargo:rerun-if-changed=theme");
}
