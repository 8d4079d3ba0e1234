# Build in a full Rust image, run in a small Debian one.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY migrations migrations
COPY tests tests
COPY schema schema
# Compiled into the binary: GraphiQL's files and the default policy.
COPY assets assets
COPY policies policies
RUN cargo build --release --locked --bin steering-gateway

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /data --create-home gateway
COPY --from=build /src/target/release/steering-gateway /usr/local/bin/steering-gateway
COPY policies /etc/steering-gateway/policies
USER gateway
WORKDIR /data
ENV BIND_ADDR=0.0.0.0:8000 \
    POLICY_DIR=/etc/steering-gateway/policies
EXPOSE 8000
ENTRYPOINT ["steering-gateway"]
CMD ["serve"]
