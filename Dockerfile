# whydenied in a small image, for the AWS Batch and Kubernetes runs of the README ("Container
# image"): `docker build -t whydenied .`, then `docker run --rm whydenied scan …`.
#
# The build stage compiles the release binary from the locked dependencies; the runtime stage is
# distroless (glibc, CA certificates for HTTPS to S3 and CloudWatch Logs, a non-root user, no
# shell or package manager) and takes only the binary. The build image's Debian (bookworm) is the
# runtime's (debian12), so the binary finds the C library it was linked against.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin whydenied

FROM gcr.io/distroless/cc-debian12:nonroot AS runtime
COPY --from=build /src/target/release/whydenied /usr/local/bin/whydenied
ENTRYPOINT ["/usr/local/bin/whydenied"]
CMD ["--help"]
