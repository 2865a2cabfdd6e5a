# The loadgen worker image (the ECS task definition's container "worker").
# Build context: the repository root, e.g.
#   docker build -f infra/worker.Dockerfile --platform linux/arm64 .
# The binary is static (CGO off) and cross-compiled on the build host's
# platform, so an arm64 image builds quickly on amd64 machines.

FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS build
ARG TARGETOS=linux
ARG TARGETARCH=arm64
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -ldflags="-s -w" -o /out/loadgen ./cmd/loadgen

# distroless/static: CA certificates, tzdata and a non-root user, no shell.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/loadgen /usr/local/bin/loadgen
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/loadgen"]
CMD ["worker"]
