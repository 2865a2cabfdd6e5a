package fakeapi

import "embed"

// Docs holds the service's documents, the input of `loadgen quickstart`'s
// architecture analysis: architecture/openapi.yaml (the OpenAPI 3 spec of
// every route served, the catalogue and the demo target's paths),
// architecture/architecture.md (components, data stores, flows, journeys)
// and architecture/nfrs.yaml (the NFRs the example plans check).
//
//go:embed architecture/openapi.yaml architecture/architecture.md architecture/nfrs.yaml
var Docs embed.FS
