# argosim command-line image: `docker build -t argosim .` then `docker run --rm argosim run`.
# Used by deploy/argo/argosim-grid.yaml to run grid shards and merges on Argo Workflows.
FROM rust:1.95-bookworm AS build
WORKDIR /src
# Only what the binary is built from (no target/, results/ or notebooks/ in the context copy).
COPY Cargo.toml Cargo.lock ./
# The profile-guided build: .cargo/config.toml points cargo at pgo/rustc-wrapper.
COPY .cargo .cargo
COPY pgo pgo
COPY src src
COPY benches benches
COPY assets assets
COPY scenarios scenarios
RUN cargo build --release --locked --bin argosim

FROM debian:bookworm-slim
COPY --from=build /src/target/release/argosim /usr/local/bin/argosim
COPY scenarios /usr/share/argosim/scenarios
COPY assets/DejaVuSans-LICENSE.txt /usr/share/doc/argosim/DejaVuSans-LICENSE.txt
# Runs as an unprivileged user; results go to a writable working directory.
RUN useradd --uid 10001 --create-home argosim && mkdir -p /work && chown argosim /work
USER 10001
WORKDIR /work
CMD ["argosim", "--help"]
