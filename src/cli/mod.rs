//! The binary's command handlers that live outside `main.rs`, by concern (not part of the
//! library: they only parse flags, call `argosim`, write files and print).

pub(crate) mod observed;
