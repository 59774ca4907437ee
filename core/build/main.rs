//! The core's build step: tables generated on the host from well-kept sources,
//! so that the phone library carries only the data it uses and none of the
//! code that produced it (ADR 0009 §4, ADR 0024).
//!
//! | module | source | output (`$OUT_DIR`) |
//! |---|---|---|
//! | [`charsets`] | encoding_rs | `charsets.rs`: the scanner's legacy-charset tables |
//! | [`cldr`] | `i18n/cldr/*.json` (CLDR 48.2, serde_json) | `cldr.rs`: number formats, currency symbols and names, fraction digits, locale facts, plural rules |
//! | [`catalogue`] | `i18n/messages/*.ftl` (fluent-syntax) | `catalogue.rs`: `Msg` and the per-language text blobs |

use std::error::Error;
use std::path::PathBuf;

mod catalogue;
mod charsets;
mod cldr;

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed=build");
    // Printing any rerun-if-changed line stops Cargo watching the package as
    // a whole, so every input of every generator is named here or by the
    // generator: cldr.rs reads the currency table from src/money.rs.
    println!("cargo:rerun-if-changed=src/money.rs");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    charsets::generate(&out_dir)?;
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    cldr::generate(&manifest_dir, &out_dir)?;
    catalogue::generate(&manifest_dir, &out_dir)?;
    Ok(())
}
