package mcpserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"time"
)

// Root is the key prefix of every session, as in the original tool.
const Root = "perf-pipeline/"

// Artifact names inside a session.
const (
	ArchitectureKey = "architecture.json"
	ScenariosKey    = "scenarios.json"
	PlansPrefix     = "plans/"
	RunsPrefix      = "runs/"
	AnalysisPrefix  = "analysis/"
	StatusFile      = "status.json"
	// SummaryKey is the session's latest results analysis, under the
	// original tool's name.
	SummaryKey = AnalysisPrefix + "results_analysis.json"
)

var idRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// checkID validates a session or run id.
func checkID(field, id string) error {
	if !idRE.MatchString(id) || id == "." || id == ".." {
		return fmt.Errorf("%s %q: use 1-64 letters, digits, '.', '_' or '-'", field, id)
	}
	return nil
}

// sessionKey is the key of name inside a session.
func sessionKey(session, name string) string { return Root + session + "/" + name }

// runKey is the key of name inside a run's folder.
func runKey(session, runID, name string) string {
	return sessionKey(session, RunsPrefix+runID+"/"+name)
}

// newID returns a sortable id: UTC time then random hex.
func newID(t time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return t.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// Ref points at one stored artifact.
type Ref struct {
	Key string `json:"key" jsonschema:"the artifact's key in the store"`
	URL string `json:"url,omitempty" jsonschema:"download URL (presigned for S3, file:// for a local store)"`
}

// urlTTL is how long presigned download URLs stay valid.
const urlTTL = time.Hour

// ref describes a stored key with its download URL.
func (s *Server) ref(ctx context.Context, key string) Ref {
	u, err := s.store.URL(ctx, key, urlTTL)
	if err != nil {
		return Ref{Key: key}
	}
	return Ref{Key: key, URL: u}
}

// Sessions lists the sessions in the store.
func (s *Server) Sessions(ctx context.Context) ([]string, error) {
	return s.store.Children(ctx, Root)
}
